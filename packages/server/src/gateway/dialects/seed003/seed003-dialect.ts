import { parseConversationId, parseUserId, renderUserId } from '@parley/protocol';
import { AppError, toAppError } from '../../../errors.js';
import type { Obj } from '../../../validation/validate.js';
import type { Connection } from '../../connection.js';
import type { Dialect } from '../../dialect.js';
import { closeCodeFor } from '../shared/close-code.js';
import { nestedDeeperThan } from '../shared/json-bounds.js';
import { optionalClientMsgId } from '../shared/client-msg-id.js';
import { parseJsonFrame } from '../shared/json-frame.js';
import { nameOf } from '../shared/people.js';
import { sendThen, textInput } from '../shared/send.js';
import { isoSeconds } from '../shared/seed-time.js';
import type { SeedContext } from '../seed-context.js';
import { Seed003Encoder } from './seed003-events.js';

/** Seed 003's error codes (its README), plus the two it needs for a missing or refused token. */
type Seed003Error =
  | 'INVALID_JSON'
  | 'INVALID_MESSAGE'
  | 'UNKNOWN_MESSAGE_TYPE'
  | 'MESSAGE_PROCESSING_ERROR'
  | 'AUTHENTICATION_FAILED';

const STATES = ['online', 'away', 'busy', 'offline'] as const;
/** Bounds of a `presence` frame's `data`, which every contact's push repeats (docs/compatibility.md). */
const PRESENCE_DATA_MAX_CHARS = 1024;
const PRESENCE_DATA_MAX_DEPTH = 4;

/**
 * Seed 003 (FastAPI, /api/v1/ws?token=): `connected{message, user_id, online_count}` on open; `ping` -> `pong`;
 * `typing{data:{is_typing, context}}` is relayed in the conversation its `context` (or `data.conversation_id`)
 * names, and dropped when it names none; `presence{status, data}` sets this device's state ("offline" reads as
 * away: a connected device cannot be offline); `message{to_user_id, message}` sends a direct message, pushed as
 * `chat` to the recipient and echoed to this socket (with Parley's optional `client_msg_id`, a resend is stored
 * once and pushed to each socket once). Errors: `{type:"error", error_code, message, timestamp}`.
 */
export class Seed003Dialect implements Dialect {
  readonly name = 'seed003';
  readonly tokenOnUpgrade = true;
  readonly hearsAllPresence: boolean;
  private readonly encoder = new Seed003Encoder();

  constructor(private readonly ctx: SeedContext) {
    this.hearsAllPresence = ctx.config.seed003Presence === 'everyone';
  }

  encode(event: Parameters<Seed003Encoder['encode']>[0]): string | null {
    return this.encoder.encode(event);
  }

  /** Welcomes after the attach, ahead of any frame the client sends meanwhile. */
  authenticated(conn: Connection): void {
    conn.chain = conn.chain.then(() => this.welcome(conn)).catch((err) => this.ctx.log.warn({ err }, 'welcome failed'));
  }

  refused(conn: Connection, error: AppError): void {
    this.ctx.metrics.errors.inc({ code: error.code });
    const frame = this.errorFrame('AUTHENTICATION_FAILED', error.message);
    this.ctx.sessions.close(conn, closeCodeFor(error), error.code, frame);
  }

  /** A user's presence `data` lives while they have a seed 003 connection on this node. */
  closed(conn: Connection): void {
    const userId = conn.userId;
    if (userId === null) return;
    for (const other of this.ctx.hub.connectionsOf(userId) ?? []) if (other.dialect === this) return;
    this.encoder.presenceData.delete(userId);
  }

  async frame(conn: Connection, text: string): Promise<void> {
    if (conn.userId === null) return this.refused(conn, new AppError('AUTH_REQUIRED', 'Connect with ?token=<jwt>'));
    const parsed = parseJsonFrame(text);
    if (!parsed.ok) {
      return parsed.problem === 'json'
        ? this.error(conn, 'INVALID_JSON', 'Invalid JSON format')
        : this.error(conn, 'INVALID_MESSAGE', 'Invalid message format');
    }
    const wait = this.ctx.frameRate.take(conn.id);
    if (wait > 0) return this.error(conn, 'MESSAGE_PROCESSING_ERROR', `Rate limited; retry after ${wait} ms`);
    const { frame, type } = parsed;
    if (type === 'ping') return this.send(conn, { type: 'pong', timestamp: isoSeconds(this.ctx.clock()) });
    this.ctx.sessions.activity(conn, this.ctx.clock());
    try {
      switch (type) {
        case 'typing':
          return await this.typing(conn, objectOf(frame.data));
        case 'presence':
          return await this.presence(conn, frame);
        case 'message':
          return await this.message(conn, frame);
        default:
          return this.error(conn, 'UNKNOWN_MESSAGE_TYPE', `Unknown message type: ${type.slice(0, 64)}`);
      }
    } catch (err) {
      return this.error(conn, 'MESSAGE_PROCESSING_ERROR', toAppError(err).message);
    }
  }

  private async welcome(conn: Connection): Promise<void> {
    if (conn.closed) return;
    const me = conn.userId as string;
    const [user, online] = await Promise.all([this.ctx.users.get(me), this.ctx.presence.onlineCount()]);
    const data = { message: `欢迎, ${nameOf(user, me)}!`, user_id: renderUserId(me), online_count: online };
    this.send(conn, { type: 'connected', data });
  }

  private async typing(conn: Connection, data: Obj): Promise<void> {
    const context = typeof data.context === 'string' ? data.context.slice(0, 200) : null;
    const named = typeof data.conversation_id === 'string' ? data.conversation_id : context;
    if (named === null || parseConversationId(named) === null) return; // a free-form context reaches no one
    const state = data.is_typing === false ? 'stop' : 'start';
    await this.ctx.typing.typing(conn.userId as string, named, state, context);
  }

  private async presence(conn: Connection, frame: Obj): Promise<void> {
    const status = frame.status;
    if (typeof status !== 'string' || !(STATES as readonly string[]).includes(status)) {
      throw new AppError('VALIDATION_FAILED', `status must be one of ${STATES.join(', ')}`);
    }
    const data = objectOf(frame.data);
    if (nestedDeeperThan(data, PRESENCE_DATA_MAX_DEPTH) || JSON.stringify(data).length > PRESENCE_DATA_MAX_CHARS) {
      return this.error(
        conn,
        'INVALID_MESSAGE',
        `presence data is limited to ${PRESENCE_DATA_MAX_CHARS} characters of JSON nested at most ${PRESENCE_DATA_MAX_DEPTH} deep`,
      );
    }
    this.encoder.presenceData.set(conn.userId as string, data);
    const state = status === 'offline' ? 'away' : (status as 'online' | 'away' | 'busy');
    await this.ctx.sessions.setStatusByClient(conn, state);
  }

  private async message(conn: Connection, frame: Obj): Promise<void> {
    if (typeof frame.message !== 'string') throw new AppError('VALIDATION_FAILED', 'message must be a string');
    const to = parseUserId(frame.to_user_id);
    const conversationId = typeof frame.conversation_id === 'string' ? frame.conversation_id : null;
    if (to === null && conversationId === null) throw new AppError('VALIDATION_FAILED', 'to_user_id is required');
    const target = to !== null ? { toUserId: to } : { conversationId: conversationId as string };
    await sendThen(
      this.ctx,
      conn,
      textInput(target, frame.message, optionalClientMsgId(frame.client_msg_id)),
      () => {},
      (error) => this.error(conn, 'MESSAGE_PROCESSING_ERROR', error.message),
      true,
    );
  }

  private error(conn: Connection, code: Seed003Error, message: string): void {
    this.ctx.metrics.errors.inc({ code });
    this.ctx.hub.write(conn, this.errorFrame(code, message));
  }

  private errorFrame(code: Seed003Error, message: string): string {
    return JSON.stringify({ type: 'error', error_code: code, message, timestamp: isoSeconds(this.ctx.clock()) });
  }

  private send(conn: Connection, frame: object): void {
    this.ctx.hub.write(conn, JSON.stringify(frame));
  }
}

function objectOf(value: unknown): Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : {};
}
