import {
  renderUserId,
  type WireConversation,
  type WireGroup,
  type WireGroupMember,
  type WireDevice,
  type WireMessage,
  type WireNotification,
  type WirePresence,
  type WireReceipt,
  type WireUser,
} from '@parley/protocol';
import type { ConversationView } from '../services/conversation-service.js';
import type { GroupView } from '../services/group-service.js';
import type { PresenceView } from '../services/presence-service.js';
import type { MemberPosition } from '../services/receipt-service.js';
import type { DeviceRecord, MemberRecord, MessageRecord, NotificationRecord, UserRecord } from '../storage/records.js';

/** Records to the canonical wire shapes (snake_case, ISO times, integer-looking user ids as numbers). */

export const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export function renderUser(u: UserRecord): WireUser {
  return {
    id: renderUserId(u.id),
    username: u.username,
    display_name: u.displayName,
    avatar_url: u.avatarUrl,
    created_at: iso(u.createdAt),
  };
}

/** A soft-deleted message keeps its place (id, seq) with kind "deleted", empty text and no metadata. */
export function renderMessage(m: MessageRecord): WireMessage {
  return {
    id: m.id,
    conversation_id: m.conversationId,
    seq: m.seq,
    sender_id: renderUserId(m.senderId),
    kind: m.deletedAt === undefined ? m.kind : 'deleted',
    text: m.text,
    metadata: m.metadata,
    reply_to: m.replyTo,
    client_msg_id: m.clientMsgId,
    created_at: iso(m.createdAt),
    rev: m.rev,
    ...(m.deletedAt !== undefined ? { deleted_at: iso(m.deletedAt) } : {}),
  };
}

export function renderPresence(p: PresenceView): WirePresence {
  return { user_id: renderUserId(p.userId), status: p.status, last_seen: isoOrNull(p.lastSeen) };
}

export function renderGroup(g: Pick<GroupView, 'conversation' | 'memberCount'>): WireGroup {
  const c = g.conversation;
  return {
    id: c.groupId as number,
    conversation_id: c.id,
    name: c.name,
    description: c.description,
    avatar_url: c.avatarUrl,
    visibility: c.visibility,
    member_count: g.memberCount,
    created_by: renderUserId(c.createdBy),
    created_at: iso(c.createdAt),
    rev: c.lastRev,
  };
}

/** Stands in for a user row that is gone, so a list never fails on one missing profile. */
export function placeholderUser(id: string): UserRecord {
  return { id, username: null, displayName: id, avatarUrl: null, createdAt: 0, lastSeenAt: null, readReceipts: true };
}

export function renderMember(m: MemberRecord, user: UserRecord | undefined): WireGroupMember {
  return {
    user: renderUser(user ?? placeholderUser(m.userId)),
    role: m.role,
    joined_at: iso(m.joinedAt),
  };
}

export function renderConversation(v: ConversationView): WireConversation {
  const c = v.conversation;
  return {
    id: c.id,
    kind: c.kind,
    peer: v.peer && v.peerPresence ? { ...renderUser(v.peer), presence: renderPresence(v.peerPresence) } : null,
    group: c.kind === 'group' ? renderGroup({ conversation: c, memberCount: v.memberCount }) : null,
    last_message: v.lastMessage ? renderMessage(v.lastMessage) : null,
    last_seq: c.lastSeq,
    last_rev: c.lastRev,
    read_seq: v.member.readSeq,
    unread_count: v.unreadCount,
    last_activity_at: iso(c.lastMessageAt ?? c.createdAt),
  };
}

export function renderReceipt(p: MemberPosition): WireReceipt {
  return { user_id: renderUserId(p.userId), delivered_seq: p.deliveredSeq, read_seq: p.readSeq };
}

export function renderNotification(n: NotificationRecord): WireNotification {
  return {
    id: n.id,
    type: n.type,
    title: n.title,
    body: n.body,
    data: n.data,
    link: n.link,
    created_at: iso(n.createdAt),
    read_at: isoOrNull(n.readAt),
  };
}

export function renderDevice(d: DeviceRecord, current: string | null, online: boolean): WireDevice {
  return {
    device_id: d.deviceId,
    name: d.name,
    type: d.type,
    platform: d.platform,
    app_version: d.appVersion,
    has_push_token: d.pushToken !== null,
    created_at: iso(d.createdAt),
    last_seen_at: iso(d.lastSeenAt),
    revoked_at: isoOrNull(d.revokedAt),
    current: d.deviceId === current,
    online,
  };
}
