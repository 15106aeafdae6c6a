/** Rows as the domain sees them. Times are epoch milliseconds. */

export interface UserRecord {
  id: string;
  username: string | null;
  displayName: string;
  avatarUrl: string | null;
  createdAt: number;
  lastSeenAt: number | null;
  /** False when the user chose not to show others when they read (their own unread state is still kept). */
  readReceipts: boolean;
}

export interface MessageRecord {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  kind: string;
  text: string;
  metadata: Record<string, unknown> | null;
  replyTo: string | null;
  clientMsgId: string | null;
  createdAt: number;
  /**
   * The conversation's change revision of this message's last change (its creation, or a later change such as a
   * deletion): see ConversationChange.
   */
  rev: number;
  /**
   * Set only on a soft-deleted message (absent otherwise): when it was deleted. A deleted message keeps its id
   * and seq (the conversation stays gap-free) but its content is withheld: text is "" and metadata null.
   */
  deletedAt?: number;
}

export interface NewMessage {
  conversationId: string;
  senderId: string;
  clientMsgId: string | null;
  kind: string;
  text: string;
  metadata: Record<string, unknown> | null;
  replyTo: string | null;
  createdAt: number;
}

export interface AppendResult {
  message: MessageRecord;
  /** True when (sender, client_msg_id) already existed: `message` is the original, nothing was written. */
  duplicate: boolean;
}

export type ConversationKind = 'dm' | 'group';
export type MemberRole = 'owner' | 'admin' | 'member';

export interface ConversationRecord {
  id: string;
  kind: ConversationKind;
  /** Numeric group id (groups only). */
  groupId: number | null;
  name: string;
  description: string;
  avatarUrl: string | null;
  visibility: 'public' | 'private';
  createdBy: string;
  createdAt: number;
  lastSeq: number;
  lastMessageAt: number | null;
  /** The revision of the conversation's last change (a message, a deletion, a member or group change). */
  lastRev: number;
}

export interface MemberRecord {
  conversationId: string;
  userId: string;
  role: MemberRole;
  joinedAt: number;
  /** Highest seq a device of this user confirmed receiving. Never below readSeq. */
  deliveredSeq: number;
  readSeq: number;
}

export interface UserConversationRow {
  conversation: ConversationRecord;
  member: MemberRecord;
  lastMessage: MessageRecord | null;
  unreadCount: number;
  memberCount: number;
}

export interface HistoryQuery {
  before?: number;
  after?: number;
  offset?: number;
  limit: number;
}

export interface HistoryPage {
  /** Always in ascending seq order. */
  messages: MessageRecord[];
  hasMore: boolean;
}

export interface FriendRequestRecord {
  fromId: string;
  toId: string;
  createdAt: number;
}

export type DeviceType = 'desktop' | 'mobile' | 'web' | 'other';

export interface DeviceRecord {
  userId: string;
  deviceId: string;
  name: string | null;
  type: DeviceType;
  platform: string | null;
  appVersion: string | null;
  pushToken: string | null;
  createdAt: number;
  lastSeenAt: number;
  revokedAt: number | null;
}

export interface DeviceInfo {
  name?: string | null;
  type?: DeviceType;
  platform?: string | null;
  appVersion?: string | null;
  pushToken?: string | null;
}

export interface NotificationRecord {
  id: string;
  userId: string;
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown> | null;
  link: string | null;
  createdAt: number;
  readAt: number | null;
}

export interface NewNotification {
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown> | null;
  link: string | null;
}

/** A move of a read or delivery position: where it was and where it is now. */
export interface PositionMove {
  before: number;
  after: number;
}

/**
 * A request to move one member's positions forward: delivered and/or read up to a seq (each clamped to the last
 * message; a read position drags the delivered one along).
 */
export interface PositionAdvance {
  conversationId: string;
  userId: string;
  deliveredSeq?: number;
  readSeq?: number;
}

/** What one PositionAdvance did; all zero when the user is not a member. */
export interface PositionResult {
  delivered: PositionMove;
  read: PositionMove;
}

/**
 * A change to a conversation other than a message's own (those are the messages themselves, at their `rev`): a
 * member added, removed or given a role, the group's details edited. Each has the next revision of its
 * conversation, taken in the transaction that makes it durable, so a conversation's revisions order all its changes.
 */
export type ConversationChange =
  | { conversationId: string; rev: number; kind: 'member.added' | 'member.role'; userId: string; role: MemberRole; at: number }
  | { conversationId: string; rev: number; kind: 'member.removed'; userId: string; role: null; at: number }
  | { conversationId: string; rev: number; kind: 'group.updated'; userId: null; role: null; at: number };

/** Everything of one conversation that changed after a revision, in revision order. */
export interface ChangesSince {
  /** Messages created or changed after the revision, each in its current state, ordered by `rev`. */
  messages: MessageRecord[];
  changes: ConversationChange[];
  /** The conversation's revision when read: a client holding it has everything. */
  lastRev: number;
}
