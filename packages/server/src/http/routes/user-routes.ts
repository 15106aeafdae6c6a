import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import { optDisplayName, optHttpUrl } from '../../validation/validate.js';
import { renderPresence, renderUser } from '../../wire/render.js';
import type { HttpContext } from '../context.js';
import { body, idList, userIdParam } from '../params.js';

/** Profiles and presence. Every route here needs a token. */
export function userRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/v1/users/me', async (request) => {
    const user = await ctx.users.get(request.userId);
    return { user: renderUser(user), settings: { read_receipts: user.readReceipts } };
  });

  app.patch('/v1/users/me', async (request) => {
    const b = body(request.body);
    const displayName = optDisplayName(b, 'display_name', { min: 1, max: 64 });
    const avatarUrl = optHttpUrl(b, 'avatar_url');
    const readReceipts = b.read_receipts;
    if (readReceipts !== undefined && typeof readReceipts !== 'boolean') {
      throw new AppError('VALIDATION_FAILED', 'read_receipts must be true or false', { field: 'read_receipts' });
    }
    const user = await ctx.users.updateProfile(request.userId, {
      ...(displayName !== undefined ? { displayName } : {}),
      ...(avatarUrl !== undefined ? { avatarUrl } : {}),
      ...(readReceipts !== undefined ? { readReceipts } : {}),
    });
    return { user: renderUser(user), settings: { read_receipts: user.readReceipts } };
  });

  app.get<{ Params: { username: string } }>('/v1/users/by-username/:username', async (request) => {
    const user = await ctx.users.findByUsername(request.params.username);
    const [presence] = await ctx.presence.query([user.id]);
    return { user: renderUser(user), presence: renderPresence(presence as never) };
  });

  app.get<{ Params: { id: string } }>('/v1/users/:id', async (request) => {
    const id = userIdParam(request.params.id, 'id');
    const [user, presence] = await Promise.all([ctx.users.get(id), ctx.presence.query([id])]);
    return { user: renderUser(user), presence: renderPresence(presence[0] as never) };
  });

  app.get<{ Querystring: { ids?: string } }>('/v1/users', async (request) => {
    const users = await ctx.users.getMany(idList(request.query.ids, 'ids'));
    return { users: users.map(renderUser) };
  });

  app.get<{ Querystring: { user_ids?: string } }>('/v1/presence', async (request) => {
    const presence = await ctx.presence.query(idList(request.query.user_ids, 'user_ids'));
    return { presence: presence.map(renderPresence) };
  });
}
