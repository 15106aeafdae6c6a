import { AppError } from '../../errors.js';
import type { UserRepo } from '../store.js';
import type { PgDb } from './pg-db.js';
import { uniqueViolation } from './pg-errors.js';
import { toUser, USER_COLUMNS, type UserRow } from './rows.js';

export function createPostgresUserRepo(db: PgDb): UserRepo {
  const get = `SELECT ${USER_COLUMNS} FROM users WHERE id = $1`;
  const insert = `INSERT INTO users (id, username, display_name, avatar_url, created_at) VALUES ($1, $2, $3, NULL, $4)
    ON CONFLICT (id) DO NOTHING`;
  const getLogin = 'SELECT user_id, password_hash FROM logins WHERE lower(username) = lower($1)';
  const taken = (err: unknown) => uniqueViolation(err) === 'logins_username_ci';

  return {
    async upsertUser(user, now) {
      // Inserts, or updates the names the caller gives when they differ; an unchanged user is not rewritten.
      const row = await db.one<UserRow>(
        `INSERT INTO users (id, username, display_name, avatar_url, created_at) VALUES ($1, $2, $3, NULL, $4)
         ON CONFLICT (id) DO UPDATE SET
           username = COALESCE($2, users.username),
           display_name = COALESCE($5, users.display_name)
         WHERE users.username IS DISTINCT FROM COALESCE($2, users.username)
            OR users.display_name IS DISTINCT FROM COALESCE($5, users.display_name)
         RETURNING ${USER_COLUMNS}`,
        [user.id, user.username, user.displayName ?? user.username ?? user.id, now, user.displayName],
      );
      return toUser(row ?? ((await db.one<UserRow>(get, [user.id])) as UserRow));
    },
    async createUserWithLogin(user, passwordHash, now) {
      try {
        return await db.tx(async (sql) => {
          if (
            (await sql.one(getLogin, [user.username])) ||
            (await sql.one('SELECT id FROM users WHERE lower(username) = lower($1) LIMIT 1', [user.username]))
          ) {
            throw new AppError('CONFLICT', 'That username is taken', { field: 'username' });
          }
          await sql.run(insert, [user.id, user.username, user.displayName, now]);
          await sql.run('INSERT INTO logins (username, user_id, password_hash) VALUES ($1, $2, $3)', [
            user.username,
            user.id,
            passwordHash,
          ]);
          return toUser((await sql.one<UserRow>(get, [user.id])) as UserRow);
        });
      } catch (err) {
        // Two nodes registering the same name at once: the unique index refuses the second.
        if (taken(err)) throw new AppError('CONFLICT', 'That username is taken', { field: 'username' });
        throw err;
      }
    },
    async getLogin(username) {
      const row = await db.one<{ user_id: string; password_hash: string }>(getLogin, [username]);
      return row ? { userId: row.user_id, passwordHash: row.password_hash } : null;
    },
    async getUser(id) {
      const row = await db.one<UserRow>(get, [id]);
      return row ? toUser(row) : null;
    },
    async getUsers(ids) {
      if (ids.length === 0) return [];
      return (await db.rows<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ANY($1::text[])`, [ids])).map(
        toUser,
      );
    },
    async updateProfile(id, patch) {
      const row = await db.one<UserRow>(
        `UPDATE users SET
           display_name = CASE WHEN $2 THEN $3 ELSE display_name END,
           avatar_url = CASE WHEN $4 THEN $5 ELSE avatar_url END,
           read_receipts = CASE WHEN $6 THEN $7 ELSE read_receipts END
         WHERE id = $1 RETURNING ${USER_COLUMNS}`,
        [
          id,
          patch.displayName !== undefined,
          patch.displayName ?? null,
          patch.avatarUrl !== undefined,
          patch.avatarUrl ?? null,
          patch.readReceipts !== undefined,
          patch.readReceipts ?? null,
        ],
      );
      return row ? toUser(row) : null;
    },
    async setLastSeen(id, at) {
      await db.run('UPDATE users SET last_seen_at = $2 WHERE id = $1', [id, at]);
    },
    async saveRefreshToken(tokenHash, userId, deviceId, expiresAt, family) {
      await db.run(
        'INSERT INTO refresh_tokens (token_hash, user_id, device_id, expires_at, family) VALUES ($1, $2, $3, $4, $5)',
        [tokenHash, userId, deviceId, expiresAt, family ?? tokenHash],
      );
    },
    async consumeRefreshToken(tokenHash, now) {
      const row = await db.one<{ user_id: string; device_id: string | null; expires_at: number }>(
        `UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL
         RETURNING user_id, device_id, expires_at`,
        [tokenHash, now],
      );
      if (row) {
        // The family's expired tokens (used ones are kept only to recognise reuse) go as the family moves on.
        await db.run(
          `DELETE FROM refresh_tokens
           WHERE family = (SELECT family FROM refresh_tokens WHERE token_hash = $1) AND expires_at <= $2`,
          [tokenHash, now],
        );
      }
      return row && Number(row.expires_at) > now ? { userId: row.user_id, deviceId: row.device_id } : null;
    },
    async refreshTokenFamily(tokenHash) {
      const row = await db.one<{ family: string; used_at: string | null }>(
        'SELECT COALESCE(family, token_hash) AS family, used_at FROM refresh_tokens WHERE token_hash = $1',
        [tokenHash],
      );
      return row ? { family: row.family, used: row.used_at !== null } : null;
    },
    async revokeRefreshFamily(family) {
      await db.run('DELETE FROM refresh_tokens WHERE family = $1 OR token_hash = $1', [family]);
    },
    async deleteRefreshToken(tokenHash) {
      await db.run('DELETE FROM refresh_tokens WHERE token_hash = $1', [tokenHash]);
    },
  };
}
