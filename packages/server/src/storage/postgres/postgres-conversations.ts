import type { MemberRole, PositionAdvance, PositionMove, PositionResult, UserConversationRow } from '../records.js';
import type { ConversationRepo } from '../store.js';
import type { PgDb, Sql } from './pg-db.js';
import {
  CONVERSATION_COLUMNS,
  type ConversationRow,
  MEMBER_COLUMNS,
  type MemberRow,
  type MessageRow,
  MESSAGE_COLUMNS,
  type ChangeRow,
  toChange,
  toConversation,
  toMember,
  toMessage,
} from './rows.js';

type ListRow = ConversationRow & {
  m_role: MemberRole;
  m_joined_at: number;
  m_delivered_seq: number;
  m_read_seq: number;
  unread: number;
  member_count: number;
  lm_id: number | null;
  lm_sender_id: string;
  lm_client_msg_id: string | null;
  lm_kind: string;
  lm_text: string;
  lm_metadata: string | null;
  lm_reply_to: number | null;
  lm_created_at: number;
  lm_deleted_at: number | null;
  lm_rev: number;
};

/**
 * Unread = messages from others after the read position. Your own messages are never after it (sending moves it,
 * and joining starts it at the last seq), so it is last_seq - read_seq minus the deleted ones after it: no row count.
 */
const UNREAD = `(c.last_seq - m.read_seq - (SELECT COUNT(*) FROM messages x
    WHERE x.conversation_id = m.conversation_id AND x.seq > m.read_seq AND x.deleted_at IS NOT NULL))`;
const MEMBER_JOIN = 'conversation_members m JOIN conversations c ON c.id = m.conversation_id';

export function createPostgresConversationRepo(db: PgDb): ConversationRepo {
  const get = `SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE id = $1`;
  // Adds the members not yet there; RETURNING names exactly those added. A member starts having read and received
  // everything sent before they joined.
  const insertMembers = `INSERT INTO conversation_members (conversation_id, user_id, role, joined_at, read_seq, delivered_seq)
    SELECT c.id, u, $3, $4, c.last_seq, c.last_seq FROM unnest($2::text[]) AS u, conversations c WHERE c.id = $1
    ON CONFLICT DO NOTHING RETURNING user_id`;

  /**
   * Moves many members' positions forward in one statement (no read-then-write race between nodes): each clamped to
   * the conversation's last seq, the read position dragging the delivered one along. Rows are locked in key order,
   * so concurrent batches cannot deadlock each other. A key given twice is merged (the highest seqs): the first
   * result for it carries the move, later ones none.
   */
  const advanceMany = async (items: readonly PositionAdvance[]): Promise<PositionResult[]> => {
    const merged = new Map<string, { conversationId: string; userId: string; delivered: number; read: number }>();
    for (const a of items) {
      const k = `${a.conversationId}\u0000${a.userId}`;
      const m = merged.get(k);
      if (m) {
        m.delivered = Math.max(m.delivered, a.deliveredSeq ?? 0);
        m.read = Math.max(m.read, a.readSeq ?? 0);
      } else {
        merged.set(k, { conversationId: a.conversationId, userId: a.userId, delivered: a.deliveredSeq ?? 0, read: a.readSeq ?? 0 });
      }
    }
    const v = [...merged.values()];
    const rows = await db.tx((sql) =>
      sql.rows<{
        conversation_id: string;
        user_id: string;
        read_before: number;
        read_after: number;
        delivered_before: number;
        delivered_after: number;
      }>(
        `WITH v AS (
           SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS v(conversation_id, user_id, delivered, read)
         ), old AS (
           SELECT m.conversation_id, m.user_id, m.read_seq, m.delivered_seq FROM conversation_members m
           JOIN v ON v.conversation_id = m.conversation_id AND v.user_id = m.user_id
           ORDER BY m.conversation_id COLLATE "C", m.user_id COLLATE "C" FOR UPDATE OF m
         )
         UPDATE conversation_members m SET
           read_seq = GREATEST(m.read_seq, LEAST(v.read, c.last_seq)),
           delivered_seq = GREATEST(m.delivered_seq, LEAST(GREATEST(v.delivered, v.read), c.last_seq))
         FROM v, conversations c, old
         WHERE m.conversation_id = v.conversation_id AND m.user_id = v.user_id AND c.id = m.conversation_id
           AND old.conversation_id = m.conversation_id AND old.user_id = m.user_id
         RETURNING m.conversation_id, m.user_id, old.read_seq AS read_before, m.read_seq AS read_after,
           old.delivered_seq AS delivered_before, m.delivered_seq AS delivered_after`,
        [v.map((x) => x.conversationId), v.map((x) => x.userId), v.map((x) => x.delivered), v.map((x) => x.read)],
      ),
    );
    const byKey = new Map(rows.map((r) => [`${r.conversation_id}\u0000${r.user_id}`, r]));
    const seen = new Set<string>();
    return items.map((a) => {
      const k = `${a.conversationId}\u0000${a.userId}`;
      const r = byKey.get(k);
      if (!r) return { delivered: { before: 0, after: 0 }, read: { before: 0, after: 0 } };
      if (seen.has(k)) {
        return {
          delivered: { before: r.delivered_after, after: r.delivered_after },
          read: { before: r.read_after, after: r.read_after },
        };
      }
      seen.add(k);
      return {
        delivered: { before: r.delivered_before, after: r.delivered_after },
        read: { before: r.read_before, after: r.read_after },
      };
    });
  };

  /**
   * Records changes under the conversation's next revisions (one per user id, in order), in the caller's
   * transaction; the conversation row's update lock orders them against every other change of the conversation.
   */
  const recordChanges = async (
    sql: Sql,
    conversationId: string,
    kind: string,
    userIds: readonly (string | null)[],
    role: string | null,
    now: number,
  ): Promise<number[]> => {
    const bumped = await sql.one<{ last_rev: number }>(
      'UPDATE conversations SET last_rev = last_rev + $2 WHERE id = $1 RETURNING last_rev',
      [conversationId, userIds.length],
    );
    const first = (bumped?.last_rev ?? 0) - userIds.length + 1;
    const revs = userIds.map((_, i) => first + i);
    await sql.run(
      `INSERT INTO conversation_changes (conversation_id, rev, kind, user_id, role, created_at)
       SELECT $1, r, $3, u, $5, $6 FROM unnest($2::bigint[], $4::text[]) AS v(r, u)`,
      [conversationId, revs, kind, userIds, role, now],
    );
    return revs;
  };

  function toListRow(r: ListRow, userId: string): UserConversationRow {
    const lastMessage: MessageRow | null =
      r.lm_id === null
        ? null
        : {
            id: r.lm_id,
            conversation_id: r.id,
            seq: r.last_seq,
            sender_id: r.lm_sender_id,
            client_msg_id: r.lm_client_msg_id,
            kind: r.lm_kind,
            text: r.lm_text,
            metadata: r.lm_metadata,
            reply_to: r.lm_reply_to,
            created_at: r.lm_created_at,
            deleted_at: r.lm_deleted_at,
            rev: r.lm_rev,
          };
    return {
      conversation: toConversation(r),
      member: {
        conversationId: r.id,
        userId,
        role: r.m_role,
        joinedAt: r.m_joined_at,
        deliveredSeq: r.m_delivered_seq,
        readSeq: r.m_read_seq,
      },
      lastMessage: lastMessage && toMessage(lastMessage),
      unreadCount: r.unread,
      memberCount: r.member_count,
    };
  }

  return {
    async ensureDm(id, a, b, now) {
      await db.tx(async (sql) => {
        const created = await sql.run(
          `INSERT INTO conversations (id, kind, created_by, created_at) VALUES ($1, 'dm', $2, $3)
           ON CONFLICT (id) DO NOTHING`,
          [id, a, now],
        );
        if (created > 0) await sql.run(insertMembers, [id, [a, b], 'member', now]);
      });
    },
    async createGroup(g, ownerId, memberIds, now) {
      return db.tx(async (sql) => {
        const { group_id: groupId } = (await sql.one<{ group_id: number }>(
          "SELECT nextval('group_ids') AS group_id",
        )) as { group_id: number };
        const id = `g:${groupId}`;
        const row = (await sql.one<ConversationRow>(
          `INSERT INTO conversations (id, kind, group_id, name, description, avatar_url, visibility, created_by, created_at)
           VALUES ($1, 'group', $2, $3, $4, $5, $6, $7, $8) RETURNING ${CONVERSATION_COLUMNS}`,
          [id, groupId, g.name, g.description, g.avatarUrl, g.visibility, ownerId, now],
        )) as ConversationRow;
        await sql.run(insertMembers, [id, [ownerId], 'owner', now]);
        await sql.run(insertMembers, [id, memberIds.filter((m) => m !== ownerId), 'member', now]);
        return toConversation(row);
      });
    },
    async getConversation(id) {
      const row = await db.one<ConversationRow>(get, [id]);
      return row ? toConversation(row) : null;
    },
    async updateGroup(id, patch, now = Date.now()) {
      const row = await db.tx(async (sql) => {
        const updated = await sql.one<{ id: string }>(
        `UPDATE conversations SET
           name = CASE WHEN $2 THEN $3 ELSE name END,
           description = CASE WHEN $4 THEN $5 ELSE description END,
           avatar_url = CASE WHEN $6 THEN $7 ELSE avatar_url END,
           visibility = CASE WHEN $8 THEN $9 ELSE visibility END
         WHERE id = $1 AND kind = 'group' RETURNING id`,
        [
          id,
          patch.name !== undefined,
          patch.name ?? null,
          patch.description !== undefined,
          patch.description ?? null,
          patch.avatarUrl !== undefined,
          patch.avatarUrl ?? null,
          patch.visibility !== undefined,
          patch.visibility ?? null,
        ],
        );
        const given = Object.values(patch).some((v) => v !== undefined);
        if (updated && given) await recordChanges(sql, id, 'group.updated', [null], null, now);
        return sql.one<ConversationRow>(get, [id]);
      });
      return row ? toConversation(row) : null;
    },
    async getMember(conversationId, userId) {
      const row = await db.one<MemberRow>(
        `SELECT ${MEMBER_COLUMNS} FROM conversation_members WHERE conversation_id = $1 AND user_id = $2`,
        [conversationId, userId],
      );
      return row ? toMember(row) : null;
    },
    async listMembers(conversationId) {
      const rows = await db.rows<MemberRow>(
        `SELECT ${MEMBER_COLUMNS} FROM conversation_members WHERE conversation_id = $1 ORDER BY joined_at, user_id COLLATE "C"`,
        [conversationId],
      );
      return rows.map(toMember);
    },
    async memberCount(conversationId) {
      const row = await db.one<{ n: number }>(
        'SELECT COUNT(*) AS n FROM conversation_members WHERE conversation_id = $1',
        [conversationId],
      );
      return row?.n ?? 0;
    },
    async addMembers(conversationId, userIds, role, now) {
      if (userIds.length === 0) return [];
      return db.tx(async (sql) => {
        const rows = await sql.rows<{ user_id: string }>(insertMembers, [conversationId, userIds, role, now]);
        const added = new Set(rows.map((r) => r.user_id));
        const ordered = userIds.filter((u) => added.delete(u));
        if (ordered.length === 0) return [];
        const revs = await recordChanges(sql, conversationId, 'member.added', ordered, role, now);
        return ordered.map((userId, i) => ({ userId, rev: revs[i] as number }));
      });
    },
    async removeMember(conversationId, userId, now = Date.now()) {
      return db.tx(async (sql) => {
        const n = await sql.run('DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2', [
          conversationId,
          userId,
        ]);
        if (n === 0) return null;
        return (await recordChanges(sql, conversationId, 'member.removed', [userId], null, now))[0] as number;
      });
    },
    async setRole(conversationId, userId, role, now = Date.now()) {
      return db.tx(async (sql) => {
        const n = await sql.run(
          'UPDATE conversation_members SET role = $3 WHERE conversation_id = $1 AND user_id = $2',
          [conversationId, userId, role],
        );
        if (n === 0) return null;
        return (await recordChanges(sql, conversationId, 'member.role', [userId], role, now))[0] as number;
      });
    },
    async changesSince(conversationId, rev, limit) {
      // lastRev first: whatever the reads below see is at least as new, so nothing at or below it can be missed
      const conv = await db.one<{ last_rev: number }>('SELECT last_rev FROM conversations WHERE id = $1', [
        conversationId,
      ]);
      const [messages, changes] = await Promise.all([
        db.rows<MessageRow>(
          `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND rev > $2 ORDER BY rev ASC LIMIT $3`,
          [conversationId, rev, limit],
        ),
        db.rows<ChangeRow>(
          `SELECT conversation_id, rev, kind, user_id, role, created_at FROM conversation_changes
           WHERE conversation_id = $1 AND rev > $2 ORDER BY rev ASC LIMIT $3`,
          [conversationId, rev, limit],
        ),
      ]);
      return { messages: messages.map(toMessage), changes: changes.map(toChange), lastRev: conv?.last_rev ?? 0 };
    },
    async listUserConversations(userId) {
      const rows = await db.rows<ListRow>(
        `SELECT c.id, c.kind, c.group_id, c.name, c.description, c.avatar_url, c.visibility, c.created_by,
           c.created_at, c.last_seq, c.last_message_at, c.last_rev,
           m.role AS m_role, m.joined_at AS m_joined_at, m.delivered_seq AS m_delivered_seq, m.read_seq AS m_read_seq,
           ${UNREAD} AS unread,
           (SELECT COUNT(*) FROM conversation_members y WHERE y.conversation_id = c.id) AS member_count,
           lm.id AS lm_id, lm.sender_id AS lm_sender_id, lm.client_msg_id AS lm_client_msg_id, lm.kind AS lm_kind,
           lm.text AS lm_text, lm.metadata AS lm_metadata, lm.reply_to AS lm_reply_to, lm.created_at AS lm_created_at,
           lm.deleted_at AS lm_deleted_at, lm.rev AS lm_rev
         FROM conversation_members m
         JOIN conversations c ON c.id = m.conversation_id
         LEFT JOIN messages lm ON lm.conversation_id = c.id AND lm.seq = c.last_seq
         WHERE m.user_id = $1 AND (c.kind = 'group' OR c.last_seq > 0)
         ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.id COLLATE "C"`,
        [userId],
      );
      return rows.map((r) => toListRow(r, userId));
    },
    async advanceReadSeq(conversationId, userId, seq): Promise<PositionMove> {
      return ((await advanceMany([{ conversationId, userId, readSeq: seq }]))[0] as PositionResult).read;
    },
    async advanceDeliveredSeq(conversationId, userId, seq): Promise<PositionMove> {
      return ((await advanceMany([{ conversationId, userId, deliveredSeq: seq }]))[0] as PositionResult).delivered;
    },
    advancePositions(items) {
      return items.length === 0 ? Promise.resolve([]) : advanceMany(items);
    },
    async unreadCount(conversationId, userId) {
      const row = await db.one<{ n: number }>(
        `SELECT ${UNREAD} AS n FROM ${MEMBER_JOIN} WHERE m.conversation_id = $1 AND m.user_id = $2`,
        [conversationId, userId],
      );
      return row?.n ?? 0;
    },
    async totalUnread(userId) {
      const row = await db.one<{ n: number }>(
        `SELECT COALESCE(SUM(${UNREAD}), 0)::bigint AS n FROM ${MEMBER_JOIN} WHERE m.user_id = $1`,
        [userId],
      );
      return row?.n ?? 0;
    },
  };
}
