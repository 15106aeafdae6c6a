import type { FastifyInstance } from 'fastify';
import type { UserRecord } from '../../storage/records.js';
import { iso, placeholderUser, renderPresence, renderUser } from '../../wire/render.js';
import type { HttpContext } from '../context.js';
import { body, userIdParam } from '../params.js';

type Params = { Params: { userId: string } };

/** Friends and blocks. */
export function friendRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const usersById = async (ids: string[]) => new Map((await ctx.users.getMany(ids)).map((u) => [u.id, u]));
  const profile = (m: Map<string, UserRecord>, id: string) => renderUser(m.get(id) ?? placeholderUser(id));

  app.get('/v1/friends', async (request) => {
    const friends = await ctx.social.listFriends(request.userId);
    const ids = friends.map((f) => f.userId);
    const [users, presence] = await Promise.all([usersById(ids), ctx.presence.query(ids)]);
    return {
      friends: friends.map((f, i) => ({
        user: profile(users, f.userId),
        presence: renderPresence(presence[i] as never),
        since: iso(f.since),
      })),
    };
  });

  app.get('/v1/friends/requests', async (request) => {
    const { incoming, outgoing } = await ctx.social.listRequests(request.userId);
    const users = await usersById([...incoming.map((r) => r.fromId), ...outgoing.map((r) => r.toId)]);
    return {
      incoming: incoming.map((r) => ({ user: profile(users, r.fromId), created_at: iso(r.createdAt) })),
      outgoing: outgoing.map((r) => ({ user: profile(users, r.toId), created_at: iso(r.createdAt) })),
    };
  });

  app.post('/v1/friends/requests', async (request, reply) => {
    const status = await ctx.social.request(request.userId, userIdParam(body(request.body).user_id));
    return reply.status(status === 'requested' ? 201 : 200).send({ status });
  });

  app.post<Params>('/v1/friends/requests/:userId/accept', async (request, reply) => {
    await ctx.social.accept(request.userId, userIdParam(request.params.userId));
    return reply.status(204).send();
  });

  app.post<Params>('/v1/friends/requests/:userId/decline', async (request, reply) => {
    await ctx.social.decline(request.userId, userIdParam(request.params.userId));
    return reply.status(204).send();
  });

  app.delete<Params>('/v1/friends/requests/:userId', async (request, reply) => {
    await ctx.social.cancel(request.userId, userIdParam(request.params.userId));
    return reply.status(204).send();
  });

  app.delete<Params>('/v1/friends/:userId', async (request, reply) => {
    await ctx.social.remove(request.userId, userIdParam(request.params.userId));
    return reply.status(204).send();
  });

  app.get('/v1/blocks', async (request) => {
    const blocked = await ctx.social.listBlocked(request.userId);
    const users = await usersById(blocked.map((b) => b.userId));
    return { blocked: blocked.map((b) => ({ user: profile(users, b.userId), since: iso(b.since) })) };
  });

  app.put<Params>('/v1/blocks/:userId', async (request, reply) => {
    await ctx.social.block(request.userId, userIdParam(request.params.userId));
    return reply.status(204).send();
  });

  app.delete<Params>('/v1/blocks/:userId', async (request, reply) => {
    await ctx.social.unblock(request.userId, userIdParam(request.params.userId));
    return reply.status(204).send();
  });
}
