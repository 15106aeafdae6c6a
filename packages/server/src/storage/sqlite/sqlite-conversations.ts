import type { MemberRole, PositionAdvance, PositionResult, UserConversationRow } from '../records.js';
import type { ConversationRepo } from '../store.js';
import type { SqliteDb } from './open-database.js';
import {
  type ChangeRow,
  type ConversationRow,
  type MemberRow,
  type MessageRow,
  toChange,
  toConversation,
  toMember,
  toMessage,
} from '../rows.js';

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

export function createSqliteConversationRepo(db: SqliteDb): ConversationRepo {
  const insertDm = db.prepare(
    `INSERT INTO conversations (id, kind, created_by, created_at) VALUES (?, 'dm', ?, ?) ON CONFLICT (id) DO NOTHING`,
  );
  // A member starts having read and received everything sent before they joined.
  const insertMember = db.prepare(
    `INSERT INTO conversation_members (conversation_id, user_id, role, joined_at, read_seq, delivered_seq)
     SELECT id, ?, ?, ?, last_seq, last_seq FROM conversations WHERE id = ? ON CONFLICT DO NOTHING`,
  );
  const newGroupId = db.prepare('INSERT INTO group_ids DEFAULT VALUES');
  const bumpRev = db.prepare<[string], { last_rev: number }>(
    'UPDATE conversations SET last_rev = last_rev + 1 WHERE id = ? RETURNING last_rev',
  );
  const insertChange = db.prepare(
    'INSERT INTO conversation_changes (conversation_id, rev, kind, user_id, role, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  /** Records a change under the conversation's next revision (in the caller's transaction); returns the revision. */
  const recordChange = (id: string, kind: string, userId: string | null, role: string | null, now: number): number => {
    const rev = (bumpRev.get(id) as { last_rev: number }).last_rev;
    insertChange.run(id, rev, kind, userId, role, now);
    return rev;
  };
  const messagesSince = db.prepare<[string, number, number], MessageRow>(
    'SELECT * FROM messages WHERE conversation_id = ? AND rev > ? ORDER BY rev ASC LIMIT ?',
  );
  const changesSince = db.prepare<[string, number, number], ChangeRow>(
    'SELECT * FROM conversation_changes WHERE conversation_id = ? AND rev > ? ORDER BY rev ASC LIMIT ?',
  );
  const lastRev = db.prepare<[string], { last_rev: number }>('SELECT last_rev FROM conversations WHERE id = ?');
  const insertGroup = db.prepare(
    `INSERT INTO conversations (id, kind, group_id, name, description, avatar_url, visibility, created_by, created_at)
     VALUES (?, 'group', ?, ?, ?, ?, ?, ?, ?)`,
  );
  const get = db.prepare<[string], ConversationRow>('SELECT * FROM conversations WHERE id = ?');
  const getMember = db.prepare<[string, string], MemberRow>(
    'SELECT * FROM conversation_members WHERE conversation_id = ? AND user_id = ?',
  );
  const members = db.prepare<[string], MemberRow>(
    'SELECT * FROM conversation_members WHERE conversation_id = ? ORDER BY joined_at, user_id',
  );
  const count = db.prepare<[string], { n: number }>(
    'SELECT COUNT(*) AS n FROM conversation_members WHERE conversation_id = ?',
  );
  const removeMember = db.prepare('DELETE FROM conversation_members WHERE conversation_id = ? AND user_id = ?');
  const setRole = db.prepare('UPDATE conversation_members SET role = ? WHERE conversation_id = ? AND user_id = ?');
  const positions = db.prepare<[string, string], { read_seq: number; delivered_seq: number; last_seq: number }>(
    `SELECT m.read_seq, m.delivered_seq, c.last_seq FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
     WHERE m.conversation_id = ? AND m.user_id = ?`,
  );
  const setPositions = db.prepare(
    'UPDATE conversation_members SET read_seq = ?, delivered_seq = ? WHERE conversation_id = ? AND user_id = ?',
  );
  const NO_MOVE: PositionResult = { delivered: { before: 0, after: 0 }, read: { before: 0, after: 0 } };
  /** One member's move, clamped to the last seq; reading drags delivery along; positions never move back. */
  const advanceOne = (a: PositionAdvance): PositionResult => {
    const p = positions.get(a.conversationId, a.userId);
    if (!p) return NO_MOVE;
    const read = Math.max(p.read_seq, Math.min(a.readSeq ?? 0, p.last_seq));
    const delivered = Math.max(p.delivered_seq, read, Math.min(a.deliveredSeq ?? 0, p.last_seq));
    if (read !== p.read_seq || delivered !== p.delivered_seq) setPositions.run(read, delivered, a.conversationId, a.userId);
    return { delivered: { before: p.delivered_seq, after: delivered }, read: { before: p.read_seq, after: read } };
  };
  const advanceMany = db.transaction((items: readonly PositionAdvance[]) => items.map(advanceOne));
  // Unread = messages from others after the read position. Your own messages are never after it (sending moves it,
  // and joining starts it at the last seq), so it is last_seq - read_seq minus the deleted ones after it: no row count.
  const UNREAD = `(c.last_seq - m.read_seq - (SELECT COUNT(*) FROM messages x
      WHERE x.conversation_id = m.conversation_id AND x.seq > m.read_seq AND x.deleted_at IS NOT NULL))`;
  const unread = db.prepare<[string, string], { n: number }>(`
    SELECT ${UNREAD} AS n FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
    WHERE m.conversation_id = ? AND m.user_id = ?`);
  const totalUnread = db.prepare<[string], { n: number }>(`
    SELECT COALESCE(SUM(${UNREAD}), 0) AS n FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
    WHERE m.user_id = ?`);
  const list = db.prepare<[string], ListRow>(`
    SELECT c.*, m.role AS m_role, m.joined_at AS m_joined_at, m.delivered_seq AS m_delivered_seq, m.read_seq AS m_read_seq,
      ${UNREAD} AS unread,
      (SELECT COUNT(*) FROM conversation_members y WHERE y.conversation_id = c.id) AS member_count,
      lm.id AS lm_id, lm.sender_id AS lm_sender_id, lm.client_msg_id AS lm_client_msg_id, lm.kind AS lm_kind,
      lm.text AS lm_text, lm.metadata AS lm_metadata, lm.reply_to AS lm_reply_to, lm.created_at AS lm_created_at,
      lm.deleted_at AS lm_deleted_at, lm.rev AS lm_rev
    FROM conversation_members m
    JOIN conversations c ON c.id = m.conversation_id
    LEFT JOIN messages lm ON lm.conversation_id = c.id AND lm.seq = c.last_seq
    WHERE m.user_id = ? AND (c.kind = 'group' OR c.last_seq > 0)
    ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.id`);

  const ensureDm = db.transaction((id: string, a: string, b: string, now: number) => {
    if (insertDm.run(id, a, now).changes === 0) return;
    insertMember.run(a, 'member', now, id);
    insertMember.run(b, 'member', now, id);
  });
  const createGroup = db.transaction(
    (
      g: { name: string; description: string; avatarUrl: string | null; visibility: 'public' | 'private' },
      ownerId: string,
      memberIds: readonly string[],
      now: number,
    ): ConversationRow => {
      const groupId = Number(newGroupId.run().lastInsertRowid);
      const id = `g:${groupId}`;
      insertGroup.run(id, groupId, g.name, g.description, g.avatarUrl, g.visibility, ownerId, now);
      insertMember.run(ownerId, 'owner', now, id);
      for (const m of memberIds) if (m !== ownerId) insertMember.run(m, 'member', now, id);
      return get.get(id) as ConversationRow;
    },
  );
  const addMembers = db.transaction((id: string, userIds: readonly string[], role: MemberRole, now: number) => {
    const added: { userId: string; rev: number }[] = [];
    for (const u of userIds) {
      if (insertMember.run(u, role, now, id).changes > 0) {
        added.push({ userId: u, rev: recordChange(id, 'member.added', u, role, now) });
      }
    }
    return added;
  });
  const removeMemberTx = db.transaction((id: string, userId: string, now: number) =>
    removeMember.run(id, userId).changes > 0 ? recordChange(id, 'member.removed', userId, null, now) : null,
  );
  const setRoleTx = db.transaction((id: string, userId: string, role: MemberRole, now: number) =>
    setRole.run(role, id, userId).changes > 0 ? recordChange(id, 'member.role', userId, role, now) : null,
  );
  const updateGroupTx = db.transaction((id: string, set: [string, unknown][], now: number) => {
    const changed =
      set.length > 0 &&
      db
        .prepare(`UPDATE conversations SET ${set.map(([c]) => `${c} = ?`).join(', ')} WHERE id = ? AND kind = 'group'`)
        .run(...set.map(([, v]) => v), id).changes > 0;
    if (changed) recordChange(id, 'group.updated', null, null, now);
    return get.get(id);
  });
  const changesSinceTx = db.transaction((id: string, rev: number, limit: number) => ({
    messages: messagesSince.all(id, rev, limit).map(toMessage),
    changes: changesSince.all(id, rev, limit).map(toChange),
    lastRev: lastRev.get(id)?.last_rev ?? 0,
  }));

  function toListRow(r: ListRow): UserConversationRow {
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
        userId: '',
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
      ensureDm(id, a, b, now);
    },
    async createGroup(group, ownerId, memberIds, now) {
      return toConversation(createGroup(group, ownerId, memberIds, now));
    },
    async getConversation(id) {
      const row = get.get(id);
      return row ? toConversation(row) : null;
    },
    async updateGroup(id, patch, now = Date.now()) {
      const cols: [string, unknown][] = [
        ['name', patch.name],
        ['description', patch.description],
        ['avatar_url', patch.avatarUrl],
        ['visibility', patch.visibility],
      ];
      const row = updateGroupTx(
        id,
        cols.filter(([, v]) => v !== undefined),
        now,
      );
      return row ? toConversation(row) : null;
    },
    async getMember(conversationId, userId) {
      const row = getMember.get(conversationId, userId);
      return row ? toMember(row) : null;
    },
    async listMembers(conversationId) {
      return members.all(conversationId).map(toMember);
    },
    async memberCount(conversationId) {
      return (count.get(conversationId) as { n: number }).n;
    },
    async addMembers(conversationId, userIds, role, now) {
      return addMembers(conversationId, userIds, role, now);
    },
    async removeMember(conversationId, userId, now = Date.now()) {
      return removeMemberTx(conversationId, userId, now);
    },
    async setRole(conversationId, userId, role, now = Date.now()) {
      return setRoleTx(conversationId, userId, role, now);
    },
    async changesSince(conversationId, rev, limit) {
      return changesSinceTx(conversationId, rev, limit);
    },
    async listUserConversations(userId) {
      return list.all(userId).map((r) => {
        const row = toListRow(r);
        row.member.userId = userId;
        return row;
      });
    },
    async advanceReadSeq(conversationId, userId, seq) {
      return advanceOne({ conversationId, userId, readSeq: seq }).read;
    },
    async advanceDeliveredSeq(conversationId, userId, seq) {
      return advanceOne({ conversationId, userId, deliveredSeq: seq }).delivered;
    },
    async advancePositions(items) {
      return advanceMany(items);
    },
    async unreadCount(conversationId, userId) {
      return unread.get(conversationId, userId)?.n ?? 0;
    },
    async totalUnread(userId) {
      return (totalUnread.get(userId) as { n: number }).n;
    },
  };
}
