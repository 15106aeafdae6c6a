import { parseConversationId, renderUserId } from '@parley/protocol';
import type { DomainEvent } from '../../../services/events.js';
import { iso } from '../../../wire/render.js';
import { PositionMemory } from '../shared/position-memory.js';
import { socketIoFrame } from '../socketio/socket-io-transport.js';
import { renderChat001, renderSystem001 } from './seed001-render.js';

/**
 * Seed 001's server events (names chosen by Parley; docs/compatibility.md): `new_message` (direct messages only:
 * the seed has no groups), `user_online` / `user_offline`, `messages_read` (the peer read up to readSeq),
 * `unread_count` (this user's counts changed on one of their devices), `system_message` and
 * `system_messages_read`.
 */
export class Seed001Encoder {
  private readonly positions = new PositionMemory();

  encode(event: DomainEvent): string | null {
    switch (event.type) {
      case 'message.created':
        if (parseConversationId(event.message.conversationId)?.kind !== 'dm') return null;
        return socketIoFrame(['new_message', renderChat001(event.message, false, event.sender)]);
      case 'presence.changed':
        return event.status === 'offline'
          ? socketIoFrame([
              'user_offline',
              { userId: renderUserId(event.userId), lastSeen: event.lastSeen === null ? null : iso(event.lastSeen) },
            ])
          : socketIoFrame(['user_online', { userId: renderUserId(event.userId), status: event.status }]);
      case 'receipt.updated': {
        if (parseConversationId(event.conversationId)?.kind !== 'dm') return null;
        const { read } = this.positions.moves(event);
        if (read === null) return null;
        const payload = {
          readerId: renderUserId(event.userId),
          conversationId: event.conversationId,
          readSeq: read.to,
        };
        return socketIoFrame(['messages_read', payload]);
      }
      case 'read.updated':
        return socketIoFrame([
          'unread_count',
          { conversationId: event.conversationId, unreadCount: event.unreadCount, totalUnread: event.totalUnread },
        ]);
      case 'notification.created':
        return socketIoFrame(['system_message', renderSystem001(event.notification)]);
      case 'notification.read':
        return socketIoFrame(['system_messages_read', { ids: event.ids, unreadCount: event.unreadCount }]);
      default:
        return null;
    }
  }
}
