import type { AppendResult, HistoryQuery, NewMessage } from '../records.js';
import type { MessageRepo } from '../store.js';
import type { SqliteDb } from './open-database.js';
import { type MessageRow, toMessage } from '../rows.js';

export function createSqliteMessageRepo(db: SqliteDb): MessageRepo {
  const findDuplicate = db.prepare<[string, string], MessageRow>(
    'SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?',
  );
  const bumpSeq = db.prepare<[number, string], { last_seq: number }>(
    'UPDATE conversations SET last_seq = last_seq + 1, last_message_at = ? WHERE id = ? RETURNING last_seq',
  );
  const insert = db.prepare(
    `INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, kind, text, metadata, reply_to, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const advanceSender = db.prepare(
    `UPDATE conversation_members SET read_seq = MAX(read_seq, @seq), delivered_seq = MAX(delivered_seq, @seq)
     WHERE conversation_id = @conversationId AND user_id = @userId`,
  );
  const senders = db.prepare<[string, number, number], { sender_id: string }>(
    'SELECT DISTINCT sender_id FROM messages WHERE conversation_id = ? AND seq > ? AND seq <= ?',
  );
  const byId = db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE id = ?');
  const after = db.prepare<[string, number, number, number], MessageRow>(
    'SELECT * FROM messages WHERE conversation_id = ? AND seq > ? AND seq < ? ORDER BY seq ASC LIMIT ?',
  );
  const before = db.prepare<[string, number, number], MessageRow>(
    'SELECT * FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
  );
  const latest = db.prepare<[string, number, number], MessageRow>(
    'SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?',
  );
  const markDeleted = db.prepare('UPDATE messages SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL');

  // One transaction for the whole batch: one fsync however many messages (group commit).
  const appendBatch = db.transaction((items: readonly NewMessage[]): AppendResult[] =>
    items.map((m) => {
      if (m.clientMsgId !== null) {
        const existing = findDuplicate.get(m.senderId, m.clientMsgId);
        if (existing) return { message: toMessage(existing), duplicate: true };
      }
      const bumped = bumpSeq.get(m.createdAt, m.conversationId);
      if (!bumped) throw new Error(`conversation ${m.conversationId} does not exist`);
      const metadata = m.metadata === null ? null : JSON.stringify(m.metadata);
      const replyTo = m.replyTo === null ? null : Number(m.replyTo);
      const { lastInsertRowid } = insert.run(
        m.conversationId,
        bumped.last_seq,
        m.senderId,
        m.clientMsgId,
        m.kind,
        m.text,
        metadata,
        replyTo,
        m.createdAt,
      );
      advanceSender.run({ seq: bumped.last_seq, conversationId: m.conversationId, userId: m.senderId });
      return {
        message: { ...m, id: String(lastInsertRowid), seq: bumped.last_seq },
        duplicate: false,
      };
    }),
  );

  return {
    async appendMessages(items) {
      return appendBatch(items);
    },
    async sendersBetween(conversationId, after, upTo) {
      if (upTo <= after) return [];
      return senders.all(conversationId, after, upTo).map((r) => r.sender_id);
    },
    async findByClientMsgId(senderId, clientMsgId) {
      const row = findDuplicate.get(senderId, clientMsgId);
      return row ? toMessage(row) : null;
    },
    async getMessage(id) {
      if (!/^\d{1,16}$/.test(id)) return null;
      const row = byId.get(id);
      return row ? toMessage(row) : null;
    },
    async softDeleteMessage(id, now) {
      if (!/^\d{1,16}$/.test(id)) return null;
      markDeleted.run(now, id);
      const row = byId.get(id);
      return row ? toMessage(row) : null;
    },
    async history(conversationId, q: HistoryQuery) {
      const take = q.limit + 1;
      let rows: MessageRow[];
      if (q.after !== undefined) {
        rows = after.all(conversationId, q.after, q.before ?? Number.MAX_SAFE_INTEGER, take);
        const hasMore = rows.length > q.limit;
        return { messages: rows.slice(0, q.limit).map(toMessage), hasMore };
      }
      rows =
        q.before !== undefined
          ? before.all(conversationId, q.before, take)
          : latest.all(conversationId, take, q.offset ?? 0);
      const hasMore = rows.length > q.limit;
      return { messages: rows.slice(0, q.limit).reverse().map(toMessage), hasMore };
    },
  };
}
