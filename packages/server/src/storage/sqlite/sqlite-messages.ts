import type { AppendResult, HistoryQuery, NewMessage } from '../records.js';
import type { MessageRepo } from '../store.js';
import type { SqliteDb } from './open-database.js';
import { type MessageRow, toMessage } from '../rows.js';

export function createSqliteMessageRepo(db: SqliteDb): MessageRepo {
  const findDuplicate = db.prepare<[string, string], MessageRow>(
    'SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?',
  );
  const lastSeq = db.prepare<[string], { last_seq: number; last_rev: number }>(
    'SELECT last_seq, last_rev FROM conversations WHERE id = ?',
  );
  const setLastSeq = db.prepare(
    'UPDATE conversations SET last_seq = ?, last_rev = ?, last_message_at = ? WHERE id = ?',
  );
  // A duplicate (sender, client_msg_id) inserts nothing: the unique index settles it, without a lookup first.
  const insert = db.prepare(
    `INSERT INTO messages (conversation_id, seq, rev, sender_id, client_msg_id, kind, text, metadata, reply_to, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL DO NOTHING`,
  );
  const advanceSender = db.prepare<[number, number, string, string]>(
    `UPDATE conversation_members SET read_seq = MAX(read_seq, ?), delivered_seq = MAX(delivered_seq, ?)
     WHERE conversation_id = ? AND user_id = ?`,
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
  const bumpRev = db.prepare<[string], { last_rev: number }>(
    'UPDATE conversations SET last_rev = last_rev + 1 WHERE id = ? RETURNING last_rev',
  );
  const markDeleted = db.prepare('UPDATE messages SET deleted_at = ?, rev = ? WHERE id = ? AND deleted_at IS NULL');
  /** A deletion is a change: the message takes the conversation's next revision, once. */
  const softDelete = db.transaction((id: string, now: number): MessageRow | undefined => {
    const row = byId.get(id);
    if (!row || (row.deleted_at !== null && row.deleted_at !== undefined)) return row;
    const rev = (bumpRev.get(row.conversation_id) as { last_rev: number }).last_rev;
    markDeleted.run(now, rev, id);
    return byId.get(id);
  });


  /**
   * One transaction for the whole batch: one fsync however many messages (group commit). Each conversation's
   * last_seq is read once and written once per batch; a seq is taken only by a row really inserted, so seqs stay
   * gap-free (D3), and a duplicate returns the stored original (D2).
   */
  const appendBatch = db.transaction((items: readonly NewMessage[]): AppendResult[] => {
    const seqs = new Map<string, { seq: number; rev: number; at: number; changed: boolean }>();
    const senderSeqs = new Map<string, { conversationId: string; senderId: string; seq: number }>();
    const results = items.map((m): AppendResult => {
      let conv = seqs.get(m.conversationId);
      if (!conv) {
        const row = lastSeq.get(m.conversationId);
        if (!row) throw new Error(`conversation ${m.conversationId} does not exist`);
        conv = { seq: row.last_seq, rev: row.last_rev, at: 0, changed: false };
        seqs.set(m.conversationId, conv);
      }
      const seq = conv.seq + 1;
      const rev = conv.rev + 1;
      const { changes, lastInsertRowid } = insert.run(
        m.conversationId,
        seq,
        rev,
        m.senderId,
        m.clientMsgId,
        m.kind,
        m.text,
        m.metadata === null ? null : JSON.stringify(m.metadata),
        m.replyTo === null ? null : Number(m.replyTo),
        m.createdAt,
      );
      if (changes === 0) {
        const existing = m.clientMsgId === null ? undefined : findDuplicate.get(m.senderId, m.clientMsgId);
        if (!existing) throw new Error(`message ${m.conversationId}#${seq} was not inserted`);
        return { message: toMessage(existing), duplicate: true };
      }
      conv.seq = seq;
      conv.rev = rev;
      conv.at = Math.max(conv.at, m.createdAt);
      conv.changed = true;
      const key = `${m.conversationId}\u0000${m.senderId}`;
      const sender = senderSeqs.get(key);
      if (sender) sender.seq = seq;
      else senderSeqs.set(key, { conversationId: m.conversationId, senderId: m.senderId, seq });
      return { message: { ...m, id: String(lastInsertRowid), seq, rev }, duplicate: false };
    });
    for (const [id, conv] of seqs) if (conv.changed) setLastSeq.run(conv.seq, conv.rev, conv.at, id);
    // The sender has read and received what they sent.
    for (const s of senderSeqs.values()) advanceSender.run(s.seq, s.seq, s.conversationId, s.senderId);
    return results;
  });

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
      const row = softDelete(id, now);
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
