import type { DeviceRecord, DeviceType } from '../records.js';
import type { DeviceRepo } from '../store.js';
import type { SqliteDb } from './open-database.js';

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

export function createSqliteDeviceRepo(db: SqliteDb): DeviceRepo {
  const upsert = db.prepare<unknown[], DeviceRow>(`
    INSERT INTO devices (user_id, device_id, name, type, platform, app_version, push_token, created_at, last_seen_at)
    VALUES (@userId, @deviceId, @name, COALESCE(@type, 'other'), @platform, @appVersion, @pushToken, @now, @now)
    ON CONFLICT (user_id, device_id) DO UPDATE SET
      name = COALESCE(@name, name), type = COALESCE(@type, type), platform = COALESCE(@platform, platform),
      app_version = COALESCE(@appVersion, app_version), push_token = COALESCE(@pushToken, push_token),
      last_seen_at = @now
    RETURNING *`);
  const get = db.prepare<[string, string], DeviceRow>('SELECT * FROM devices WHERE user_id = ? AND device_id = ?');
  const list = db.prepare<[string], DeviceRow>('SELECT * FROM devices WHERE user_id = ? ORDER BY last_seen_at DESC');
  const revoke = db.prepare(
    'UPDATE devices SET revoked_at = COALESCE(revoked_at, ?), push_token = NULL WHERE user_id = ? AND device_id = ?',
  );
  const dropTokens = db.prepare('DELETE FROM refresh_tokens WHERE user_id = ? AND device_id = ?');
  const revokeTx = db.transaction((userId: string, deviceId: string, now: number) => {
    const changed = revoke.run(now, userId, deviceId).changes > 0;
    if (changed) dropTokens.run(userId, deviceId);
    return changed;
  });
  return {
    async upsertDevice(userId, deviceId, info, now) {
      return toDevice(
        upsert.get({
          userId,
          deviceId,
          now,
          name: info.name ?? null,
          type: info.type ?? null,
          platform: info.platform ?? null,
          appVersion: info.appVersion ?? null,
          pushToken: info.pushToken ?? null,
        }) as DeviceRow,
      );
    },
    async getDevice(userId, deviceId) {
      const row = get.get(userId, deviceId);
      return row ? toDevice(row) : null;
    },
    async listDevices(userId) {
      return list.all(userId).map(toDevice);
    },
    async revokeDevice(userId, deviceId, now) {
      return revokeTx(userId, deviceId, now);
    },
  };
}
