import type {
  DeviceStatus,
  IsoTime,
  WireConversation,
  WireGroup,
  WireHistoryPage,
  WireMessage,
  WireNotification,
  WirePresence,
  WireReceipt,
  WireSyncConversation,
  WireUser,
} from './entities.js';
import type { ErrorBody } from './error-codes.js';
import type { WireUserId } from './ids.js';

/* ---------- client -> server ---------- */

/** Authenticates the connection (when no token came with the upgrade) or refreshes its token (same user). */
export interface AuthFrame {
  type: 'auth';
  id?: string;
  token: string;
  /** The device this connection belongs to; registered or refreshed in the user's device list. */
  device?: DeviceDescriptor;
  /**
   * C4: a sync started with the authentication (first `auth` only; ignored on a refresh). The server sends
   * `hello`, the replayed msg.new frames, then the sync's `result` carrying `sync.id`: one round trip.
   */
  sync?: { id: string | number; positions?: Record<string, number> };
}

export interface DeviceDescriptor {
  id: string;
  name?: string;
  type?: 'desktop' | 'mobile' | 'web' | 'other';
  platform?: string;
  app_version?: string;
  push_token?: string;
}

export interface PingFrame {
  type: 'ping';
  id?: string;
}

/** Sends a message to a conversation, or to a user (its direct conversation is created on first use). */
export interface SendFrame {
  type: 'msg.send';
  id: string;
  conversation_id?: string;
  to_user_id?: WireUserId;
  client_msg_id?: string;
  text: string;
  kind?: string;
  metadata?: Record<string, unknown> | null;
  reply_to?: string | null;
}

/** Reads a page of history: `before` / `after` a seq (cursor paging) or `offset` from the newest. */
export interface HistoryFrame {
  type: 'msg.history';
  id: string;
  conversation_id: string;
  before?: number;
  after?: number;
  offset?: number;
  limit?: number;
}

export interface ConversationsFrame {
  type: 'conv.list';
  id: string;
}

/** Moves the caller's read position forward to `seq` (never backward). */
export interface ReadFrame {
  type: 'conv.read';
  id: string;
  conversation_id: string;
  seq: number;
}

export interface PresenceQueryFrame {
  type: 'presence.query';
  id: string;
  user_ids: WireUserId[];
}

/** Confirms that a device received the conversation up to `seq` (a notification: no reply unless it has an id). */
export interface DeliveredFrame {
  type: 'msg.delivered';
  id?: string;
  conversation_id: string;
  seq: number;
}

/**
 * Catch-up: the client says what it holds; the server sends every missed message as msg.new frames, in seq order
 * per conversation, then the result. Conversations absent from `positions` are synced from the user's read
 * position. Live events for this connection are held back until the result, so nothing arrives out of order.
 */
export interface SyncFrame {
  type: 'sync';
  id: string;
  /** Per conversation, the seq up to which the client holds every message (C1). */
  positions?: Record<string, number>;
  /**
   * Per conversation, the change revision up to which the client applied every change (C5): the replay then also
   * carries what changed in messages it holds (`msg.updated`) and membership changes (`conv.member`).
   */
  revs?: Record<string, number>;
}

export interface ReceiptsFrame {
  type: 'receipts.get';
  id: string;
  conversation_id: string;
}

export interface ReadersFrame {
  type: 'msg.readers';
  id: string;
  conversation_id: string;
  seq: number;
}

export interface PresenceSetFrame {
  type: 'presence.set';
  id?: string;
  status: DeviceStatus;
}

/** Typing indicator: never stored; expires by itself; at most one per second per conversation is relayed. */
export interface TypingFrame {
  type: 'typing';
  /** Optional: with an id the reply says whether it was relayed or dropped by the rate limit. */
  id?: string;
  conversation_id: string;
  state: 'start' | 'stop';
  context?: string;
}

export interface NotificationsReadFrame {
  type: 'notif.read';
  id: string;
  /** The notification ids to mark read (1 to 1,000), or `all: true` to mark every one. */
  ids?: string[];
  all?: boolean;
}

export type ClientFrame =
  | AuthFrame
  | PingFrame
  | SendFrame
  | HistoryFrame
  | ConversationsFrame
  | ReadFrame
  | PresenceQueryFrame
  | DeliveredFrame
  | SyncFrame
  | ReceiptsFrame
  | ReadersFrame
  | PresenceSetFrame
  | TypingFrame
  | NotificationsReadFrame;

export type ClientFrameType = ClientFrame['type'];

/** What each request's `result` frame carries. */
export interface ResultData {
  auth: { user: WireUser };
  ping: Record<string, never>;
  'msg.send': { message: WireMessage; duplicate: boolean };
  'msg.history': WireHistoryPage;
  'conv.list': { conversations: WireConversation[]; total_unread: number };
  'conv.read': { conversation_id: string; read_seq: number; unread_count: number; total_unread: number };
  'presence.query': { presence: WirePresence[] };
  'msg.delivered': { conversation_id: string; delivered_seq: number };
  sync: {
    conversations: WireSyncConversation[];
    total_unread: number;
    /** Every conversation of the user with its change revision: the client has applied everything up to it (C5). */
    revs: Record<string, number>;
  };
  'receipts.get': { receipts: WireReceipt[] };
  'msg.readers': { seq: number; read_by: WireUserId[]; delivered_to: WireUserId[]; member_count: number };
  'presence.set': { status: PresenceStatusResult };
  typing: { relayed: boolean };
  'notif.read': { updated: number; unread_count: number };
}

type PresenceStatusResult = DeviceStatus;

/* ---------- server -> client ---------- */

/** Sent once a connection is authenticated; `id` echoes the auth frame's id when there was one. */
export interface HelloEvent {
  type: 'hello';
  id?: string;
  protocol: number;
  user: WireUser;
  connection_id: string;
  /** The device this connection was attached to (from the token's `did` or the client's `device`), if any. */
  device_id: string | null;
  node_id: string;
  heartbeat_ms: number;
  server_time: IsoTime;
  limits: { max_frame_bytes: number; max_message_chars: number };
}

export interface PongEvent {
  type: 'pong';
  id?: string;
  server_time: IsoTime;
}

export interface ResultEvent<T extends keyof ResultData = keyof ResultData> {
  type: 'result';
  id: string;
  data: ResultData[T];
}

export interface ErrorEvent extends ErrorBody {
  type: 'error';
  /** The id of the request refused; absent when the frame had none or could not be parsed. */
  id?: string;
}

/** A new message in one of the user's conversations (also sent to the sender's other devices). */
export interface MessageEvent {
  type: 'msg.new';
  message: WireMessage;
}

/**
 * An existing message changed (deleted for everyone; later edited, recalled, reacted to): its whole state now, at
 * its new `rev`. Apply it in place of the copy held when its rev is higher (C5).
 */
export interface MessageUpdatedEvent {
  type: 'msg.updated';
  message: WireMessage;
}

/** The user's own read position moved (on any of their devices). */
export interface ReadEvent {
  type: 'conv.read';
  conversation_id: string;
  read_seq: number;
  unread_count: number;
  total_unread: number;
}

export interface PresenceEvent extends WirePresence {
  type: 'presence';
}

/** A member's delivered / read position moved (sent to the members it concerns). */
export interface ReceiptEvent extends WireReceipt {
  type: 'receipt';
  conversation_id: string;
}

export interface TypingEvent {
  type: 'typing';
  conversation_id: string;
  user_id: WireUserId;
  state: 'start' | 'stop';
  context: string | null;
  /** Treat a `start` as over after this long without another one. */
  expires_in_ms: number;
}

export interface NotificationEvent {
  type: 'notification';
  notification: WireNotification;
}

/** Notifications were marked read on one of the user's devices. */
export interface NotificationsReadEvent {
  type: 'notif.read';
  ids: string[] | null;
  unread_count: number;
}

/** Membership of a conversation changed; the user was added or removed, or someone else was. */
export interface MemberEvent {
  type: 'conv.member';
  conversation_id: string;
  user_id: WireUserId;
  change: 'added' | 'removed' | 'role';
  role: string | null;
  /** The conversation revision of this change (0 for the members a group was created with) (C5). */
  rev: number;
}

/** A group the user belongs to was edited (name, description, avatar, visibility). */
export interface GroupUpdatedEvent {
  type: 'group.updated';
  group: WireGroup;
}

/** A friendship event concerning the user. */
export interface FriendEvent {
  type: 'friend';
  change: 'request' | 'accepted' | 'declined' | 'removed' | 'cancelled';
  user: WireUser;
}

export type ServerEvent =
  | HelloEvent
  | PongEvent
  | ResultEvent
  | ErrorEvent
  | MessageEvent
  | MessageUpdatedEvent
  | ReadEvent
  | PresenceEvent
  | ReceiptEvent
  | TypingEvent
  | NotificationEvent
  | NotificationsReadEvent
  | MemberEvent
  | GroupUpdatedEvent
  | FriendEvent;

export type ServerEventType = ServerEvent['type'];
