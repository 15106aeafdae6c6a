import type {
  AppendResult,
  ChangesSince,
  DeviceInfo,
  DeviceRecord,
  NewNotification,
  NotificationRecord,
  PositionAdvance,
  PositionMove,
  PositionResult,
  ConversationRecord,
  FriendRequestRecord,
  HistoryPage,
  HistoryQuery,
  MemberRecord,
  MemberRole,
  MessageRecord,
  NewMessage,
  UserConversationRow,
  UserRecord,
} from './records.js';

/**
 * Persistence of users, credentials and tokens. Implementations: SQLite (embedded default), PostgreSQL (cluster).
 */
export interface UserRepo {
  /** Creates the user if missing; updates username / display name when given and different. */
  upsertUser(
    user: { id: string; username: string | null; displayName: string | null },
    now: number,
  ): Promise<UserRecord>;
  /**
   * Creates a user with a login. Throws AppError CONFLICT when the name is taken (case-insensitive) by a login or
   * by any user's username (a host application's users included).
   */
  createUserWithLogin(
    user: { id: string; username: string; displayName: string },
    passwordHash: string,
    now: number,
  ): Promise<UserRecord>;
  getLogin(username: string): Promise<{ userId: string; passwordHash: string } | null>;
  getUser(id: string): Promise<UserRecord | null>;
  getUsers(ids: readonly string[]): Promise<UserRecord[]>;
  updateProfile(
    id: string,
    patch: { displayName?: string; avatarUrl?: string | null; readReceipts?: boolean },
  ): Promise<UserRecord | null>;
  setLastSeen(id: string, at: number): Promise<void>;
  /**
   * Stores a refresh token of a family: the tokens that descend, by rotation, from one sign-in (by default the
   * token starts a family of its own).
   */
  saveRefreshToken(
    tokenHash: string,
    userId: string,
    deviceId: string | null,
    expiresAt: number,
    family?: string,
  ): Promise<void>;
  /**
   * Returns the token's user and device if it exists, is unused and is unexpired, and marks it used: each is used
   * once. A used token is remembered until it expires, so that its reuse can be recognised.
   */
  consumeRefreshToken(tokenHash: string, now: number): Promise<{ userId: string; deviceId: string | null } | null>;
  /** The token's family, and whether it was used already; null for an unknown token. */
  refreshTokenFamily(tokenHash: string): Promise<{ family: string; used: boolean } | null>;
  /** Deletes every token of the family, used or not. */
  revokeRefreshFamily(family: string): Promise<void>;
  deleteRefreshToken(tokenHash: string): Promise<void>;
}

export interface SocialRepo {
  createFriendRequest(fromId: string, toId: string, now: number): Promise<void>;
  deleteFriendRequest(fromId: string, toId: string): Promise<boolean>;
  getFriendRequest(fromId: string, toId: string): Promise<FriendRequestRecord | null>;
  listFriendRequests(userId: string): Promise<{ incoming: FriendRequestRecord[]; outgoing: FriendRequestRecord[] }>;
  /** Makes a and b friends and removes pending requests between them, atomically. */
  addFriendship(a: string, b: string, now: number): Promise<void>;
  removeFriendship(a: string, b: string): Promise<boolean>;
  listFriends(userId: string): Promise<{ userId: string; since: number }[]>;
  areFriends(a: string, b: string): Promise<boolean>;
  /** Blocks, and removes friendship and pending requests between the two, atomically. */
  block(blockerId: string, blockedId: string, now: number): Promise<void>;
  unblock(blockerId: string, blockedId: string): Promise<boolean>;
  listBlocked(blockerId: string): Promise<{ userId: string; since: number }[]>;
  isBlockedEitherWay(a: string, b: string): Promise<boolean>;
  /** Everyone the user has blocked or is blocked by. */
  blockedEitherWay(userId: string): Promise<string[]>;
  /** Friends and everyone sharing a conversation with the user, minus anyone blocked either way: who sees their presence. */
  contactsOf(userId: string): Promise<string[]>;
}

export interface ConversationRepo {
  /** Creates the direct conversation of a and b with both as members, if it does not exist. */
  ensureDm(id: string, a: string, b: string, now: number): Promise<void>;
  createGroup(
    group: { name: string; description: string; avatarUrl: string | null; visibility: 'public' | 'private' },
    ownerId: string,
    memberIds: readonly string[],
    now: number,
  ): Promise<ConversationRecord>;
  getConversation(id: string): Promise<ConversationRecord | null>;
  /** Edits a group's details, recorded as a `group.updated` change (the record's lastRev is its revision). */
  updateGroup(
    id: string,
    patch: { name?: string; description?: string; avatarUrl?: string | null; visibility?: 'public' | 'private' },
    now?: number,
  ): Promise<ConversationRecord | null>;
  getMember(conversationId: string, userId: string): Promise<MemberRecord | null>;
  listMembers(conversationId: string): Promise<MemberRecord[]>;
  memberCount(conversationId: string): Promise<number>;
  /**
   * Adds the users not yet members; returns those actually added, each with the revision of its `member.added`
   * change (in the order of `userIds`).
   */
  addMembers(
    conversationId: string,
    userIds: readonly string[],
    role: MemberRole,
    now: number,
  ): Promise<{ userId: string; rev: number }[]>;
  /** Removes a member; the revision of the `member.removed` change, or null when they were not a member. */
  removeMember(conversationId: string, userId: string, now?: number): Promise<number | null>;
  /** Sets a member's role; the revision of the `member.role` change, or null when they are not a member. */
  setRole(conversationId: string, userId: string, role: MemberRole, now?: number): Promise<number | null>;
  /**
   * Everything of the conversation changed after `rev` (C5): messages created or changed (in their current state),
   * and the other changes, at most `limit` of each, in revision order. `lastRev` is read first: every change at or
   * below it is in the answer (or was superseded by a newer state that is).
   */
  changesSince(conversationId: string, rev: number, limit: number): Promise<ChangesSince>;
  /** The user's conversations, most recent activity first, with last message and unread count. */
  listUserConversations(userId: string): Promise<UserConversationRow[]>;
  /**
   * Moves the read position forward only, clamped to the last message; the delivered position follows it
   * (what is read was delivered). Returns the read position before and after.
   */
  advanceReadSeq(conversationId: string, userId: string, seq: number): Promise<PositionMove>;
  /** Moves the delivered position forward only, clamped to the last message. */
  advanceDeliveredSeq(conversationId: string, userId: string, seq: number): Promise<PositionMove>;
  /**
   * Applies many position moves in one write (one transaction, one statement on PostgreSQL), in array order, with
   * the rules of advanceReadSeq / advanceDeliveredSeq; results in the order of `items`. Durable when it resolves.
   */
  advancePositions(items: readonly PositionAdvance[]): Promise<PositionResult[]>;
  /** Messages from others with seq > the user's read position, not deleted. Costs O(1), not O(unread). */
  unreadCount(conversationId: string, userId: string): Promise<number>;
  totalUnread(userId: string): Promise<number>;
}

export interface MessageRepo {
  /**
   * Appends messages, each atomically and in array order. Guarantees:
   * - seq is assigned here: per conversation strictly increasing by 1, no gaps, even with concurrent writers;
   * - (senderId, clientMsgId) is unique: an existing pair returns the stored original with duplicate=true;
   * - the sender's read position moves to the new seq (you have read what you wrote);
   * - each new message takes the conversation's next revision (rev), in the same transaction;
   * - when the promise resolves, the rows are durable.
   * A failure rejects the whole batch and stores none of it.
   */
  appendMessages(items: readonly NewMessage[]): Promise<AppendResult[]>;
  getMessage(id: string): Promise<MessageRecord | null>;
  /** The message a sender stored under a client_msg_id, if any. */
  findByClientMsgId(senderId: string, clientMsgId: string): Promise<MessageRecord | null>;
  /** Distinct senders of the messages with after < seq <= upTo (whom a read receipt concerns). */
  sendersBetween(conversationId: string, after: number, upTo: number): Promise<string[]>;
  history(conversationId: string, query: HistoryQuery): Promise<HistoryPage>;
  /**
   * Soft-deletes a message: records `now` as its deletion time (once; deleting again keeps the first time), gives it
   * the conversation's next revision (a change every member's device must learn), and
   * returns it as every reader now sees it: same id and seq, `deletedAt` set, text "" and metadata null. Null when
   * no such message. Readers stay consistent: history and getMessage return the withheld record in its place,
   * and unread counts no longer count it.
   */
  softDeleteMessage(id: string, now: number): Promise<MessageRecord | null>;
}

export interface DeviceRepo {
  /** Registers the device, or refreshes its details and last_seen; a revoked device stays revoked. */
  upsertDevice(userId: string, deviceId: string, info: DeviceInfo, now: number): Promise<DeviceRecord>;
  getDevice(userId: string, deviceId: string): Promise<DeviceRecord | null>;
  listDevices(userId: string): Promise<DeviceRecord[]>;
  /** Marks the device revoked and deletes its refresh tokens; false when it does not exist. */
  revokeDevice(userId: string, deviceId: string, now: number): Promise<boolean>;
}

export interface NotificationRepo {
  /** Stores one notification per user, atomically; returns them in the order of `userIds`. */
  createNotifications(userIds: readonly string[], n: NewNotification, now: number): Promise<NotificationRecord[]>;
  /** Newest first; `before` is an id cursor. */
  listNotifications(
    userId: string,
    q: { before?: string; limit: number; unreadOnly: boolean },
  ): Promise<NotificationRecord[]>;
  unreadNotificationCount(userId: string): Promise<number>;
  /** Marks the given notifications (or all, when ids is null) read; returns how many changed. */
  markNotificationsRead(userId: string, ids: readonly string[] | null, now: number): Promise<number>;
}

export interface Store extends UserRepo, SocialRepo, ConversationRepo, MessageRepo, DeviceRepo, NotificationRepo {
  readonly kind: string;
  /** Resolves when the store answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
