import type {
  ConversationChange,
  ConversationRecord,
  MemberRecord,
  MemberRole,
  MessageRecord,
  UserRecord,
} from './records.js';

/**
 * Row shapes as the SQL stores return them (SQLite and PostgreSQL name their columns alike), and their mapping to
 * records. Where the drivers differ the types allow both: booleans as 0/1 or true/false, ids as number or bigint.
 */

export interface UserRow {
  id: string;
  username: string | null;
  display_name: string;
  avatar_url: string | null;
  created_at: number;
  last_seen_at: number | null;
  read_receipts: number | boolean;
}

export function toUser(r: UserRow): UserRecord {
  return {
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    avatarUrl: r.avatar_url,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    readReceipts: Boolean(r.read_receipts),
  };
}

export interface MessageRow {
  id: number | bigint;
  conversation_id: string;
  seq: number;
  sender_id: string;
  client_msg_id: string | null;
  kind: string;
  text: string;
  metadata: string | null;
  reply_to: number | null;
  created_at: number;
  deleted_at?: number | null;
  rev: number;
}

/** A deleted message is returned in its place with its content withheld (the row keeps it, for operators). */
export function toMessage(r: MessageRow): MessageRecord {
  const deleted = r.deleted_at !== undefined && r.deleted_at !== null;
  const record: MessageRecord = {
    id: String(r.id),
    conversationId: r.conversation_id,
    seq: r.seq,
    senderId: r.sender_id,
    clientMsgId: r.client_msg_id,
    kind: r.kind,
    text: deleted ? '' : r.text,
    metadata: deleted || r.metadata === null ? null : (JSON.parse(r.metadata) as Record<string, unknown>),
    replyTo: r.reply_to === null ? null : String(r.reply_to),
    createdAt: r.created_at,
    rev: r.rev,
  };
  if (deleted) record.deletedAt = r.deleted_at as number;
  return record;
}

export interface ConversationRow {
  id: string;
  kind: 'dm' | 'group';
  group_id: number | null;
  name: string;
  description: string;
  avatar_url: string | null;
  visibility: 'public' | 'private';
  created_by: string;
  created_at: number;
  last_seq: number;
  last_message_at: number | null;
  last_rev: number;
}

export function toConversation(r: ConversationRow): ConversationRecord {
  return {
    id: r.id,
    kind: r.kind,
    groupId: r.group_id,
    name: r.name,
    description: r.description,
    avatarUrl: r.avatar_url,
    visibility: r.visibility,
    createdBy: r.created_by,
    createdAt: r.created_at,
    lastSeq: r.last_seq,
    lastMessageAt: r.last_message_at,
    lastRev: r.last_rev,
  };
}

export interface MemberRow {
  conversation_id: string;
  user_id: string;
  role: MemberRole;
  joined_at: number;
  delivered_seq: number;
  read_seq: number;
}

export function toMember(r: MemberRow): MemberRecord {
  return {
    conversationId: r.conversation_id,
    userId: r.user_id,
    role: r.role,
    joinedAt: r.joined_at,
    deliveredSeq: r.delivered_seq,
    readSeq: r.read_seq,
  };
}

export interface ChangeRow {
  conversation_id: string;
  rev: number;
  kind: string;
  user_id: string | null;
  role: string | null;
  created_at: number;
}

export function toChange(r: ChangeRow): ConversationChange {
  return {
    conversationId: r.conversation_id,
    rev: r.rev,
    kind: r.kind,
    userId: r.user_id,
    role: r.role,
    at: r.created_at,
  } as ConversationChange;
}
