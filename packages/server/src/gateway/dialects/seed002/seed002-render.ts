import { parseConversationId, renderUserId } from '@parley/protocol';
import type { MessageRecord, UserRecord } from '../../../storage/records.js';
import { hourMinute } from '../shared/seed-time.js';

/**
 * Seed 002's `new_message`: `session_id` is the Parley conversation id; `from` is the role the sender gave
 * (`role`, kept in the message's metadata; "user" when none); `time` is HH:MM UTC; `id` is the message id as a
 * string of digits (the seed's client turns it into an int for receipts); `offline` marks a message pushed on
 * register because this user's devices had not confirmed it yet; `sequence_number` is the message's position in
 * its conversation (the seed's column of that name).
 */
export function renderSeed002Message(m: MessageRecord, sender: UserRecord | undefined, offline: boolean) {
  const parsed = parseConversationId(m.conversationId);
  const to = parsed?.kind === 'dm' ? parsed.users.find((u) => u !== m.senderId) : undefined;
  const role = m.metadata && typeof m.metadata.role === 'string' ? m.metadata.role : 'user';
  return {
    id: m.id,
    session_id: m.conversationId,
    from: role,
    from_user_id: renderUserId(m.senderId),
    to_user_id: to === undefined ? null : renderUserId(to),
    text: m.text,
    time: hourMinute(m.createdAt),
    avatar: sender?.avatarUrl ?? null,
    message_type: m.kind,
    reply_to_message_id: m.replyTo === null ? null : Number(m.replyTo),
    status: 'sent',
    offline,
    sequence_number: m.seq,
  };
}
