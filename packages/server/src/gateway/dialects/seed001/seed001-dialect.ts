import { dmConversationId, parseUserId, renderUserId } from '@parley/protocol';
import { AppError, toAppError } from '../../../errors.js';
import { CLIENT_MSG_ID } from '../../../validation/inputs.js';
import type { Obj } from '../../../validation/validate.js';
import type { Connection } from '../../connection.js';
import { closeCodeFor } from '../shared/close-code.js';
import { sendThen } from '../shared/send.js';
import type { SeedContext } from '../seed-context.js';
import { type Ack, failure, respond, type SocketIoDialect } from '../socketio/socket-io-dialect.js';
import { socketIoFrame } from '../socketio/socket-io-transport.js';
import { Seed001Encoder } from './seed001-events.js';
import { renderChat001 } from './seed001-render.js';
import { chatUnread } from './seed001-unread.js';

type Handler = (conn: Connection, p: Obj) => Promise<unknown>;

/**
 * Seed 001 (Express + Socket.IO chat with system notifications): the JWT comes in the handshake. On connect the
 * client gets `online_users{userIds}` (its friends online now). Requests, answered by acknowledgement (or
 * `<event>_response`): `send_message{toUserId, content, tempId?}` -> `{success, message, tempId}` once stored
 * (tempId is the idempotency key); `mark_read{fromUserId, messageId?}`; `mark_system_read{messageIds?}`;
 * `get_online_users`. Direct messages obey the deployment's DM policy (PARLEY_DM_POLICY=friends: friends only).
 */
export class Seed001Dialect implements SocketIoDialect {
  readonly name = 'seed001';
  readonly needsHandshakeToken = true;
  private readonly encoder = new Seed001Encoder();
  private readonly handlers: Record<string, Handler> = {
    mark_read: (conn, p) => this.markRead(conn, p),
    mark_system_read: (conn, p) => this.markSystemRead(conn, p),
    get_online_users: async (conn) => ({ success: true, userIds: await this.onlineFriends(conn) }),
  };

  constructor(private readonly ctx: SeedContext) {}

  encode(event: Parameters<Seed001Encoder['encode']>[0]): string | null {
    return this.encoder.encode(event);
  }

  authenticated(conn: Connection): void {
    this.opened(conn);
  }

  opened(conn: Connection): void {
    conn.chain = conn.chain
      .then(async () => {
        if (!conn.closed)
          this.write(conn, socketIoFrame(['online_users', { userIds: await this.onlineFriends(conn) }]));
      })
      .catch((err) => this.ctx.log.warn({ err }, 'online_users failed'));
  }

  refused(conn: Connection, error: AppError): void {
    this.ctx.metrics.errors.inc({ code: error.code });
    this.ctx.sessions.close(conn, closeCodeFor(error), error.code, socketIoFrame(['error', failure(error)]));
  }

  frame(conn: Connection, text: string): Promise<void> {
    const [name, payload] = JSON.parse(text) as [string, unknown];
    return this.event(conn, name, payload, null);
  }

  async event(conn: Connection, name: string, payload: unknown, ack: Ack | null): Promise<void> {
    const wait = this.ctx.frameRate.take(conn.id);
    if (wait > 0) return this.fail(conn, name, ack, new AppError('RATE_LIMITED', undefined, { retryAfterMs: wait }));
    this.ctx.sessions.activity(conn, this.ctx.clock());
    const p = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Obj) : {};
    if (name === 'send_message') return this.sendMessage(conn, p, ack);
    const handler = Object.hasOwn(this.handlers, name) ? this.handlers[name] : undefined;
    if (!handler)
      return this.fail(conn, name, ack, new AppError('UNKNOWN_TYPE', `Unknown event "${name.slice(0, 64)}"`));
    try {
      respond(this.write, conn, name, ack, await handler(conn, p));
    } catch (err) {
      this.fail(conn, name, ack, toAppError(err));
    }
  }

  private async sendMessage(conn: Connection, p: Obj, ack: Ack | null): Promise<void> {
    const tempId = typeof p.tempId === 'string' || typeof p.tempId === 'number' ? String(p.tempId) : null;
    const to = parseUserId(p.toUserId ?? p.receiverId);
    const refuse = (error: AppError) => this.fail(conn, 'send_message', ack, error, { tempId });
    if (to === null)
      return refuse(new AppError('VALIDATION_FAILED', 'toUserId is not a user id', { field: 'toUserId' }));
    if (typeof p.content !== 'string') {
      return refuse(new AppError('VALIDATION_FAILED', 'content must be a string', { field: 'content' }));
    }
    const metadata =
      p.metadata !== null && typeof p.metadata === 'object' && !Array.isArray(p.metadata) ? (p.metadata as Obj) : null;
    const input = {
      toUserId: to,
      clientMsgId: tempId !== null && CLIENT_MSG_ID.test(tempId) ? tempId : null,
      text: p.content,
      kind: 'text',
      metadata,
      replyTo: null,
    };
    await sendThen(
      this.ctx,
      conn,
      input,
      (r) =>
        respond(this.write, conn, 'send_message', ack, {
          success: true,
          message: renderChat001(r.message, false),
          tempId,
        }),
      refuse,
    );
  }

  /** Marks the direct conversation with a user read, up to a message or to its end. */
  private async markRead(conn: Connection, p: Obj) {
    const me = conn.userId as string;
    const peer = parseUserId(p.fromUserId ?? p.userId);
    if (peer === null) throw new AppError('VALIDATION_FAILED', 'fromUserId is not a user id', { field: 'fromUserId' });
    const conversationId = dmConversationId(me, peer);
    let seq = (await this.ctx.store.getConversation(conversationId))?.lastSeq ?? 0;
    if (p.messageId !== undefined) {
      const m = await this.ctx.store.getMessage(String(p.messageId));
      if (!m || m.conversationId !== conversationId)
        throw new AppError('NOT_FOUND', 'No such message', { field: 'messageId' });
      seq = m.seq;
    }
    const unreadCount = seq === 0 ? 0 : (await this.ctx.receipts.markRead(me, conversationId, seq)).unreadCount;
    return { success: true, unreadCount, totalUnread: await chatUnread(this.ctx, me) };
  }

  private async markSystemRead(conn: Connection, p: Obj) {
    const raw = p.messageIds ?? p.ids;
    let ids: string[] | null = null;
    if (raw !== undefined) {
      if (!Array.isArray(raw) || raw.length > 1000 || raw.some((i) => typeof i !== 'string' && typeof i !== 'number')) {
        throw new AppError('VALIDATION_FAILED', 'messageIds must list up to 1000 ids', { field: 'messageIds' });
      }
      ids = raw.map(String);
    }
    const r = await this.ctx.notifications.markRead(conn.userId as string, ids);
    return { success: true, updated: r.updated, unreadCount: r.unreadCount };
  }

  private async onlineFriends(conn: Connection) {
    const friends = await this.ctx.social.listFriends(conn.userId as string);
    const online = await this.ctx.presence.online(friends.map((f) => f.userId));
    return [...online].map(renderUserId);
  }

  private fail(conn: Connection, name: string, ack: Ack | null, error: AppError, extra: Obj = {}): void {
    this.ctx.metrics.errors.inc({ code: error.code });
    respond(this.write, conn, name, ack, { ...failure(error), ...extra });
  }

  private readonly write = (conn: Connection, text: string) => this.ctx.hub.write(conn, text);
}
