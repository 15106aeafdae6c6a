import { parseConversationId, renderUserId } from '@parley/protocol';
import type { DomainEvent } from '../../../services/events.js';
import type { Obj } from '../../../validation/validate.js';
import { BoundedMap } from '../shared/bounded-map.js';
import { nameOf } from '../shared/people.js';
import { isoSeconds } from '../shared/seed-time.js';

/**
 * Seed 003's pushes: `chat`, `typing`, `notification`, and presence as two events: `user_status` when a user comes
 * online or goes offline, `presence` when a connected user's state changes (online / away / busy), with the
 * `data` that user last gave in a `presence` frame. Who is online, and that data, are remembered per node
 * (bounded): going offline, or coming online when not known to be online, is a `user_status`; away / busy, or
 * online again, is a `presence`. This encoder is the one stateful part of the dialect.
 */
export class Seed003Encoder {
  private readonly online = new BoundedMap<string, boolean>(100_000);
  /** The `data` of each user's last `presence` frame (e.g. `{device: "mobile"}`), shown in `presence` events. */
  readonly presenceData = new BoundedMap<string, Obj>(100_000);

  encode(event: DomainEvent): string | null {
    switch (event.type) {
      case 'message.created': {
        const m = event.message;
        const at = isoSeconds(m.createdAt);
        const parsed = parseConversationId(m.conversationId);
        const data = {
          from_user_id: renderUserId(m.senderId),
          from_username: nameOf(event.sender, m.senderId),
          message: m.text,
          timestamp: at,
          message_id: Number(m.id),
          conversation_id: m.conversationId,
          ...(parsed?.kind === 'group' ? { group_id: parsed.groupId } : {}),
        };
        return JSON.stringify({ type: 'chat', data, timestamp: at });
      }
      case 'typing':
        return JSON.stringify({
          type: 'typing',
          data: {
            user_id: renderUserId(event.userId),
            is_typing: event.state === 'start',
            context: event.context ?? event.conversationId,
            conversation_id: event.conversationId,
          },
        });
      case 'presence.changed': {
        const online = event.status !== 'offline';
        const known = this.online.get(event.userId) === true;
        if (online) this.online.set(event.userId, true);
        else this.online.delete(event.userId);
        const user_id = renderUserId(event.userId);
        if (!online || (!known && event.status === 'online')) {
          const timestamp = isoSeconds(event.lastSeen ?? 0);
          return JSON.stringify({
            type: 'user_status',
            data: { user_id, status: online ? 'online' : 'offline', timestamp },
          });
        }
        const data = this.presenceData.get(event.userId) ?? {};
        return JSON.stringify({ type: 'presence', data: { user_id, status: event.status, data } });
      }
      case 'notification.created': {
        const n = event.notification;
        const at = isoSeconds(n.createdAt);
        return JSON.stringify({
          type: 'notification',
          notification_type: n.type,
          data: {
            id: Number(n.id),
            type: n.type,
            title: n.title,
            message: n.body,
            data: n.data,
            link: n.link,
            created_at: at,
          },
          timestamp: at,
        });
      }
      default:
        return null;
    }
  }
}
