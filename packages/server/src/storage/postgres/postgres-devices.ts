import type { DeviceRecord, DeviceType } from '../records.js';
import type { DeviceRepo } from '../store.js';
import type { PgDb } from './pg-db.js';

const DEVICE_COLUMNS =
  'user_id, device_id, name, type, platform, app_version, push_token, created_at, last_seen_at, revoked_at';

interface DeviceRow {
  user_id: string;
  device_id: string;
  name: string | null;
  type: DeviceType;
  platform: string | null;
  app_version: string | null;
  push_token: string | null;
  created_at: number;
  last_seen_at: number;
  revoked_at: number | null;
}

const toDevice = (r: DeviceRow): DeviceRecord => ({
  userId: r.user_id,
  deviceId: r.device_id,
  name: r.name,
  type: r.type,
  platform: r.platform,
  appVersion: r.app_version,
  pushToken: r.push_token,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  revokedAt: r.revoked_at,
});

export function createPostgresDeviceRepo(db: PgDb): DeviceRepo {
  return {
    async upsertDevice(userId, deviceId, info, now) {
      const row = await db.one<DeviceRow>(
        `INSERT INTO devices (user_id, device_id, name, type, platform, app_version, push_token, created_at, last_seen_at)
         VALUES ($1, $2, $3, COALESCE($4, 'other'), $5, $6, $7, $8, $8)
         ON CONFLICT (user_id, device_id) DO UPDATE SET
           name = COALESCE($3, devices.name), type = COALESCE($4, devices.type),
           platform = COALESCE($5, devices.platform), app_version = COALESCE($6, devices.app_version),
           push_token = COALESCE($7, devices.push_token), last_seen_at = $8
         RETURNING ${DEVICE_COLUMNS}`,
        [
          userId,
          deviceId,
          info.name ?? null,
          info.type ?? null,
          info.platform ?? null,
          info.appVersion ?? null,
          info.pushToken ?? null,
          now,
        ],
      );
      return toDevice(row as DeviceRow);
    },
    async getDevice(userId, deviceId) {
      const row = await db.one<DeviceRow>(
        `SELECT ${DEVICE_COLUMNS} FROM devices WHERE user_id = $1 AND device_id = $2`,
        [userId, deviceId],
      );
      return row ? toDevice(row) : null;
    },
    async listDevices(userId) {
      const rows = await db.rows<DeviceRow>(
        `SELECT ${DEVICE_COLUMNS} FROM devices WHERE user_id = $1 ORDER BY last_seen_at DESC`,
        [userId],
      );
      return rows.map(toDevice);
    },
    async revokeDevice(userId, deviceId, now) {
      return db.tx(async (sql) => {
        const changed = await sql.run(
          `UPDATE devices SET revoked_at = COALESCE(revoked_at, $3), push_token = NULL
           WHERE user_id = $1 AND device_id = $2`,
          [userId, deviceId, now],
        );
        if (changed > 0) {
          await sql.run('DELETE FROM refresh_tokens WHERE user_id = $1 AND device_id = $2', [userId, deviceId]);
        }
        return changed > 0;
      });
    },
  };
}
