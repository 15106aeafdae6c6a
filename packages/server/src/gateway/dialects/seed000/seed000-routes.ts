import { dmConversationId, groupConversationId, parseUserId, renderUserId } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../../errors.js';
import { body, groupIdParam, idList, userIdParam } from '../../../http/params.js';
import type { MessageRecord } from '../../../storage/records.js';
import { limitOffset } from '../shared/paging.js';
import { nameOf, peopleOf } from '../shared/people.js';
import { optionalClientMsgId } from '../shared/client-msg-id.js';
import { seedErrorShape } from '../shared/rest-errors.js';
import { seedAuthenticate } from '../shared/seed-rest-auth.js';
import { assertSendContent } from '../../../validation/send-content.js';
import { textInput } from '../shared/send.js';
import type { SeedContext } from '../seed-context.js';
import { renderSeed000Message } from './seed000-render.js';

type Params = { Params: Record<string, string> };

/**
 * Seed 000's REST API (JWT): history with limit/offset and `total`, sending, and online status, every answer in
 * the `{success, result}` envelope; refusals are `{success: false, error: {code, message}}` with the code's status.
 */
export async function seed000Rest(app: FastifyInstance, ctx: SeedContext): Promise<void> {
  seedErrorShape(app, ctx, (e) => ({ success: false, error: { code: e.code, message: e.message } }));
  app.addHook('preHandler', seedAuthenticate(ctx));

  /** History items carry the sender's name and online status. */
  const withSenders = async (messages: MessageRecord[], extra: string[] = []) => {
    const people = await peopleOf(ctx, [...messages.map((m) => m.senderId), ...extra]);
    const items = messages.map((m) => ({
      ...renderSeed000Message(m),
      sender_username: nameOf(people.users.get(m.senderId), m.senderId),
      is_online: people.online.has(m.senderId),
    }));
    return { items, people };
  };
  const total = async (conversationId: string) => (await ctx.store.getConversation(conversationId))?.lastSeq ?? 0;

  app.get<Params>('/messages/user/:peerId', async (request) => {
    const peerId = userIdParam(request.params.peerId, 'peerId');
    if (peerId === request.userId) throw new AppError('VALIDATION_FAILED', 'That is you', { field: 'peerId' });
    const peer = await ctx.users.get(peerId);
    const conversationId = dmConversationId(request.userId, peerId);
    const page = await ctx.messages.history(request.userId, conversationId, limitOffset(request.query));
    const { items, people } = await withSenders(page.messages, [peerId]);
    return {
      success: true,
      result: {
        messages: items,
        peer: {
          id: renderUserId(peer.id),
          username: nameOf(peer, peer.id),
          email: null,
          is_online: people.online.has(peer.id),
        },
        total: await total(conversationId),
      },
    };
  });

  app.get<Params>('/messages/group/:groupId', async (request) => {
    const groupId = groupIdParam(request.params.groupId);
    const conversationId = groupConversationId(groupId);
    const page = await ctx.messages.history(request.userId, conversationId, limitOffset(request.query));
    const group = await ctx.groups.get(request.userId, groupId);
    const { items } = await withSenders(page.messages);
    return {
      success: true,
      result: {
        messages: items,
        group: {
          id: groupId,
          name: group.conversation.name,
          description: group.conversation.description,
          member_count: group.memberCount,
        },
        total: await total(conversationId),
      },
    };
  });

  app.post('/messages/user', async (request, reply) => {
    const b = body(request.body);
    const to = parseUserId(b.receiver_id);
    if (to === null) throw new AppError('VALIDATION_FAILED', 'receiver_id is not a user id', { field: 'receiver_id' });
    const input = textInput({ toUserId: to }, content(b.content), optionalClientMsgId(b.client_msg_id));
    const r = await ctx.messages.send(request.userId, assertSendContent(input));
    return reply.status(201).send({ success: true, result: { message: renderSeed000Message(r.message) } });
  });

  app.post('/messages/group', async (request, reply) => {
    const b = body(request.body);
    const groupId = groupIdParam(String(b.group_id));
    const input = assertSendContent(
      textInput({ conversationId: groupConversationId(groupId) }, content(b.content), optionalClientMsgId(b.client_msg_id)),
    );
    const r = await ctx.messages.send(request.userId, input);
    return reply.status(201).send({ success: true, result: { message: renderSeed000Message(r.message) } });
  });

  app.get<{ Querystring: { user_ids?: string } }>('/messages/online', async (request) => {
    const ids = idList(request.query.user_ids, 'user_ids');
    const online = await ctx.presence.online(ids);
    return { success: true, result: { online_users: Object.fromEntries(ids.map((id) => [id, online.has(id)])) } };
  });
}

function content(value: unknown): string {
  if (typeof value !== 'string')
    throw new AppError('VALIDATION_FAILED', 'content must be a string', { field: 'content' });
  return value;
}
