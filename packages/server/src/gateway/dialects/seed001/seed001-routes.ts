import { dmConversationId } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../../errors.js';
import { body, userIdParam } from '../../../http/params.js';
import { type Obj, optInt } from '../../../validation/validate.js';
import { iso } from '../../../wire/render.js';
import { peopleOf } from '../shared/people.js';
import { seedErrorShape } from '../shared/rest-errors.js';
import { seedAuthenticate } from '../shared/seed-rest-auth.js';
import type { SeedContext } from '../seed-context.js';
import { chatUnread } from './seed001-unread.js';
import { renderChat001, renderSystem001, renderUser001 } from './seed001-render.js';

type Params = { Params: Record<string, string> };
type MessageParams = { Params: { messageId: string } };

/**
 * Seed 001's REST API (JWT), answers in `{success: true, data}`, refusals `{success: false, code, message}`.
 * History is newest page first by default, ascending within the page (`limit`, `before` = a message id to page
 * older). `isRead` of a chat message: whether its recipient has read it. Soft-deleted messages stay in the
 * history with `deletedAt` set and empty content.
 */
export async function seed001Rest(app: FastifyInstance, ctx: SeedContext): Promise<void> {
  seedErrorShape(app, ctx, (e) => ({ success: false, code: e.code, message: e.message }));
  app.addHook('preHandler', seedAuthenticate(ctx));

  app.get<Params>('/api/messages/:userId', async (request) => {
    const me = request.userId;
    const peerId = userIdParam(request.params.userId, 'userId');
    if (peerId === me) throw new AppError('VALIDATION_FAILED', 'That is you', { field: 'userId' });
    await ctx.users.get(peerId);
    const q = (request.query ?? {}) as Obj;
    const limit = optInt(q, 'limit', { min: 1, max: 200 }) ?? 50;
    const conversationId = dmConversationId(me, peerId);
    let before: number | undefined;
    if (q.before !== undefined && q.before !== '') {
      const anchor = await ctx.store.getMessage(String(q.before));
      if (!anchor || anchor.conversationId !== conversationId) {
        throw new AppError('NOT_FOUND', 'before names no message of this conversation', { field: 'before' });
      }
      before = anchor.seq;
    }
    const page = await ctx.messages.history(me, conversationId, before === undefined ? { limit } : { before, limit });
    const member = page.messages.length > 0 ? await ctx.receipts.positions(me, conversationId) : [];
    const readSeq = new Map(member.map((p) => [p.userId, p.readSeq ?? 0]));
    const { users } = await peopleOf(ctx, [me, peerId]);
    const messages = page.messages.map((m) => {
      const recipient = m.senderId === me ? peerId : me;
      return renderChat001(m, (readSeq.get(recipient) ?? 0) >= m.seq, users.get(m.senderId));
    });
    return { success: true, data: { messages, hasMore: page.hasMore } };
  });

  app.get('/api/messages/conversations/list', async (request) => {
    const { conversations } = await ctx.conversations.list(request.userId);
    const data = conversations
      .filter((c) => c.conversation.kind === 'dm' && c.peer !== null)
      .map((c) => {
        const peer = c.peer as NonNullable<typeof c.peer>;
        return {
          userId: renderUser001(peer).id,
          user: renderUser001(peer),
          lastMessage: c.lastMessage ? renderChat001(c.lastMessage, false) : null,
          unreadCount: c.unreadCount,
          isOnline: c.peerPresence !== null && c.peerPresence.status !== 'offline',
          lastMessageAt: iso(c.conversation.lastMessageAt ?? c.conversation.createdAt),
        };
      });
    return { success: true, data };
  });

  app.get('/api/messages/unread/count', async (request) => {
    const chat = await chatUnread(ctx, request.userId);
    const system = await ctx.notifications.unreadCount(request.userId);
    return { success: true, data: { chat, system, total: chat + system } };
  });

  app.get('/api/messages/system/list', async (request) => {
    const q = (request.query ?? {}) as Obj;
    const limit = optInt(q, 'limit', { min: 1, max: 200 }) ?? 50;
    const before = typeof q.before === 'string' && q.before !== '' ? q.before : undefined;
    const [list, unreadCount] = await Promise.all([
      ctx.notifications.list(request.userId, {
        limit,
        unreadOnly: q.unreadOnly === 'true',
        ...(before ? { before } : {}),
      }),
      ctx.notifications.unreadCount(request.userId),
    ]);
    return { success: true, data: { messages: list.map(renderSystem001), unreadCount } };
  });

  app.post('/api/messages/system/mark-read', async (request) => {
    const b = request.body === undefined || request.body === null ? {} : body(request.body);
    const raw = b.messageIds ?? b.ids;
    let ids: string[] | null = null;
    if (raw !== undefined && b.all !== true) {
      if (!Array.isArray(raw) || raw.length > 1000 || raw.some((i) => typeof i !== 'string' && typeof i !== 'number')) {
        throw new AppError('VALIDATION_FAILED', 'messageIds must list up to 1000 ids', { field: 'messageIds' });
      }
      ids = raw.map(String);
    }
    const r = await ctx.notifications.markRead(request.userId, ids);
    return { success: true, data: { updated: r.updated, unreadCount: r.unreadCount } };
  });

  app.delete<MessageParams>('/api/messages/:messageId', async (request) => {
    const deleted = await ctx.deletion.softDelete(request.userId, request.params.messageId);
    return { success: true, data: { id: deleted.id, deletedAt: iso(deleted.deletedAt as number) } };
  });
}
