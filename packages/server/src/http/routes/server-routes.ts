import { renderUserId } from '@parley/protocol';
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MAX_JSON_DEPTH } from '../../validation/send-content.js';
import { assertJsonShape, assertSafeName } from '../../validation/text.js';
import { AppError } from '../../errors.js';
import { type Obj, optHttpUrl, optStr, str } from '../../validation/validate.js';
import { renderNotification, renderUser } from '../../wire/render.js';
import type { HttpContext } from '../context.js';
import { body, userIdParam } from '../params.js';

/**
 * The server-to-server API for the host application, authenticated with PARLEY_SERVER_KEY
 * (`Authorization: Bearer <key>` or `X-Parley-Server-Key: <key>`). Disabled (403) when no key is configured.
 */
export function serverRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const key = ctx.config.serverKey === null ? null : Buffer.from(ctx.config.serverKey);
  app.addHook('preHandler', async (request: FastifyRequest) => {
    if (key === null) throw new AppError('FORBIDDEN', 'The server API is disabled: set PARLEY_SERVER_KEY');
    const header = request.headers['x-parley-server-key'];
    const auth = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
    const given = typeof header === 'string' ? header : auth ? (auth[1] as string) : null;
    if (given === null) throw new AppError('AUTH_REQUIRED', 'Send the server key');
    const g = Buffer.from(given);
    if (g.length !== key.length || !timingSafeEqual(g, key)) throw new AppError('TOKEN_INVALID', 'Wrong server key');
  });

  app.post('/v1/server/notifications', async (request, reply) => {
    const b = body(request.body);
    const ids = recipients(b);
    const notifications = await ctx.notifications.send(ids, {
      type: str(b, 'type', { min: 1, max: 64, pattern: /^[A-Za-z0-9_.:-]+$/ }),
      title: str(b, 'title', { max: 200 }),
      body: optStr(b, 'body', { max: 4000 }) ?? optStr(b, 'message', { max: 4000 }) ?? '',
      data: objectOrNull(b.data, ctx.config.limits.maxMetadataBytes),
      link: optStr(b, 'link', { max: 2048 }) ?? null,
    });
    return reply.status(201).send({
      notifications: notifications.map((n) => ({ user_id: renderUserId(n.userId), ...renderNotification(n) })),
    });
  });

  app.put<{ Params: { id: string } }>('/v1/server/users/:id', async (request) => {
    const b = body(request.body);
    const id = userIdParam(request.params.id, 'id');
    await ctx.users.ensureFromToken({
      userId: id,
      username: safeName(optStr(b, 'username', { max: 64 }), 'username'),
      displayName: safeName(optStr(b, 'display_name', { min: 1, max: 64 }), 'display_name'),
      expiresAt: null,
      deviceId: null,
    });
    const avatarUrl = optHttpUrl(b, 'avatar_url');
    const user = avatarUrl === undefined ? await ctx.users.get(id) : await ctx.users.updateProfile(id, { avatarUrl });
    return { user: renderUser(user) };
  });
}

function safeName(value: string | undefined, field: string): string | null {
  if (value === undefined) return null;
  assertSafeName(value, field);
  return value;
}

function recipients(b: Obj): string[] {
  if (b.user_id !== undefined) return [userIdParam(b.user_id)];
  const raw = b.user_ids;
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > 10_000) {
    throw new AppError('VALIDATION_FAILED', 'give user_id or user_ids (1 to 10,000 ids)', { field: 'user_ids' });
  }
  return raw.map((id) => userIdParam(id, 'user_ids'));
}

function objectOrNull(value: unknown, maxBytes: number): Record<string, unknown> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('VALIDATION_FAILED', 'data must be a JSON object', { field: 'data' });
  }
  assertJsonShape(value, 'data', MAX_JSON_DEPTH);
  if (JSON.stringify(value).length > maxBytes)
    throw new AppError('PAYLOAD_TOO_LARGE', 'data is too large', { field: 'data' });
  return value as Record<string, unknown>;
}
