import { randomUUID } from 'node:crypto';
import { groupConversationId } from '@parley/protocol';
import { AppError, toAppError } from '../../../errors.js';
import { CLIENT_MSG_ID } from '../../../validation/inputs.js';
import type { Obj } from '../../../validation/validate.js';
import type { Connection } from '../../connection.js';
import type { Dialect } from '../../dialect.js';
import { closeCodeFor } from '../shared/close-code.js';
import { authenticateFrame } from '../shared/frame-auth.js';
import { parseJsonFrame } from '../shared/json-frame.js';
import { sendThen } from '../shared/send.js';
import type { SeedContext } from '../seed-context.js';
import { envelope, kindOfMsgType } from './seed004-envelope.js';
import { encodeSeed004 } from './seed004-events.js';

type Handler = (conn: Connection, data: Obj, requestId: string) => Promise<void>;

/**
 * Seed 004 (go-zero hub, /ws): envelopes `{type, message_id, timestamp, data}`. `auth{token}` -> `auth_success
 * {user_id}` or `auth_failed{message}` and a close; `ping` -> `pong`; `send_message`, `join_group`, `leave_group`,
 * `mark_read` -> `ack{message_id, success}` echoing the request's message_id (a send is acknowledged once
 * stored; its message_id is the idempotency key, so a resent request is stored once). Refusals are
 * `error{code, message}` with an HTTP-style code. Groups are joined only when public (a private one: 403).
 */
export class Seed004Dialect implements Dialect {
  readonly name = 'seed004';
  private readonly handlers: Record<string, Handler> = {
    send_message: (conn, data, id) => this.sendMessage(conn, data, id),
    join_group: (conn, data, id) => this.acked(conn, id, () => this.ctx.groups.join(me(conn), groupOf(data))),
    leave_group: (conn, data, id) => this.acked(conn, id, () => this.ctx.groups.leave(me(conn), groupOf(data))),
    mark_read: (conn, data, id) => this.acked(conn, id, () => this.markRead(conn, data)),
  };

  constructor(private readonly ctx: SeedContext) {}

  encode = encodeSeed004;

  authenticated(conn: Connection, _token?: unknown, requestId?: string): void {
    this.send(conn, 'auth_success', requestId ?? randomUUID(), { user_id: conn.userId });
  }

  refused(conn: Connection, error: AppError, requestId?: string): void {
    this.ctx.metrics.errors.inc({ code: error.code });
    const frame = envelope('auth_failed', requestId ?? randomUUID(), this.ctx.clock(), { message: error.message });
    this.ctx.sessions.close(conn, closeCodeFor(error), error.code, frame);
  }

  async frame(conn: Connection, text: string): Promise<void> {
    const parsed = parseJsonFrame(text);
    if (!parsed.ok) {
      return this.error(
        conn,
        '',
        parsed.problem === 'json' ? new AppError('INVALID_JSON') : new AppError('INVALID_FRAME'),
      );
    }
    const { frame, type } = parsed;
    const id =
      typeof frame.message_id === 'string' || typeof frame.message_id === 'number' ? String(frame.message_id) : '';
    const wait = this.ctx.frameRate.take(conn.id);
    if (wait > 0) return this.error(conn, id, new AppError('RATE_LIMITED', undefined, { retryAfterMs: wait }));
    const data =
      frame.data !== null && typeof frame.data === 'object' && !Array.isArray(frame.data) ? (frame.data as Obj) : {};
    if (type === 'ping') return this.send(conn, 'pong', id || randomUUID(), null);
    if (type === 'auth') return this.auth(conn, data.token ?? frame.token, id);
    const handler = Object.hasOwn(this.handlers, type) ? this.handlers[type] : undefined;
    if (!handler)
      return this.error(conn, id, new AppError('UNKNOWN_TYPE', `unknown message type: ${type.slice(0, 64)}`));
    if (conn.userId === null) return this.error(conn, id, new AppError('AUTH_REQUIRED', 'not authenticated'));
    this.ctx.sessions.activity(conn, this.ctx.clock());
    return handler(conn, data, id);
  }

  private async auth(conn: Connection, token: unknown, id: string): Promise<void> {
    const result = await authenticateFrame(this.ctx, conn, token);
    if (result.ok) return this.authenticated(conn, undefined, id || undefined);
    if (result.error === null) return;
    if (result.fatal) return this.refused(conn, result.error, id || undefined);
    this.error(conn, id, result.error);
  }

  private async sendMessage(conn: Connection, data: Obj, id: string): Promise<void> {
    let input: Parameters<typeof sendThen>[2];
    try {
      const group = groupOf(data);
      const msgType = data.msg_type === undefined ? 1 : data.msg_type;
      if (typeof msgType !== 'number' || !Number.isSafeInteger(msgType) || msgType < 0) {
        throw new AppError('VALIDATION_FAILED', 'msg_type must be an integer', { field: 'msg_type' });
      }
      if (typeof data.content !== 'string') {
        throw new AppError('VALIDATION_FAILED', 'content must be a string', { field: 'content' });
      }
      const key = `g${group}:${id}`;
      input = {
        conversationId: groupConversationId(group),
        clientMsgId: id !== '' && CLIENT_MSG_ID.test(key) ? key : null,
        text: data.content,
        kind: kindOfMsgType(msgType),
        metadata: null,
        replyTo: null,
      };
    } catch (err) {
      return this.refuse(conn, id, toAppError(err));
    }
    await sendThen(
      this.ctx,
      conn,
      input,
      () => this.send(conn, 'ack', id, { message_id: id, success: true }),
      (error) => this.refuse(conn, id, error),
    );
  }

  private async markRead(conn: Connection, data: Obj): Promise<void> {
    const conversationId = groupConversationId(groupOf(data));
    const message = await this.ctx.store.getMessage(String(data.message_id ?? ''));
    if (!message || message.conversationId !== conversationId) {
      throw new AppError('NOT_FOUND', 'no such message in this group', { field: 'message_id' });
    }
    await this.ctx.receipts.markRead(me(conn), conversationId, message.seq);
  }

  /** Runs a request and acknowledges it; a refusal gets `ack{success:false}` and the `error`. */
  private async acked(conn: Connection, id: string, run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
      this.send(conn, 'ack', id, { message_id: id, success: true });
    } catch (err) {
      this.refuse(conn, id, toAppError(err));
    }
  }

  private refuse(conn: Connection, id: string, error: AppError): void {
    this.send(conn, 'ack', id, { message_id: id, success: false });
    this.error(conn, id, error);
  }

  private error(conn: Connection, id: string, error: AppError): void {
    if (error.code === 'INTERNAL') this.ctx.log.warn({ conn: conn.id }, 'seed 004 request failed');
    this.ctx.metrics.errors.inc({ code: error.code });
    this.send(conn, 'error', id || randomUUID(), { code: error.status, message: error.message });
  }

  private send(conn: Connection, type: string, id: string, data: unknown): void {
    this.ctx.hub.write(conn, envelope(type, id, this.ctx.clock(), data));
  }
}

const me = (conn: Connection) => conn.userId as string;

function groupOf(data: Obj): number {
  const raw = data.group_id;
  const n = typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
    throw new AppError('VALIDATION_FAILED', 'group_id is not a group id', { field: 'group_id' });
  }
  return n;
}
