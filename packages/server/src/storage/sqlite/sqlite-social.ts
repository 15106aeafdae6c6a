import type { FriendRequestRecord } from '../records.js';
import type { SocialRepo } from '../store.js';
import type { SqliteDb } from './open-database.js';

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

export function createSqliteSocialRepo(db: SqliteDb): SocialRepo {
  const insertRequest = db.prepare(
    'INSERT INTO friend_requests (from_id, to_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const deleteRequest = db.prepare('DELETE FROM friend_requests WHERE from_id = ? AND to_id = ?');
  const getRequest = db.prepare<[string, string], RequestRow>(
    'SELECT * FROM friend_requests WHERE from_id = ? AND to_id = ?',
  );
  const incoming = db.prepare<[string], RequestRow>(
    'SELECT * FROM friend_requests WHERE to_id = ? ORDER BY created_at DESC',
  );
  const outgoing = db.prepare<[string], RequestRow>(
    'SELECT * FROM friend_requests WHERE from_id = ? ORDER BY created_at DESC',
  );
  const insertFriend = db.prepare(
    'INSERT INTO friendships (user_id, friend_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const deleteFriend = db.prepare('DELETE FROM friendships WHERE user_id = ? AND friend_id = ?');
  const friends = db.prepare<[string], { friend_id: string; created_at: number }>(
    'SELECT friend_id, created_at FROM friendships WHERE user_id = ? ORDER BY created_at',
  );
  const isFriend = db.prepare<[string, string], { x: number }>(
    'SELECT 1 AS x FROM friendships WHERE user_id = ? AND friend_id = ?',
  );
  const insertBlock = db.prepare(
    'INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const deleteBlock = db.prepare('DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?');
  const blocked = db.prepare<[string], { blocked_id: string; created_at: number }>(
    'SELECT blocked_id, created_at FROM blocks WHERE blocker_id = ? ORDER BY created_at',
  );
  const blockedEither = db.prepare<[string, string, string, string], { x: number }>(
    'SELECT 1 AS x FROM blocks WHERE (blocker_id = ? AND blocked_id = ?) OR (blocker_id = ? AND blocked_id = ?)',
  );
  const blockRelations = db.prepare<[string, string], { id: string }>(
    'SELECT blocked_id AS id FROM blocks WHERE blocker_id = ? UNION SELECT blocker_id AS id FROM blocks WHERE blocked_id = ?',
  );
  const contacts = db.prepare<{ me: string }, { id: string }>(`
    SELECT id FROM (
      SELECT friend_id AS id FROM friendships WHERE user_id = @me
      UNION
      SELECT o.user_id AS id FROM conversation_members me
        JOIN conversation_members o ON o.conversation_id = me.conversation_id
        WHERE me.user_id = @me AND o.user_id <> @me
    ) WHERE id NOT IN (SELECT blocked_id FROM blocks WHERE blocker_id = @me)
        AND id NOT IN (SELECT blocker_id FROM blocks WHERE blocked_id = @me)`);

  const befriend = db.transaction((a: string, b: string, now: number) => {
    insertFriend.run(a, b, now);
    insertFriend.run(b, a, now);
    deleteRequest.run(a, b);
    deleteRequest.run(b, a);
  });
  const unfriend = db.transaction((a: string, b: string) => {
    const n = deleteFriend.run(a, b).changes;
    deleteFriend.run(b, a);
    return n > 0;
  });
  const blockTx = db.transaction((blocker: string, target: string, now: number) => {
    insertBlock.run(blocker, target, now);
    unfriend(blocker, target);
    deleteRequest.run(blocker, target);
    deleteRequest.run(target, blocker);
  });

  return {
    async createFriendRequest(fromId, toId, now) {
      insertRequest.run(fromId, toId, now);
    },
    async deleteFriendRequest(fromId, toId) {
      return deleteRequest.run(fromId, toId).changes > 0;
    },
    async getFriendRequest(fromId, toId) {
      const row = getRequest.get(fromId, toId);
      return row ? toRequest(row) : null;
    },
    async listFriendRequests(userId) {
      return { incoming: incoming.all(userId).map(toRequest), outgoing: outgoing.all(userId).map(toRequest) };
    },
    async addFriendship(a, b, now) {
      befriend(a, b, now);
    },
    async removeFriendship(a, b) {
      return unfriend(a, b);
    },
    async listFriends(userId) {
      return friends.all(userId).map((r) => ({ userId: r.friend_id, since: r.created_at }));
    },
    async areFriends(a, b) {
      return isFriend.get(a, b) !== undefined;
    },
    async block(blockerId, blockedId, now) {
      blockTx(blockerId, blockedId, now);
    },
    async unblock(blockerId, blockedId) {
      return deleteBlock.run(blockerId, blockedId).changes > 0;
    },
    async listBlocked(blockerId) {
      return blocked.all(blockerId).map((r) => ({ userId: r.blocked_id, since: r.created_at }));
    },
    async isBlockedEitherWay(a, b) {
      return blockedEither.get(a, b, b, a) !== undefined;
    },
    async blockedEitherWay(userId) {
      return blockRelations.all(userId, userId).map((r) => r.id);
    },
    async contactsOf(userId) {
      return contacts.all({ me: userId }).map((r) => r.id);
    },
  };
}
