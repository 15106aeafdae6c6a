import { parseUserId } from '@parley/protocol';
import type { VerifiedToken } from '../../../auth/token-service.js';
import { AppError, toAppError } from '../../../errors.js';
import type { DeviceInfo } from '../../../storage/records.js';
import { parseDeviceId, parseDeviceInfo } from '../../../validation/device.js';
import { type Obj, requireObject } from '../../../validation/validate.js';
import type { Connection } from '../../connection.js';
import { closeCodeFor } from '../shared/close-code.js';
import { sendThen } from '../shared/send.js';
import { hourMinute, naiveIsoSeconds } from '../shared/seed-time.js';
import type { SeedContext } from '../seed-context.js';
import { type Ack, failure, respond, type SocketIoDialect } from '../socketio/socket-io-dialect.js';
import { socketIoFrame } from '../socketio/socket-io-transport.js';
import { Seed002Encoder } from './seed002-events.js';
import { pushOfflineMessages } from './seed002-offline.js';
import { parseSendMessage } from './seed002-send-input.js';

type Handler = (conn: Connection, p: Obj) => Promise<unknown>;

/**
 * Seed 002 (customer-service module): connect (no token) -> `connect_response{success, socket_id}`;
 * `register{user_id, token, connection_id, device_id, device_info}` authenticates, registers the device and
 * pushes the offline messages; `heartbeat`; `send_message{session_id, message, role, message_type,
 * reply_to_message_id}` where session_id is a conversation id ("dm:<a>:<b>", "g:<n>"; `to_user_id` may name a
 * direct conversation instead) -> `{success, message_id, time}` once stored, and the message is pushed to every
 * member's devices, this one included; `message_delivered` / `message_read{message_id}` move this user's
 * receipts, which reach the sender of each message read (and only them) as `message_status`. Each answer is the acknowledgement, or
 * `<event>_response` for a client that only emits.
 */
export class Seed002Dialect implements SocketIoDialect {
  readonly name = 'seed002';
  readonly needsHandshakeToken = false;
  private readonly encoder: Seed002Encoder;
  private readonly handlers: Record<string, Handler> = {
    heartbeat: async () => ({ success: true, timestamp: naiveIsoSeconds(this.ctx.clock()) }),
    message_delivered: (conn, p) => this.receipt(conn, p, 'delivered'),
    message_read: (conn, p) => this.receipt(conn, p, 'read'),
  };

  constructor(private readonly ctx: SeedContext) {
    this.encoder = new Seed002Encoder(ctx.clock);
  }

  encode(event: Parameters<Seed002Encoder['encode']>[0]): string | null {
    return this.encoder.encode(event);
  }

  encodeFor(event: Parameters<Seed002Encoder['encode']>[0], userId: string): string | null | undefined {
    return this.encoder.encodeFor(event, userId);
  }

  opened(conn: Connection): void {
    this.write(conn, socketIoFrame(['connect_response', { success: true, socket_id: conn.state.socketId }]));
  }

  authenticated(): void {}

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
    const p = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Obj) : {};
    if (name === 'register') return this.register(conn, p, ack);
    const handler =
      name === 'send_message' ? null : Object.hasOwn(this.handlers, name) ? this.handlers[name] : undefined;
    if (handler === undefined) {
      return this.fail(conn, name, ack, new AppError('UNKNOWN_TYPE', `Unknown event "${name.slice(0, 64)}"`));
    }
    if (conn.userId === null) return this.fail(conn, name, ack, new AppError('AUTH_REQUIRED', 'register first'));
    if (name !== 'heartbeat') this.ctx.sessions.activity(conn, this.ctx.clock());
    if (handler === null) return this.sendMessage(conn, p, ack);
    try {
      respond(this.write, conn, name, ack, await handler(conn, p));
    } catch (err) {
      this.fail(conn, name, ack, toAppError(err));
    }
  }

  private async register(conn: Connection, p: Obj, ack: Ack | null): Promise<void> {
    let token: VerifiedToken;
    let device: { id: string; info: DeviceInfo } | undefined;
    try {
      token = await this.ctx.tokens.verify(p.token);
      const claimed = p.user_id === undefined || p.user_id === null ? null : parseUserId(p.user_id);
      if (claimed !== null && claimed !== token.userId) {
        throw new AppError('FORBIDDEN', "user_id is not the token's user", { field: 'user_id' });
      }
      if (p.device_id !== undefined && p.device_id !== null) {
        const info =
          p.device_info === undefined || p.device_info === null ? {} : requireObject(p.device_info, 'device_info');
        device = { id: parseDeviceId(p.device_id, 'device_id'), info: parseDeviceInfo(info) };
      }
      if (conn.userId !== null && conn.userId !== token.userId) throw new AppError('ALREADY_AUTHENTICATED');
    } catch (err) {
      return this.refuseRegister(conn, ack, toAppError(err));
    }
    const first = conn.userId === null;
    if (first) {
      try {
        if (!(await this.ctx.sessions.attach(conn, token, device))) return;
      } catch (err) {
        return this.refuseRegister(conn, ack, toAppError(err));
      }
    } else {
      conn.tokenExpiresAt = token.expiresAt;
    }
    const connectionId = typeof p.connection_id === 'string' ? p.connection_id : conn.id;
    respond(this.write, conn, 'register', ack, {
      success: true,
      connection_id: connectionId,
      socket_id: conn.state.socketId,
      message: '连接注册成功',
    });
    if (first) await pushOfflineMessages(this.ctx, conn, this.encoder);
  }

  /** A refused first register closes the connection (after the answer); a refused re-register only answers. */
  private refuseRegister(conn: Connection, ack: Ack | null, error: AppError): void {
    this.fail(conn, 'register', ack, error);
    if (conn.userId === null) this.refused(conn, error);
  }

  private async sendMessage(conn: Connection, p: Obj, ack: Ack | null): Promise<void> {
    const me = conn.userId as string;
    let input: Parameters<typeof sendThen>[2];
    try {
      input = parseSendMessage(me, p);
    } catch (err) {
      return this.fail(conn, 'send_message', ack, toAppError(err));
    }
    await sendThen(
      this.ctx,
      conn,
      input,
      ({ message }) => {
        this.encoder.index.remember(message);
        const answer = { success: true, message_id: Number(message.id), time: hourMinute(message.createdAt) };
        respond(this.write, conn, 'send_message', ack, answer);
      },
      (error) => this.fail(conn, 'send_message', ack, error),
      true,
    );
  }

  private async receipt(conn: Connection, p: Obj, kind: 'delivered' | 'read') {
    const message = await this.ctx.store.getMessage(String(p.message_id ?? ''));
    if (!message) throw new AppError('NOT_FOUND', 'No such message', { field: 'message_id' });
    this.encoder.index.remember(message);
    const me = conn.userId as string;
    if (kind === 'delivered') await this.ctx.receipts.markDelivered(me, message.conversationId, message.seq);
    else await this.ctx.receipts.markRead(me, message.conversationId, message.seq);
    return { success: true };
  }

  private fail(conn: Connection, name: string, ack: Ack | null, error: AppError): void {
    this.ctx.metrics.errors.inc({ code: error.code });
    respond(this.write, conn, name, ack, failure(error));
  }

  private readonly write = (conn: Connection, text: string) => this.ctx.hub.write(conn, text);
}
