import { parseConversationId, renderUserId } from '@parley/protocol';
import type { MessageRecord, NotificationRecord, UserRecord } from '../../../storage/records.js';
import { iso } from '../../../wire/render.js';

/**
 * Seed 001's records, shaped like its Message table (camelCase, ISO times with milliseconds): a chat message is
 * `messageType: "CHAT"`; a system notification is a message from no one (`fromUserId: null`) whose type is
 * `SYSTEM_<TYPE>` (a notification of type "achievement" is SYSTEM_ACHIEVEMENT). Ids are strings.
 */
export function renderChat001(m: MessageRecord, isRead: boolean, from?: UserRecord) {
  const parsed = parseConversationId(m.conversationId);
  const to = parsed?.kind === 'dm' ? (parsed.users.find((u) => u !== m.senderId) ?? m.senderId) : null;
  return {
    id: m.id,
    fromUserId: renderUserId(m.senderId),
    toUserId: to === null ? null : renderUserId(to),
    messageType: 'CHAT',
    content: m.text,
    metadata: m.metadata,
    isRead,
    createdAt: iso(m.createdAt),
    deletedAt: m.deletedAt === undefined ? null : iso(m.deletedAt),
    ...(from ? { fromUser: renderUser001(from) } : {}),
  };
}

export function renderUser001(u: UserRecord) {
  return { id: renderUserId(u.id), username: u.username, nickname: u.displayName, avatar: u.avatarUrl };
}

export function systemType(type: string): string {
  const upper = type.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  return upper.startsWith('SYSTEM_') ? upper : `SYSTEM_${upper}`;
}

export function renderSystem001(n: NotificationRecord) {
  return {
    id: n.id,
    fromUserId: null,
    toUserId: renderUserId(n.userId),
    messageType: systemType(n.type),
    title: n.title,
    content: n.body,
    metadata: n.data,
    link: n.link,
    isRead: n.readAt !== null,
    createdAt: iso(n.createdAt),
    deletedAt: null,
  };
}
