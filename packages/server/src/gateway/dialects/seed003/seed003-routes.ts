import { renderUserId } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { userIdParam } from '../../../http/params.js';
import { type Obj, optInt } from '../../../validation/validate.js';
import { seedErrorShape } from '../shared/rest-errors.js';
import { seedAuthenticate } from '../shared/seed-rest-auth.js';
import { isoSeconds } from '../shared/seed-time.js';
import type { SeedContext } from '../seed-context.js';

/**
 * Seed 003's REST API (JWT): who is online. Refusals are FastAPI's `{detail}` with the code's status.
 * `connections_count` of /status counts the connections on the node that answers. The /online list names the
 * caller's contacts only (P1), unless the deployment chose the seed's global list (PARLEY_SEED003_PRESENCE);
 * `online_count` is the deployment's, as in the welcome frame.
 */
export async function seed003Rest(app: FastifyInstance, ctx: SeedContext): Promise<void> {
  seedErrorShape(app, ctx, (e) => ({ detail: e.message }));
  app.addHook('preHandler', seedAuthenticate(ctx));
  const lastSeen = (ms: number | null) => (ms === null ? null : isoSeconds(ms));

  app.get('/api/v1/online', async (request) => {
    const limit = optInt((request.query ?? {}) as Obj, 'limit', { min: 1, max: 1000 }) ?? 100;
    const [count, online] = await Promise.all([
      ctx.presence.onlineCount(),
      ctx.config.seed003Presence === 'everyone'
        ? ctx.presence.onlineUsers(limit)
        : onlineContacts(ctx, request.userId, limit),
    ]);
    const users = new Map((await ctx.users.getMany(online.map((o) => o.userId))).map((u) => [u.id, u]));
    return {
      online_count: count,
      users: online.map((o) => ({
        user_id: renderUserId(o.userId),
        online: true,
        last_seen: lastSeen(users.get(o.userId)?.lastSeenAt ?? null),
        connections_count: o.connections,
      })),
    };
  });

  app.get('/api/v1/online/count', async () => ({ online_count: await ctx.presence.onlineCount() }));

  app.get<{ Params: { user_id: string } }>('/api/v1/status/:user_id', async (request) => {
    const id = userIdParam(request.params.user_id);
    await ctx.users.get(id);
    const [presence] = await ctx.presence.query([id]);
    return {
      user_id: renderUserId(id),
      online: presence !== undefined && presence.status !== 'offline',
      last_seen: lastSeen(presence?.lastSeen ?? null),
      connections_count: ctx.hub.connectionsOf(id)?.size ?? 0,
    };
  });
}

/** The caller's contacts who are online, with their connections on this node, at most `limit`. */
async function onlineContacts(
  ctx: SeedContext,
  userId: string,
  limit: number,
): Promise<{ userId: string; connections: number }[]> {
  const presence = await ctx.presence.query(await ctx.store.contactsOf(userId));
  return presence
    .filter((p) => p.status !== 'offline')
    .slice(0, limit)
    .map((p) => ({ userId: p.userId, connections: ctx.hub.connectionsOf(p.userId)?.size ?? 0 }));
}
