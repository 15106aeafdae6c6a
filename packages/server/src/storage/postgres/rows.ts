/**
 * PostgreSQL returns the shared row shapes (int8 already numbers, see pg-db.ts). Statements name their columns rather
 * than `*`, so prepared statements of a running node keep working while a newer node adds columns (rolling upgrades).
 */
export * from '../rows.js';

export const USER_COLUMNS = 'id, username, display_name, avatar_url, created_at, last_seen_at, read_receipts';

export const MESSAGE_COLUMNS =
  'id, conversation_id, seq, sender_id, client_msg_id, kind, text, metadata, reply_to, created_at, deleted_at, rev';

export const CONVERSATION_COLUMNS =
  'id, kind, group_id, name, description, avatar_url, visibility, created_by, created_at, last_seq, last_message_at, last_rev';

export const MEMBER_COLUMNS = 'conversation_id, user_id, role, joined_at, delivered_seq, read_seq';

/** A row id as the API carries it (decimal digits), or null when it cannot name a bigint row. */
export function parseId(id: string): string | null {
  return /^\d{1,18}$/.test(id) ? id : null;
}
