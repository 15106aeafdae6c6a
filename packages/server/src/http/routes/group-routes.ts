import { renderUserId } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import type { GroupView } from '../../services/group-service.js';
import { optArray, optEnum, optHttpUrl, optStr, str } from '../../validation/validate.js';
import { renderGroup, renderMember } from '../../wire/render.js';
import type { HttpContext } from '../context.js';
import { body, groupIdParam, userIdParam } from '../params.js';

type GroupParams = { Params: { id: string } };
type MemberParams = { Params: { id: string; userId: string } };

const renderView = (v: GroupView) => ({ group: renderGroup(v), my_role: v.myRole });

/** Groups: create, read, update, members and roles, join and leave. */
export function groupRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.post('/v1/groups', async (request, reply) => {
    const b = body(request.body);
    const memberIds = (optArray(b, 'member_ids', 1000) ?? []).map((id) => userIdParam(id, 'member_ids'));
    const view = await ctx.groups.create(request.userId, {
      name: str(b, 'name', { min: 1, max: 100 }),
      description: optStr(b, 'description', { max: 1000 }) ?? '',
      avatarUrl: optHttpUrl(b, 'avatar_url') ?? null,
      visibility: optEnum(b, 'visibility', ['public', 'private'] as const) ?? 'private',
      memberIds,
    });
    return reply.status(201).send(renderView(view));
  });

  app.get('/v1/groups', async (request) => {
    const views = await ctx.groups.listMine(request.userId);
    return { groups: views.map((v) => ({ ...renderGroup(v), my_role: v.myRole })) };
  });

  app.get<GroupParams>('/v1/groups/:id', async (request) =>
    renderView(await ctx.groups.get(request.userId, groupIdParam(request.params.id))),
  );

  app.patch<GroupParams>('/v1/groups/:id', async (request) => {
    const b = body(request.body);
    const patch = {
      name: optStr(b, 'name', { min: 1, max: 100 }),
      description: optStr(b, 'description', { max: 1000 }),
      avatarUrl: optHttpUrl(b, 'avatar_url'),
      visibility: optEnum(b, 'visibility', ['public', 'private'] as const),
    };
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    return renderView(await ctx.groups.update(request.userId, groupIdParam(request.params.id), defined));
  });

  app.get<GroupParams>('/v1/groups/:id/members', async (request) => {
    const members = await ctx.groups.members(request.userId, groupIdParam(request.params.id));
    const users = new Map((await ctx.users.getMany(members.map((m) => m.userId))).map((u) => [u.id, u]));
    return { members: members.map((m) => renderMember(m, users.get(m.userId))) };
  });

  app.post<GroupParams>('/v1/groups/:id/members', async (request) => {
    const b = body(request.body);
    const ids = optArray(b, 'user_ids', 1000);
    if (!ids || ids.length === 0)
      throw new AppError('VALIDATION_FAILED', 'user_ids must list at least one id', { field: 'user_ids' });
    const added = await ctx.groups.addMembers(
      request.userId,
      groupIdParam(request.params.id),
      ids.map((id) => userIdParam(id, 'user_ids')),
    );
    return { added: added.map(renderUserId) };
  });

  app.delete<MemberParams>('/v1/groups/:id/members/:userId', async (request, reply) => {
    await ctx.groups.removeMember(request.userId, groupIdParam(request.params.id), userIdParam(request.params.userId));
    return reply.status(204).send();
  });

  app.patch<MemberParams>('/v1/groups/:id/members/:userId', async (request, reply) => {
    const role = optEnum(body(request.body), 'role', ['owner', 'admin', 'member'] as const);
    if (!role) throw new AppError('VALIDATION_FAILED', 'role is required', { field: 'role' });
    await ctx.groups.setRole(request.userId, groupIdParam(request.params.id), userIdParam(request.params.userId), role);
    return reply.status(204).send();
  });

  app.post<GroupParams>('/v1/groups/:id/join', async (request) =>
    renderView(await ctx.groups.join(request.userId, groupIdParam(request.params.id))),
  );

  app.post<GroupParams>('/v1/groups/:id/leave', async (request, reply) => {
    await ctx.groups.leave(request.userId, groupIdParam(request.params.id));
    return reply.status(204).send();
  });
}
