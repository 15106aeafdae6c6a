import { type DeviceStatus, parseUserId, type ResultData, renderUserId } from '@parley/protocol';
import { AppError } from '../../errors.js';
import { parseHistoryQuery, parseSendInput } from '../../validation/inputs.js';
import { int, type Obj, optEnum, optStr, str } from '../../validation/validate.js';
import { renderConversation, renderMessage, renderPresence, renderReceipt } from '../../wire/render.js';
import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';
import { catchUpPieceBytes } from '../paced-writer.js';
import { runSync } from './canonical-sync.js';
import { boundHistoryPage, historyReplyBytes } from './history-page.js';
import { parsePositions } from './sync-positions.js';

/**
 * A request handler returns its result data, or a promise of it. `msg.send` resolves as soon as the message is
 * queued for the store (so the next frame can be handled and order is kept) and replies once it is durable.
 */
type Handler = (ctx: GatewayContext, conn: Connection, frame: Obj) => Promise<unknown>;

/** A reply sent later (once `deferred` resolves); `after` runs right after the reply is written. */
export type Deferred = { deferred: Promise<unknown>; after?: () => void };

/** Frame types that may be sent without an id (notifications): no result is sent for them, only errors. */
export const NOTIFICATION_TYPES = new Set(['msg.delivered', 'typing', 'presence.set']);

const MAX_SEQ = { min: 0, max: Number.MAX_SAFE_INTEGER };
const me = (conn: Connection) => conn.userId as string;
const conversationOf = (f: Obj) => str(f, 'conversation_id', { max: 200 });

export const canonicalHandlers: Record<string, Handler> = {
  async 'msg.send'(ctx, conn, f): Promise<Deferred> {
    const input = parseSendInput(f);
    const { committed } = await ctx.messages.submit(me(conn), input, conn.id);
    return {
      deferred: committed.then((r): ResultData['msg.send'] => ({
        message: renderMessage(r.message),
        duplicate: r.duplicate,
      })),
    };
  },

  /** C3: the reply is bounded in bytes and written once the socket has room for it. */
  async 'msg.history'(ctx, conn, f): Promise<ResultData['msg.history']> {
    const query = parseHistoryQuery(f);
    const page = await ctx.messages.history(me(conn), conversationOf(f), query);
    const { sendBufferBytes } = ctx.config.limits;
    const reply = boundHistoryPage(
      page.messages.map(renderMessage),
      page.hasMore,
      query.after !== undefined,
      historyReplyBytes(sendBufferBytes),
    );
    await ctx.hub.drained(conn, catchUpPieceBytes(sendBufferBytes));
    return reply;
  },

  async 'conv.list'(ctx, conn): Promise<ResultData['conv.list']> {
    const { conversations, totalUnread } = await ctx.conversations.list(me(conn));
    return { conversations: conversations.map(renderConversation), total_unread: totalUnread };
  },

  async 'conv.read'(ctx, conn, f): Promise<ResultData['conv.read']> {
    const r = await ctx.receipts.markRead(me(conn), conversationOf(f), int(f, 'seq', MAX_SEQ));
    return {
      conversation_id: r.conversationId,
      read_seq: r.readSeq,
      unread_count: r.unreadCount,
      total_unread: r.totalUnread,
    };
  },

  async 'msg.delivered'(ctx, conn, f): Promise<ResultData['msg.delivered']> {
    const r = await ctx.receipts.markDelivered(me(conn), conversationOf(f), int(f, 'seq', MAX_SEQ));
    return { conversation_id: r.conversationId, delivered_seq: r.deliveredSeq };
  },

  async 'receipts.get'(ctx, conn, f): Promise<ResultData['receipts.get']> {
    const positions = await ctx.receipts.positions(me(conn), conversationOf(f));
    return { receipts: positions.map(renderReceipt) };
  },

  async 'msg.readers'(ctx, conn, f): Promise<ResultData['msg.readers']> {
    const r = await ctx.receipts.readers(me(conn), conversationOf(f), int(f, 'seq', { min: 1, max: MAX_SEQ.max }));
    return {
      seq: r.seq,
      read_by: r.readBy.map(renderUserId),
      delivered_to: r.deliveredTo.map(renderUserId),
      member_count: r.memberCount,
    };
  },

  async sync(ctx, conn, f): Promise<Deferred> {
    const { result, release } = await runSync(
      ctx,
      conn,
      () => parsePositions(f.positions),
      () => parsePositions(f.revs, 'revs'),
    );
    return { deferred: Promise.resolve(result), after: release };
  },

  async 'presence.query'(ctx, _conn, f): Promise<ResultData['presence.query']> {
    const raw = f.user_ids;
    if (!Array.isArray(raw) || raw.length > 500) {
      throw new AppError('VALIDATION_FAILED', 'user_ids must be an array of at most 500 ids', { field: 'user_ids' });
    }
    const ids = raw.map(parseUserId);
    if (ids.some((id) => id === null)) {
      throw new AppError('VALIDATION_FAILED', 'user_ids holds an invalid id', { field: 'user_ids' });
    }
    const presence = await ctx.presence.query(ids as string[]);
    return { presence: presence.map(renderPresence) };
  },

  async 'presence.set'(ctx, conn, f): Promise<ResultData['presence.set']> {
    const status = optEnum<DeviceStatus>(f, 'status', ['online', 'away', 'busy']);
    if (!status) throw new AppError('VALIDATION_FAILED', 'status is required', { field: 'status' });
    await ctx.sessions.setStatusByClient(conn, status);
    return { status };
  },

  async typing(ctx, conn, f): Promise<{ relayed: boolean }> {
    const state = optEnum(f, 'state', ['start', 'stop'] as const) ?? 'start';
    const context = optStr(f, 'context', { max: 200 }) ?? null;
    return { relayed: await ctx.typing.typing(me(conn), conversationOf(f), state, context) };
  },

  async 'notif.read'(ctx, conn, f): Promise<ResultData['notif.read']> {
    let ids: string[] | null = null;
    if (f.all !== true) {
      if (
        !Array.isArray(f.ids) ||
        f.ids.length === 0 ||
        f.ids.length > 1000 ||
        f.ids.some((i) => typeof i !== 'string')
      ) {
        throw new AppError('VALIDATION_FAILED', 'give ids (1 to 1000 strings) or all: true', { field: 'ids' });
      }
      ids = f.ids as string[];
    }
    const r = await ctx.notifications.markRead(me(conn), ids);
    return { updated: r.updated, unread_count: r.unreadCount };
  },
};
