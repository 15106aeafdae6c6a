import { parseConversationId } from '@parley/protocol';
import type { DomainEvent } from '../../../services/events.js';
import { nameOf } from '../shared/people.js';
import { unixSeconds } from '../shared/seed-time.js';
import { envelope, msgTypeOfKind } from './seed004-envelope.js';

/**
 * Seed 004 pushes `new_message` (a group message; a direct one has group_id null and a receiver_id) and
 * `notification` (the inbox's system notifications). The envelope's message_id is the message's or notification's.
 */
export function encodeSeed004(event: DomainEvent): string | null {
  if (event.type === 'message.created') {
    const m = event.message;
    const parsed = parseConversationId(m.conversationId);
    const peer = parsed?.kind === 'dm' ? parsed.users.find((u) => u !== m.senderId) : undefined;
    return envelope('new_message', m.id, m.createdAt, {
      message_id: m.id,
      group_id: parsed?.kind === 'group' ? String(parsed.groupId) : null,
      ...(peer !== undefined ? { receiver_id: peer } : {}),
      sender_id: m.senderId,
      sender_name: nameOf(event.sender, m.senderId),
      msg_type: msgTypeOfKind(m.kind),
      content: m.text,
      seq: m.seq,
      created_at: unixSeconds(m.createdAt),
    });
  }
  if (event.type === 'notification.created') {
    const n = event.notification;
    return envelope('notification', n.id, n.createdAt, {
      id: n.id,
      type: n.type,
      title: n.title,
      content: n.body,
      data: n.data,
      link: n.link,
      created_at: unixSeconds(n.createdAt),
    });
  }
  return null;
}
