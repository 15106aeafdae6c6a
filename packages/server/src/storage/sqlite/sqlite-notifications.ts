import type { NotificationRecord } from '../records.js';
import type { NotificationRepo } from '../store.js';
import type { SqliteDb } from './open-database.js';

interface NotificationRow {
  id: number;
  user_id: string;
  type: string;
  title: string;
  body: string;
  data: string | null;
  link: string | null;
  created_at: number;
  read_at: number | null;
}

const toNotification = (r: NotificationRow): NotificationRecord => ({
  id: String(r.id),
  userId: r.user_id,
  type: r.type,
  title: r.title,
  body: r.body,
  data: r.data === null ? null : (JSON.parse(r.data) as Record<string, unknown>),
  link: r.link,
  createdAt: r.created_at,
  readAt: r.read_at,
});

export function createSqliteNotificationRepo(db: SqliteDb): NotificationRepo {
  const insert = db.prepare<unknown[], NotificationRow>(
    'INSERT INTO notifications (user_id, type, title, body, data, link, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *',
  );
  const list = db.prepare<[string, number, number, number], NotificationRow>(
    `SELECT * FROM notifications WHERE user_id = ? AND id < ? AND (? = 0 OR read_at IS NULL) ORDER BY id DESC LIMIT ?`,
  );
  const unread = db.prepare<[string], { n: number }>(
    'SELECT COUNT(*) AS n FROM notifications WHERE user_id = ? AND read_at IS NULL',
  );
  const readSome = db.prepare(
    'UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL AND id IN (SELECT value FROM json_each(?))',
  );
  const readAll = db.prepare('UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL');
  const createMany = db.transaction(
    (
      userIds: readonly string[],
      n: { type: string; title: string; body: string; data: string | null; link: string | null },
      now: number,
    ) => userIds.map((u) => insert.get(u, n.type, n.title, n.body, n.data, n.link, now) as NotificationRow),
  );
  return {
    async createNotifications(userIds, n, now) {
      const data = n.data === null ? null : JSON.stringify(n.data);
      return createMany(userIds, { ...n, data }, now).map(toNotification);
    },
    async listNotifications(userId, q) {
      const before = q.before !== undefined && /^\d{1,16}$/.test(q.before) ? Number(q.before) : Number.MAX_SAFE_INTEGER;
      return list.all(userId, before, q.unreadOnly ? 1 : 0, q.limit).map(toNotification);
    },
    async unreadNotificationCount(userId) {
      return (unread.get(userId) as { n: number }).n;
    },
    async markNotificationsRead(userId, ids, now) {
      if (ids === null) return readAll.run(now, userId).changes;
      const numeric = ids.filter((id) => /^\d{1,16}$/.test(id)).map(Number);
      return readSome.run(now, userId, JSON.stringify(numeric)).changes;
    },
  };
}
