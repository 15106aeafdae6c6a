import { AppError } from '../../errors.js';
import type { UserRepo } from '../store.js';
import type { SqliteDb } from './open-database.js';
import { toUser, type UserRow } from '../rows.js';

export function createSqliteUserRepo(db: SqliteDb): UserRepo {
  const get = db.prepare<[string], UserRow>('SELECT * FROM users WHERE id = ?');
  const getMany = db.prepare<[string], UserRow>('SELECT * FROM users WHERE id IN (SELECT value FROM json_each(?))');
  const insert = db.prepare(
    'INSERT INTO users (id, username, display_name, avatar_url, created_at) VALUES (?, ?, ?, NULL, ?) ON CONFLICT (id) DO NOTHING',
  );
  const setNames = db.prepare('UPDATE users SET username = ?, display_name = ? WHERE id = ?');
  const insertLogin = db.prepare('INSERT INTO logins (username, user_id, password_hash) VALUES (?, ?, ?)');
  const getLogin = db.prepare<[string], { user_id: string; password_hash: string }>(
    'SELECT user_id, password_hash FROM logins WHERE username = ?',
  );
  const heldByUser = db.prepare<[string], { id: string }>(
    'SELECT id FROM users WHERE lower(username) = lower(?) LIMIT 1',
  );
  const setLastSeen = db.prepare('UPDATE users SET last_seen_at = ? WHERE id = ?');
  const saveToken = db.prepare(
    'INSERT INTO refresh_tokens (token_hash, user_id, device_id, expires_at, family) VALUES (?, ?, ?, ?, ?)',
  );
  const dropExpiredOfFamily = db.prepare(
    'DELETE FROM refresh_tokens WHERE family = (SELECT family FROM refresh_tokens WHERE token_hash = ?) AND expires_at <= ?',
  );
  const takeToken = db.prepare<[number, string], { user_id: string; device_id: string | null; expires_at: number }>(
    'UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL RETURNING user_id, device_id, expires_at',
  );
  const tokenFamily = db.prepare<[string], { family: string; used_at: number | null }>(
    'SELECT COALESCE(family, token_hash) AS family, used_at FROM refresh_tokens WHERE token_hash = ?',
  );
  const revokeFamily = db.prepare('DELETE FROM refresh_tokens WHERE family = ? OR token_hash = ?');
  const deleteToken = db.prepare('DELETE FROM refresh_tokens WHERE token_hash = ?');

  const upsert = db.transaction(
    (user: { id: string; username: string | null; displayName: string | null }, now: number): UserRow => {
      insert.run(user.id, user.username, user.displayName ?? user.username ?? user.id, now);
      const row = get.get(user.id) as UserRow;
      const username = user.username ?? row.username;
      const displayName = user.displayName ?? row.display_name;
      if (username !== row.username || displayName !== row.display_name) {
        setNames.run(username, displayName, user.id);
        return { ...row, username, display_name: displayName };
      }
      return row;
    },
  );

  const createWithLogin = db.transaction(
    (user: { id: string; username: string; displayName: string }, hash: string, now: number): UserRow => {
      if (getLogin.get(user.username) || heldByUser.get(user.username)) {
        throw new AppError('CONFLICT', 'That username is taken', { field: 'username' });
      }
      insert.run(user.id, user.username, user.displayName, now);
      insertLogin.run(user.username, user.id, hash);
      return get.get(user.id) as UserRow;
    },
  );

  return {
    async upsertUser(user, now) {
      return toUser(upsert(user, now));
    },
    async createUserWithLogin(user, passwordHash, now) {
      return toUser(createWithLogin(user, passwordHash, now));
    },
    async getLogin(username) {
      const row = getLogin.get(username);
      return row ? { userId: row.user_id, passwordHash: row.password_hash } : null;
    },
    async getUser(id) {
      const row = get.get(id);
      return row ? toUser(row) : null;
    },
    async getUsers(ids) {
      if (ids.length === 0) return [];
      return getMany.all(JSON.stringify(ids)).map(toUser);
    },
    async updateProfile(id, patch) {
      const sets: string[] = [];
      const args: (string | number | null)[] = [];
      if (patch.displayName !== undefined) {
        sets.push('display_name = ?');
        args.push(patch.displayName);
      }
      if (patch.avatarUrl !== undefined) {
        sets.push('avatar_url = ?');
        args.push(patch.avatarUrl);
      }
      if (patch.readReceipts !== undefined) {
        sets.push('read_receipts = ?');
        args.push(patch.readReceipts ? 1 : 0);
      }
      if (sets.length > 0) db.prepare(`UPDATE users SET ${sets.join(', ')} WHERE id = ?`).run(...args, id);
      const row = get.get(id);
      return row ? toUser(row) : null;
    },
    async setLastSeen(id, at) {
      setLastSeen.run(at, id);
    },
    async saveRefreshToken(tokenHash, userId, deviceId, expiresAt, family) {
      saveToken.run(tokenHash, userId, deviceId, expiresAt, family ?? tokenHash);
    },
    async consumeRefreshToken(tokenHash, now) {
      const row = takeToken.get(now, tokenHash);
      // The family's expired tokens (used ones are kept only to recognise reuse) go as the family moves on.
      if (row) dropExpiredOfFamily.run(tokenHash, now);
      return row && row.expires_at > now ? { userId: row.user_id, deviceId: row.device_id } : null;
    },
    async refreshTokenFamily(tokenHash) {
      const row = tokenFamily.get(tokenHash);
      return row ? { family: row.family, used: row.used_at !== null } : null;
    },
    async revokeRefreshFamily(family) {
      revokeFamily.run(family, family);
    },
    async deleteRefreshToken(tokenHash) {
      deleteToken.run(tokenHash);
    },
  };
}
