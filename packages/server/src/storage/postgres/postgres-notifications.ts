import type { NotificationRecord } from '../records.js';
import type { NotificationRepo } from '../store.js';
import type { PgDb } from './pg-db.js';
import { parseId } from './rows.js';

const NOTIFICATION_COLUMNS = 'id, user_id, type, title, body, data, link, created_at, read_at';

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

export function createPostgresNotificationRepo(db: PgDb): NotificationRepo {
  return {
    async createNotifications(userIds, n, now) {
      if (userIds.length === 0) return [];
      // One multi-row INSERT (atomic); WITH ORDINALITY + ORDER BY id returns them in the order of userIds.
      const rows = await db.rows<NotificationRow>(
        `INSERT INTO notifications (user_id, type, title, body, data, link, created_at)
         SELECT u, $2, $3, $4, $5, $6, $7 FROM unnest($1::text[]) WITH ORDINALITY AS t(u, i) ORDER BY i
         RETURNING ${NOTIFICATION_COLUMNS}`,
        [userIds, n.type, n.title, n.body, n.data === null ? null : JSON.stringify(n.data), n.link, now],
      );
      return rows.sort((a, b) => a.id - b.id).map(toNotification);
    },
    async listNotifications(userId, q) {
      const before = q.before !== undefined ? parseId(q.before) : null;
      const rows = await db.rows<NotificationRow>(
        `SELECT ${NOTIFICATION_COLUMNS} FROM notifications
         WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2) AND (NOT $3 OR read_at IS NULL)
         ORDER BY id DESC LIMIT $4`,
        [userId, before, q.unreadOnly, q.limit],
      );
      return rows.map(toNotification);
    },
    async unreadNotificationCount(userId) {
      const row = await db.one<{ n: number }>(
        'SELECT COUNT(*) AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL',
        [userId],
      );
      return row?.n ?? 0;
    },
    async markNotificationsRead(userId, ids, now) {
      if (ids === null) {
        return db.run('UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL', [userId, now]);
      }
      const numeric = ids.map(parseId).filter((id): id is string => id !== null);
      if (numeric.length === 0) return 0;
      return db.run(
        'UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL AND id = ANY($3::bigint[])',
        [userId, now, numeric],
      );
    },
  };
}
