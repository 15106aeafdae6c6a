import { groupConversationId, parseUserId, renderUserId } from '@parley/protocol';
import { AppError, toAppError } from '../../../errors.js';
import type { Obj } from '../../../validation/validate.js';
import type { Connection } from '../../connection.js';
import type { Dialect } from '../../dialect.js';
import { closeCodeFor } from '../shared/close-code.js';
import { optionalClientMsgId } from '../shared/client-msg-id.js';
import { authenticateFrame } from '../shared/frame-auth.js';
import { parseJsonFrame } from '../shared/json-frame.js';
import { sendThen, textInput } from '../shared/send.js';
import type { SeedContext } from '../seed-context.js';
import { encodeSeed000 } from './seed000-events.js';
import { renderSeed000Message } from './seed000-render.js';

/**
 * Seed 000 (Study Buddy, /ws): the first frame is `{type:"auth", token}` -> `authenticated{userId}`;
 * `heartbeat` -> `heartbeat_ack`; `private` / `group` `{to, content}` -> `message_sent{message}` once stored (with
 * Parley's optional `client_msg_id`, a resend is stored once and answered with the original).
 * Refusals are `{type:"error", message, code}`; a refused token is followed by a close (3500 / 3501).
 */
export class Seed000Dialect implements Dialect {
  readonly name = 'seed000';

  constructor(private readonly ctx: SeedContext) {}

  encode = encodeSeed000;

  authenticated(conn: Connection): void {
    this.send(conn, { type: 'authenticated', userId: renderUserId(conn.userId as string) });
  }

  refused(conn: Connection, error: AppError): void {
    this.ctx.metrics.errors.inc({ code: error.code });
    const frame = JSON.stringify({ type: 'error', message: error.message, code: error.code });
    this.ctx.sessions.close(conn, closeCodeFor(error), error.code, frame);
  }

  async frame(conn: Connection, text: string): Promise<void> {
    const parsed = parseJsonFrame(text);
    if (!parsed.ok) {
      return this.error(conn, parsed.problem === 'json' ? new AppError('INVALID_JSON') : new AppError('INVALID_FRAME'));
    }
    const wait = this.ctx.frameRate.take(conn.id);
    if (wait > 0) return this.error(conn, new AppError('RATE_LIMITED', undefined, { retryAfterMs: wait }));
    const { frame, type } = parsed;
    if (type === 'auth') return this.auth(conn, frame);
    if (conn.userId === null) return this.error(conn, new AppError('AUTH_REQUIRED', 'Not authenticated'));
    switch (type) {
      case 'heartbeat':
        return this.send(conn, { type: 'heartbeat_ack' });
      case 'private':
      case 'group':
        this.ctx.sessions.activity(conn, this.ctx.clock());
        return this.message(conn, type, frame);
      default:
        return this.error(conn, new AppError('UNKNOWN_TYPE', `Unknown message type "${type.slice(0, 64)}"`));
    }
  }

  private async auth(conn: Connection, frame: Obj): Promise<void> {
    const result = await authenticateFrame(this.ctx, conn, frame.token);
    if (result.ok) return this.authenticated(conn);
    if (result.error === null) return;
    if (result.fatal) return this.refused(conn, result.error);
    this.error(conn, result.error);
  }

  private async message(conn: Connection, type: 'private' | 'group', frame: Obj): Promise<void> {
    if (typeof frame.content !== 'string') {
      return this.error(conn, new AppError('VALIDATION_FAILED', 'content must be a string', { field: 'content' }));
    }
    let target: { toUserId: string } | { conversationId: string };
    if (type === 'private') {
      const to = parseUserId(frame.to);
      if (to === null)
        return this.error(conn, new AppError('VALIDATION_FAILED', 'to is not a user id', { field: 'to' }));
      target = { toUserId: to };
    } else {
      const group = typeof frame.to === 'string' && /^\d{1,15}$/.test(frame.to) ? Number(frame.to) : frame.to;
      if (typeof group !== 'number' || !Number.isSafeInteger(group) || group < 1) {
        return this.error(conn, new AppError('VALIDATION_FAILED', 'to is not a group id', { field: 'to' }));
      }
      target = { conversationId: groupConversationId(group) };
    }
    let key: string | null;
    try {
      key = optionalClientMsgId(frame.client_msg_id);
    } catch (err) {
      return this.error(conn, toAppError(err));
    }
    await sendThen(
      this.ctx,
      conn,
      textInput(target, frame.content, key),
      (r) => this.send(conn, { type: 'message_sent', message: renderSeed000Message(r.message) }),
      (error) => this.error(conn, error),
    );
  }

  private error(conn: Connection, error: AppError): void {
    this.ctx.metrics.errors.inc({ code: error.code });
    this.send(conn, { type: 'error', message: error.message, code: error.code });
  }

  private send(conn: Connection, frame: object): void {
    this.ctx.hub.write(conn, JSON.stringify(frame));
  }
}
