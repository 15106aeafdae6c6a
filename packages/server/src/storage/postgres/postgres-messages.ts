import type { AppendResult, HistoryQuery, MessageRecord, NewMessage } from '../records.js';
import type { MessageRepo } from '../store.js';
import type { PgDb, Sql } from './pg-db.js';
import { uniqueViolation } from './pg-errors.js';
import { MESSAGE_COLUMNS, type MessageRow, parseId, toMessage } from './rows.js';

const key = (senderId: string, clientMsgId: string) => `${senderId}\u0000${clientMsgId}`;

/**
 * One batch in one transaction, a fixed number of statements however many messages (group commit):
 * 1. find the (sender, client id) pairs already stored: those items return the original, consuming no seq;
 * 2. lock the batch's conversation rows in id order (several writers never deadlock) and bump each last_seq by its
 *    count of new messages in one UPDATE ... RETURNING: the row lock serializes seq assignment across processes;
 * 3. insert every new message in one multi-row INSERT (unnest of column arrays);
 * 4. move each sender's read and delivered positions to their last new seq in one UPDATE.
 * A concurrent writer storing the same (sender, client id) first makes step 3 fail on the unique index; the
 * transaction rolls back (no seq consumed) and runs again, and step 1 then finds the original.
 */
async function appendBatch(sql: Sql, items: readonly NewMessage[]): Promise<AppendResult[]> {
  const results: AppendResult[] = new Array(items.length);
  const stored = new Map<string, MessageRecord>();
  const keyed = items.filter((m) => m.clientMsgId !== null);
  if (keyed.length > 0) {
    const rows = await sql.rows<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS.replace(/(\w+)/g, 'm.$1')} FROM messages m
       JOIN unnest($1::text[], $2::text[]) AS k(sender_id, client_msg_id)
         ON m.sender_id = k.sender_id AND m.client_msg_id = k.client_msg_id`,
      [keyed.map((m) => m.senderId), keyed.map((m) => m.clientMsgId)],
    );
    for (const r of rows) stored.set(key(r.sender_id, r.client_msg_id as string), toMessage(r));
  }

  const fresh: number[] = [];
  const firstInBatch = new Map<string, number>();
  const sameAs = new Map<number, number>();
  for (const [i, m] of items.entries()) {
    if (m.clientMsgId !== null) {
      const k = key(m.senderId, m.clientMsgId);
      const original = stored.get(k);
      if (original) {
        results[i] = { message: original, duplicate: true };
        continue;
      }
      const first = firstInBatch.get(k);
      if (first !== undefined) {
        sameAs.set(i, first);
        continue;
      }
      firstInBatch.set(k, i);
    }
    fresh.push(i);
  }
  if (fresh.length === 0) return results;

  const perConversation = new Map<string, { count: number; lastAt: number }>();
  for (const i of fresh) {
    const m = items[i] as NewMessage;
    const c = perConversation.get(m.conversationId);
    if (c) {
      c.count++;
      c.lastAt = m.createdAt;
    } else perConversation.set(m.conversationId, { count: 1, lastAt: m.createdAt });
  }
  const ids = [...perConversation.keys()].sort();
  if (ids.length > 1) {
    await sql.rows('SELECT id FROM conversations WHERE id = ANY($1::text[]) ORDER BY id COLLATE "C" FOR UPDATE', [ids]);
  }
  const bumped = await sql.rows<{ id: string; last_seq: number; last_rev: number }>(
    `UPDATE conversations c SET last_seq = c.last_seq + v.n, last_rev = c.last_rev + v.n, last_message_at = v.at
     FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v(id, n, at)
     WHERE c.id = v.id RETURNING c.id, c.last_seq, c.last_rev`,
    [ids, ids.map((id) => perConversation.get(id)?.count), ids.map((id) => perConversation.get(id)?.lastAt)],
  );
  if (bumped.length !== ids.length) {
    const found = new Set(bumped.map((b) => b.id));
    throw new Error(`conversation ${ids.find((id) => !found.has(id))} does not exist`);
  }
  const nextSeq = new Map(bumped.map((b) => [b.id, b.last_seq - (perConversation.get(b.id)?.count ?? 0) + 1]));
  // each new message is also the conversation's next change: its revision advances with its seq
  const revOffset = new Map(bumped.map((b) => [b.id, b.last_rev - b.last_seq]));

  const seqs = fresh.map((i) => {
    const conversationId = (items[i] as NewMessage).conversationId;
    const seq = nextSeq.get(conversationId) as number;
    nextSeq.set(conversationId, seq + 1);
    return seq;
  });
  const batch = fresh.map((i) => items[i] as NewMessage);
  const revs = batch.map((m, j) => (seqs[j] as number) + (revOffset.get(m.conversationId) as number));
  const inserted = await sql.rows<{ id: number; conversation_id: string; seq: number }>(
    `INSERT INTO messages (conversation_id, seq, rev, sender_id, client_msg_id, kind, text, metadata, reply_to, created_at)
     SELECT * FROM unnest($1::text[], $2::bigint[], $10::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
                          $7::text[], $8::bigint[], $9::bigint[])
     RETURNING id, conversation_id, seq`,
    [
      batch.map((m) => m.conversationId),
      seqs,
      batch.map((m) => m.senderId),
      batch.map((m) => m.clientMsgId),
      batch.map((m) => m.kind),
      batch.map((m) => m.text),
      batch.map((m) => (m.metadata === null ? null : JSON.stringify(m.metadata))),
      batch.map((m) => m.replyTo),
      batch.map((m) => m.createdAt),
      revs,
    ],
  );
  const idOf = new Map(inserted.map((r) => [`${r.conversation_id}\u0000${r.seq}`, String(r.id)]));

  const senderSeq = new Map<string, { conversationId: string; userId: string; seq: number }>();
  for (const [j, m] of batch.entries()) {
    senderSeq.set(`${m.conversationId}\u0000${m.senderId}`, {
      conversationId: m.conversationId,
      userId: m.senderId,
      seq: seqs[j] as number,
    });
  }
  const moves = [...senderSeq.values()];
  await sql.run(
    `UPDATE conversation_members m
     SET read_seq = GREATEST(m.read_seq, v.seq), delivered_seq = GREATEST(m.delivered_seq, v.seq)
     FROM unnest($1::text[], $2::text[], $3::bigint[]) AS v(conversation_id, user_id, seq)
     WHERE m.conversation_id = v.conversation_id AND m.user_id = v.user_id`,
    [moves.map((x) => x.conversationId), moves.map((x) => x.userId), moves.map((x) => x.seq)],
  );

  for (const [j, i] of fresh.entries()) {
    const m = batch[j] as NewMessage;
    const seq = seqs[j] as number;
    results[i] = {
      message: { ...m, id: idOf.get(`${m.conversationId}\u0000${seq}`) as string, seq, rev: revs[j] as number },
      duplicate: false,
    };
  }
  for (const [i, first] of sameAs) results[i] = { message: (results[first] as AppendResult).message, duplicate: true };
  return results;
}

export function createPostgresMessageRepo(db: PgDb): MessageRepo {
  const racedOnClientId = (err: unknown) => uniqueViolation(err) === 'messages_sender_client_id';
  return {
    appendMessages(items) {
      if (items.length === 0) return Promise.resolve([]);
      return db.tx((sql) => appendBatch(sql, items), racedOnClientId);
    },
    async sendersBetween(conversationId, after, upTo) {
      if (upTo <= after) return [];
      const rows = await db.rows<{ sender_id: string }>(
        'SELECT DISTINCT sender_id FROM messages WHERE conversation_id = $1 AND seq > $2 AND seq <= $3',
        [conversationId, after, upTo],
      );
      return rows.map((r) => r.sender_id);
    },
    async findByClientMsgId(senderId, clientMsgId) {
      const row = await db.one<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE sender_id = $1 AND client_msg_id = $2`,
        [senderId, clientMsgId],
      );
      return row ? toMessage(row) : null;
    },
    async softDeleteMessage(id, now) {
      const n = parseId(id);
      if (n === null) return null;
      // A deletion is a change: once, under the conversation's next revision (the conversation row lock orders it).
      const row = await db.tx(async (sql) => {
        const bumped = await sql.one<MessageRow>(
          `WITH target AS (SELECT conversation_id FROM messages WHERE id = $1 AND deleted_at IS NULL),
             bump AS (
               UPDATE conversations c SET last_rev = c.last_rev + 1 FROM target
               WHERE c.id = target.conversation_id RETURNING c.last_rev
             )
           UPDATE messages SET deleted_at = $2, rev = bump.last_rev FROM bump
           WHERE id = $1 AND deleted_at IS NULL RETURNING ${MESSAGE_COLUMNS.split(', ').map((c) => `messages.${c}`).join(', ')}`,
          [n, now],
        );
        return bumped ?? (await sql.one<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = $1`, [n]));
      });
      return row ? toMessage(row) : null;
    },
    async getMessage(id) {
      const n = parseId(id);
      if (n === null) return null;
      const row = await db.one<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = $1`, [n]);
      return row ? toMessage(row) : null;
    },
    async history(conversationId, q: HistoryQuery) {
      const take = q.limit + 1;
      if (q.after !== undefined) {
        const rows = await db.rows<MessageRow>(
          `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND seq > $2 AND seq < $3
           ORDER BY seq ASC LIMIT $4`,
          [conversationId, q.after, q.before ?? Number.MAX_SAFE_INTEGER, take],
        );
        return { messages: rows.slice(0, q.limit).map(toMessage), hasMore: rows.length > q.limit };
      }
      const rows =
        q.before !== undefined
          ? await db.rows<MessageRow>(
              `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`,
              [conversationId, q.before, take],
            )
          : await db.rows<MessageRow>(
              `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 ORDER BY seq DESC LIMIT $2 OFFSET $3`,
              [conversationId, take, q.offset ?? 0],
            );
      return { messages: rows.slice(0, q.limit).reverse().map(toMessage), hasMore: rows.length > q.limit };
    },
  };
}
