import { parseConversationId, renderUserId } from '@parley/protocol';
import type { MessageRecord } from '../../../storage/records.js';
import { isoSeconds } from '../shared/seed-time.js';

/**
 * Seed 000's message object: integer ids, `receiver_id` for a private message or `group_id` for a group one,
 * `created_at` to the second. A soft-deleted message shows with empty content and `deleted: true`.
 */
export function renderSeed000Message(m: MessageRecord) {
  const parsed = parseConversationId(m.conversationId);
  const target =
    parsed?.kind === 'group'
      ? { group_id: parsed.groupId }
      : { receiver_id: renderUserId(parsed?.users.find((u) => u !== m.senderId) ?? m.senderId) };
  return {
    id: Number(m.id),
    sender_id: renderUserId(m.senderId),
    ...target,
    content: m.text,
    created_at: isoSeconds(m.createdAt),
    ...(m.deletedAt !== undefined ? { deleted: true } : {}),
  };
}
