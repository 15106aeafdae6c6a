import { renderUserId, type ServerEvent } from '@parley/protocol';
import type { DomainEvent } from '../../services/events.js';
import { iso, renderGroup, renderMessage, renderNotification, renderUser } from '../../wire/render.js';

/** Domain events as canonical protocol v1 frames. */
export function toCanonicalEvent(event: DomainEvent): ServerEvent {
  switch (event.type) {
    case 'message.created':
      return { type: 'msg.new', message: renderMessage(event.message) };
    case 'message.updated':
      return { type: 'msg.updated', message: renderMessage(event.message) };
    case 'read.updated':
      return {
        type: 'conv.read',
        conversation_id: event.conversationId,
        read_seq: event.readSeq,
        unread_count: event.unreadCount,
        total_unread: event.totalUnread,
      };
    case 'presence.changed':
      return {
        type: 'presence',
        user_id: renderUserId(event.userId),
        status: event.status,
        last_seen: event.lastSeen === null ? null : iso(event.lastSeen),
      };
    case 'member.changed':
      return {
        type: 'conv.member',
        conversation_id: event.conversationId,
        user_id: renderUserId(event.userId),
        change: event.change,
        role: event.role,
        rev: event.rev,
      };
    case 'friend.changed':
      return { type: 'friend', change: event.change, user: renderUser(event.user) };
    case 'receipt.updated':
      return {
        type: 'receipt',
        conversation_id: event.conversationId,
        user_id: renderUserId(event.userId),
        delivered_seq: event.deliveredSeq,
        read_seq: event.readSeq,
      };
    case 'typing':
      return {
        type: 'typing',
        conversation_id: event.conversationId,
        user_id: renderUserId(event.userId),
        state: event.state,
        context: event.context,
        expires_in_ms: event.expiresInMs,
      };
    case 'group.updated':
      return {
        type: 'group.updated',
        group: renderGroup({ conversation: event.conversation, memberCount: event.memberCount }),
      };
    case 'notification.created':
      return { type: 'notification', notification: renderNotification(event.notification) };
    case 'notification.read':
      return { type: 'notif.read', ids: event.ids, unread_count: event.unreadCount };
  }
}
