import type { WireUserId } from './ids.js';

/** Timestamps on the wire are ISO-8601 strings in UTC with milliseconds. */
export type IsoTime = string;

export interface WireUser {
  id: WireUserId;
  username: string | null;
  display_name: string;
  avatar_url: string | null;
  created_at: IsoTime;
}

/** A user's presence: the strongest state of their devices (busy > online > away), offline with none. */
export type PresenceStatus = 'online' | 'away' | 'busy' | 'offline';

/** The states a device may set for itself. */
export type DeviceStatus = 'online' | 'away' | 'busy';

export interface WirePresence {
  user_id: WireUserId;
  status: PresenceStatus;
  /** When the user was last connected; null if never. While online it is the time of the latest connect. */
  last_seen: IsoTime | null;
}

export interface WireMessage {
  /** Server-assigned id, unique across the deployment. */
  id: string;
  conversation_id: string;
  /** Position in the conversation: strictly increasing from 1, no gaps among stored messages. */
  seq: number;
  sender_id: WireUserId;
  /** "text" by default; any other value names a typed payload carried in metadata. */
  kind: string;
  text: string;
  metadata: Record<string, unknown> | null;
  /** Id of the message this one replies to, in the same conversation. */
  reply_to: string | null;
  /** The sender's idempotency key, echoed back so the sender can match its outbox. */
  client_msg_id: string | null;
  created_at: IsoTime;
  /**
   * The conversation's change revision of this message's last change (its creation, or a later change such as a
   * deletion). A client holding a copy with a lower rev replaces it (C5).
   */
  rev: number;
  /** Set when the message was deleted for everyone: its content is withheld (kind "deleted", text ""). */
  deleted_at?: IsoTime;
}

export type GroupRole = 'owner' | 'admin' | 'member';
export type GroupVisibility = 'public' | 'private';

export interface WireGroup {
  id: number;
  conversation_id: string;
  name: string;
  description: string;
  avatar_url: string | null;
  visibility: GroupVisibility;
  member_count: number;
  created_by: WireUserId;
  created_at: IsoTime;
  /** The conversation's revision when this state was read (C5). */
  rev: number;
}

export interface WireGroupMember {
  user: WireUser;
  role: GroupRole;
  joined_at: IsoTime;
}

export interface WireConversation {
  id: string;
  kind: 'dm' | 'group';
  /** For a direct conversation: the other user. */
  peer: (WireUser & { presence: WirePresence }) | null;
  /** For a group conversation: the group. */
  group: WireGroup | null;
  last_message: WireMessage | null;
  last_seq: number;
  /** The revision of the conversation's last change: a client that applied every change up to it is current (C5). */
  last_rev: number;
  /** The caller's read position: every message with seq <= read_seq is read. */
  read_seq: number;
  /** Messages from others after read_seq. */
  unread_count: number;
  last_activity_at: IsoTime;
}

export interface WireFriend {
  user: WireUser;
  presence: WirePresence;
  since: IsoTime;
}

export interface WireFriendRequests {
  incoming: { user: WireUser; created_at: IsoTime }[];
  outgoing: { user: WireUser; created_at: IsoTime }[];
}

export interface WireHistoryPage {
  messages: WireMessage[];
  /** True when more messages exist beyond this page in the direction paged. */
  has_more: boolean;
}

/** A member's positions in a conversation. */
export interface WireReceipt {
  user_id: WireUserId;
  /** Highest seq a device of the user confirmed receiving. */
  delivered_seq: number;
  /** Highest seq the user read; null when they turned read receipts off. */
  read_seq: number | null;
}

export interface WireDevice {
  device_id: string;
  name: string | null;
  type: 'desktop' | 'mobile' | 'web' | 'other';
  platform: string | null;
  app_version: string | null;
  has_push_token: boolean;
  created_at: IsoTime;
  last_seen_at: IsoTime;
  revoked_at: IsoTime | null;
  /** True for the device making the request. */
  current: boolean;
  /** Connections this device has open right now (on this node). */
  online: boolean;
}

export interface WireNotification {
  id: string;
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown> | null;
  link: string | null;
  created_at: IsoTime;
  read_at: IsoTime | null;
}

/** What a sync did for one conversation. */
export interface WireSyncConversation {
  conversation_id: string;
  /** The position the client had (or the server assumed: its read position). */
  from: number;
  /** The conversation's last seq when the sync began. */
  last_seq: number;
  /** The revision the replay started after (the client's), or null when it replayed by seq only (C5). */
  from_rev: number | null;
  /** The conversation's change revision when the sync read it. */
  last_rev: number;
  /** How many msg.new frames the sync sent for it (all before the result). */
  replayed: number;
  /**
   * True when more than the replay limit was missed: nothing after `from` was replayed; page through
   * msg.history (after: from) instead. The server never drops such a gap silently.
   */
  must_page: boolean;
}
