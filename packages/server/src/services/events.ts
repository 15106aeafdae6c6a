import type { PresenceStatus } from '@parley/protocol';
import type { ConversationRecord, MessageRecord, NotificationRecord, UserRecord } from '../storage/records.js';

/**
 * What services announce. Events travel the bus as plain JSON and are rendered at the edge, once per dialect.
 */
export type DomainEvent =
  | { type: 'message.created'; message: MessageRecord; sender: UserRecord }
  /** An existing message changed (deleted, and later edited, recalled, reacted to): its state now, at its new rev. */
  | { type: 'message.updated'; message: MessageRecord }
  | {
      type: 'read.updated';
      userId: string;
      conversationId: string;
      readSeq: number;
      unreadCount: number;
      totalUnread: number;
    }
  | {
      type: 'receipt.updated';
      conversationId: string;
      userId: string;
      deliveredSeq: number;
      /** Null when the user turned read receipts off. */
      readSeq: number | null;
    }
  | { type: 'presence.changed'; userId: string; status: PresenceStatus; lastSeen: number | null }
  | {
      type: 'typing';
      conversationId: string;
      userId: string;
      state: 'start' | 'stop';
      context: string | null;
      expiresInMs: number;
    }
  | { type: 'group.updated'; conversation: ConversationRecord; memberCount: number }
  | { type: 'notification.created'; notification: NotificationRecord }
  | { type: 'notification.read'; ids: string[] | null; unreadCount: number }
  | {
      type: 'member.changed';
      conversationId: string;
      userId: string;
      change: 'added' | 'removed' | 'role';
      role: string | null;
      /** The conversation revision of this change. */
      rev: number;
    }
  | { type: 'friend.changed'; change: 'request' | 'accepted' | 'declined' | 'removed' | 'cancelled'; user: UserRecord };

export type DomainEventType = DomainEvent['type'];

/** The conversation revision a live event carries, if it is a change of a conversation (C5). */
export function revOf(event: DomainEvent): { conversationId: string; rev: number } | null {
  switch (event.type) {
    case 'message.created':
    case 'message.updated':
      return { conversationId: event.message.conversationId, rev: event.message.rev };
    case 'member.changed':
      return event.rev > 0 ? { conversationId: event.conversationId, rev: event.rev } : null;
    default:
      return null;
  }
}
