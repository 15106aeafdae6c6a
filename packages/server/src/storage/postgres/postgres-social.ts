import type { FriendRequestRecord } from '../records.js';
import type { SocialRepo } from '../store.js';
import type { PgDb, Sql } from './pg-db.js';

interface RequestRow {
  from_id: string;
  to_id: string;
  created_at: number;
}

const toRequest = (r: RequestRow): FriendRequestRecord => ({
  fromId: r.from_id,
  toId: r.to_id,
  createdAt: r.created_at,
});

export function createPostgresSocialRepo(db: PgDb): SocialRepo {
  const deleteRequest = 'DELETE FROM friend_requests WHERE from_id = $1 AND to_id = $2';
  const insertFriend =
    'INSERT INTO friendships (user_id, friend_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING';
  const deleteFriend = 'DELETE FROM friendships WHERE user_id = $1 AND friend_id = $2';
  const unfriend = async (sql: Sql, a: string, b: string) => {
    const n = await sql.run(deleteFriend, [a, b]);
    await sql.run(deleteFriend, [b, a]);
    return n > 0;
  };

  return {
    async createFriendRequest(fromId, toId, now) {
      await db.run(
        'INSERT INTO friend_requests (from_id, to_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [fromId, toId, now],
      );
    },
    async deleteFriendRequest(fromId, toId) {
      return (await db.run(deleteRequest, [fromId, toId])) > 0;
    },
    async getFriendRequest(fromId, toId) {
      const row = await db.one<RequestRow>(
        'SELECT from_id, to_id, created_at FROM friend_requests WHERE from_id = $1 AND to_id = $2',
        [fromId, toId],
      );
      return row ? toRequest(row) : null;
    },
    async listFriendRequests(userId) {
      const [incoming, outgoing] = await Promise.all([
        db.rows<RequestRow>(
          'SELECT from_id, to_id, created_at FROM friend_requests WHERE to_id = $1 ORDER BY created_at DESC',
          [userId],
        ),
        db.rows<RequestRow>(
          'SELECT from_id, to_id, created_at FROM friend_requests WHERE from_id = $1 ORDER BY created_at DESC',
          [userId],
        ),
      ]);
      return { incoming: incoming.map(toRequest), outgoing: outgoing.map(toRequest) };
    },
    async addFriendship(a, b, now) {
      await db.tx(async (sql) => {
        await sql.run(insertFriend, [a, b, now]);
        await sql.run(insertFriend, [b, a, now]);
        await sql.run(deleteRequest, [a, b]);
        await sql.run(deleteRequest, [b, a]);
      });
    },
    async removeFriendship(a, b) {
      return db.tx((sql) => unfriend(sql, a, b));
    },
    async listFriends(userId) {
      const rows = await db.rows<{ friend_id: string; created_at: number }>(
        'SELECT friend_id, created_at FROM friendships WHERE user_id = $1 ORDER BY created_at',
        [userId],
      );
      return rows.map((r) => ({ userId: r.friend_id, since: r.created_at }));
    },
    async areFriends(a, b) {
      return (await db.one('SELECT 1 AS x FROM friendships WHERE user_id = $1 AND friend_id = $2', [a, b])) !== null;
    },
    async block(blockerId, blockedId, now) {
      await db.tx(async (sql) => {
        await sql.run(
          'INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
          [blockerId, blockedId, now],
        );
        await unfriend(sql, blockerId, blockedId);
        await sql.run(deleteRequest, [blockerId, blockedId]);
        await sql.run(deleteRequest, [blockedId, blockerId]);
      });
    },
    async unblock(blockerId, blockedId) {
      return (await db.run('DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2', [blockerId, blockedId])) > 0;
    },
    async blockedEitherWay(userId) {
      const rows = await db.rows<{ id: string }>(
        'SELECT blocked_id AS id FROM blocks WHERE blocker_id = $1 UNION SELECT blocker_id AS id FROM blocks WHERE blocked_id = $1',
        [userId],
      );
      return rows.map((r) => r.id);
    },
    async listBlocked(blockerId) {
      const rows = await db.rows<{ blocked_id: string; created_at: number }>(
        'SELECT blocked_id, created_at FROM blocks WHERE blocker_id = $1 ORDER BY created_at',
        [blockerId],
      );
      return rows.map((r) => ({ userId: r.blocked_id, since: r.created_at }));
    },
    async isBlockedEitherWay(a, b) {
      const row = await db.one(
        'SELECT 1 AS x FROM blocks WHERE (blocker_id = $1 AND blocked_id = $2) OR (blocker_id = $2 AND blocked_id = $1)',
        [a, b],
      );
      return row !== null;
    },
    async contactsOf(userId) {
      const rows = await db.rows<{ id: string }>(
        `SELECT id FROM (
           SELECT friend_id AS id FROM friendships WHERE user_id = $1
           UNION
           SELECT o.user_id AS id FROM conversation_members me
             JOIN conversation_members o ON o.conversation_id = me.conversation_id
             WHERE me.user_id = $1 AND o.user_id <> $1
         ) c WHERE id NOT IN (SELECT blocked_id FROM blocks WHERE blocker_id = $1)
             AND id NOT IN (SELECT blocker_id FROM blocks WHERE blocked_id = $1)`,
        [userId],
      );
      return rows.map((r) => r.id);
    },
  };
}
