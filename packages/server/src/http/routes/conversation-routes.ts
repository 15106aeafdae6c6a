import { renderUserId } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { parseHistoryQuery, parseSendInput } from '../../validation/inputs.js';
import { int } from '../../validation/validate.js';
import { renderConversation, renderMessage, renderReceipt } from '../../wire/render.js';
import type { HttpContext } from '../context.js';
import { body, userIdParam } from '../params.js';

type ConvParams = { Params: { id: string } };

/** Conversations, history and sending: the same services and rules as the WebSocket edge. */
export function conversationRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/v1/conversations', async (request) => {
    const { conversations, totalUnread } = await ctx.conversations.list(request.userId);
    return { conversations: conversations.map(renderConversation), total_unread: totalUnread };
  });

  app.post('/v1/conversations', async (request) => {
    const id = await ctx.conversations.openDm(request.userId, userIdParam(body(request.body).user_id));
    return { conversation_id: id };
  });

  app.get<ConvParams>('/v1/conversations/:id/messages', async (request) => {
    const page = await ctx.messages.history(
      request.userId,
      request.params.id,
      parseHistoryQuery(request.query as Record<string, unknown>),
    );
    return { messages: page.messages.map(renderMessage), has_more: page.hasMore };
  });

  app.post<ConvParams>('/v1/conversations/:id/messages', async (request, reply) => {
    const b = body(request.body);
    const input = parseSendInput({ ...b, conversation_id: request.params.id, to_user_id: undefined });
    const r = await ctx.messages.send(request.userId, input);
    return reply.status(r.duplicate ? 200 : 201).send({ message: renderMessage(r.message), duplicate: r.duplicate });
  });

  app.post('/v1/messages', async (request, reply) => {
    const r = await ctx.messages.send(request.userId, parseSendInput(body(request.body)));
    return reply.status(r.duplicate ? 200 : 201).send({ message: renderMessage(r.message), duplicate: r.duplicate });
  });

  app.post<ConvParams>('/v1/conversations/:id/read', async (request) => {
    const seq = int(body(request.body), 'seq', { min: 0, max: Number.MAX_SAFE_INTEGER });
    const r = await ctx.receipts.markRead(request.userId, request.params.id, seq);
    return {
      conversation_id: r.conversationId,
      read_seq: r.readSeq,
      unread_count: r.unreadCount,
      total_unread: r.totalUnread,
    };
  });

  app.post<ConvParams>('/v1/conversations/:id/delivered', async (request) => {
    const seq = int(body(request.body), 'seq', { min: 0, max: Number.MAX_SAFE_INTEGER });
    const r = await ctx.receipts.markDelivered(request.userId, request.params.id, seq);
    return { conversation_id: r.conversationId, delivered_seq: r.deliveredSeq };
  });

  app.get<ConvParams>('/v1/conversations/:id/receipts', async (request) => {
    const positions = await ctx.receipts.positions(request.userId, request.params.id);
    return { receipts: positions.map(renderReceipt) };
  });

  app.get<{ Params: { id: string; seq: string } }>('/v1/conversations/:id/messages/:seq/readers', async (request) => {
    const seq = int({ seq: request.params.seq }, 'seq', { min: 1, max: Number.MAX_SAFE_INTEGER });
    const r = await ctx.receipts.readers(request.userId, request.params.id, seq);
    return {
      seq: r.seq,
      read_by: r.readBy.map(renderUserId),
      delivered_to: r.deliveredTo.map(renderUserId),
      member_count: r.memberCount,
    };
  });
}
