import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import { optInt } from '../../validation/validate.js';
import { renderNotification } from '../../wire/render.js';
import type { HttpContext } from '../context.js';
import { body } from '../params.js';

/** The caller's notification inbox. */
export function notificationRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get<{ Querystring: Record<string, string> }>('/v1/notifications', async (request) => {
    const q = request.query;
    const limit = optInt(q, 'limit', { min: 1, max: 200 }) ?? 50;
    const before = typeof q.before === 'string' && q.before !== '' ? q.before : undefined;
    const [list, unread] = await Promise.all([
      ctx.notifications.list(request.userId, { limit, unreadOnly: q.unread === 'true', ...(before ? { before } : {}) }),
      ctx.notifications.unreadCount(request.userId),
    ]);
    return { notifications: list.map(renderNotification), unread_count: unread };
  });

  app.get('/v1/notifications/unread-count', async (request) => ({
    unread_count: await ctx.notifications.unreadCount(request.userId),
  }));

  app.post('/v1/notifications/read', async (request) => {
    const b = body(request.body);
    let ids: string[] | null = null;
    if (b.all !== true) {
      const raw = b.ids;
      if (
        !Array.isArray(raw) ||
        raw.length === 0 ||
        raw.length > 1000 ||
        raw.some((i) => typeof i !== 'string' && typeof i !== 'number')
      ) {
        throw new AppError('VALIDATION_FAILED', 'give ids (1 to 1000) or all: true', { field: 'ids' });
      }
      ids = raw.map(String);
    }
    const r = await ctx.notifications.markRead(request.userId, ids);
    return { updated: r.updated, unread_count: r.unreadCount };
  });
}
