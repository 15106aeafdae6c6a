import { PROTOCOL_VERSION } from '@parley/protocol';
import type { VerifiedToken } from '../../auth/token-service.js';
import { AppError, toAppError } from '../../errors.js';
import type { DomainEvent } from '../../services/events.js';
import type { DeviceInfo } from '../../storage/records.js';
import { parseDevice } from '../../validation/device.js';
import type { Obj } from '../../validation/validate.js';
import { renderUser } from '../../wire/render.js';
import { closeCodeFor } from '../dialects/shared/close-code.js';
import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';
import type { Dialect } from '../dialect.js';
import { toCanonicalEvent } from './canonical-events.js';
import { canonicalHandlers, type Deferred, NOTIFICATION_TYPES } from './canonical-handlers.js';
import {
  awaitFirstFrame,
  isSyncFrame,
  parseStartSync,
  releaseStartHold,
  type StartSync,
  takeStartHold,
} from './canonical-start.js';
import { runSync } from './canonical-sync.js';
import { awaitingReply, windowOpen } from '../read-backpressure.js';

type RequestId = string | number | undefined;

/** Parley's own protocol (docs/protocol.md): every request with an `id` gets exactly one `result` or `error`. */
export class CanonicalDialect implements Dialect {
  readonly name = 'canonical';
  readonly holdsLiveEventsAtStart = true;

  constructor(private readonly ctx: GatewayContext) {}

  encode(event: DomainEvent): string {
    return JSON.stringify(toCanonicalEvent(event));
  }

  authenticated(conn: Connection, _token: VerifiedToken, requestId?: string): Promise<void> {
    return this.hello(conn, requestId).then(
      () => awaitFirstFrame(this.ctx, conn),
      (err) => this.closeForAuth(conn, this.internal(err), requestId),
    );
  }

  refused(conn: Connection, error: AppError): void {
    this.closeForAuth(conn, error);
  }

  /** C4: the first frame after `hello` decides where the events held since the connection started go. */
  async frame(conn: Connection, text: string): Promise<void> {
    const window = windowOpen(conn);
    if (window) await window;
    if (!takeStartHold(conn)) return this.handle(conn, text);
    if (!isSyncFrame(text)) releaseStartHold(this.ctx, conn);
    try {
      await this.handle(conn, text);
    } finally {
      releaseStartHold(this.ctx, conn); // a sync refused before its replay started: let them through now
    }
  }

  private async handle(conn: Connection, text: string): Promise<void> {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return this.error(conn, undefined, new AppError('INVALID_JSON'));
    }
    const isObject = frame !== null && typeof frame === 'object' && !Array.isArray(frame);
    const f = (isObject ? frame : {}) as Obj;
    const id = typeof f.id === 'string' || typeof f.id === 'number' ? f.id : undefined;
    if (!isObject || typeof f.type !== 'string') return this.error(conn, id, new AppError('INVALID_FRAME'));
    const wait = this.ctx.frameRate.take(conn.id);
    if (wait > 0) return this.error(conn, id, new AppError('RATE_LIMITED', undefined, { retryAfterMs: wait }));
    const type = f.type as string;
    if (type === 'ping') {
      return this.send(conn, {
        type: 'pong',
        ...(id !== undefined ? { id } : {}),
        server_time: new Date(this.ctx.clock()).toISOString(),
      });
    }
    if (type === 'auth') return this.auth(conn, f, id);
    const handler = Object.hasOwn(canonicalHandlers, type) ? canonicalHandlers[type] : undefined;
    if (!handler)
      return this.error(conn, id, new AppError('UNKNOWN_TYPE', `Unknown frame type "${type.slice(0, 64)}"`));
    if (conn.userId === null) return this.error(conn, id, new AppError('AUTH_REQUIRED', 'Send an auth frame first'));
    if (id === undefined && !NOTIFICATION_TYPES.has(type)) {
      return this.error(conn, id, new AppError('VALIDATION_FAILED', 'A request needs an id', { field: 'id' }));
    }
    this.ctx.sessions.activity(conn, this.ctx.clock());
    try {
      const data = await handler(this.ctx, conn, f);
      if (data !== null && typeof data === 'object' && 'deferred' in data) {
        const { deferred, after } = data as Deferred;
        const answered = awaitingReply(conn, this.ctx.config.maxUnackedPerConnection);
        this.ctx.replies.track(
          deferred.then(
            (d) => {
              if (id !== undefined) this.send(conn, { type: 'result', id, data: d });
              answered();
              after?.();
            },
            (err) => {
              this.error(conn, id, this.internal(err));
              answered();
              after?.();
            },
          ),
        );
      } else if (id !== undefined) {
        this.send(conn, { type: 'result', id, data });
      }
    } catch (err) {
      this.error(conn, id, this.internal(err));
    }
  }

  /**
   * First auth: attach or close (3500 / 3501 / 3503). On an authenticated connection (A4): a refresh for the same
   * user; a refused refresh gets an error frame but keeps the connection, whose current token is still valid.
   */
  private async auth(conn: Connection, f: Obj, id: RequestId): Promise<void> {
    let device: { id: string; info: DeviceInfo } | undefined;
    let startSync: StartSync | undefined;
    try {
      device = parseDevice(f.device);
      if (conn.userId === null) startSync = parseStartSync(f.sync);
    } catch (err) {
      return this.error(conn, id, toAppError(err)); // a malformed device is a client bug, not an auth failure
    }
    let token: VerifiedToken;
    try {
      token = await this.ctx.tokens.verify(f.token);
    } catch (err) {
      const error = toAppError(err);
      if (conn.userId === null) return this.closeForAuth(conn, error, id);
      return this.error(conn, id, error);
    }
    if (conn.userId !== null) {
      // Token refresh on a live connection: same user only.
      if (token.userId !== conn.userId) return this.error(conn, id, new AppError('ALREADY_AUTHENTICATED'));
      conn.tokenExpiresAt = token.expiresAt;
      await this.ctx.users.ensureFromToken(token);
      const user = await this.ctx.users.get(token.userId);
      if (id !== undefined) this.send(conn, { type: 'result', id, data: { user: renderUser(user) } });
      return;
    }
    try {
      if (!(await this.ctx.sessions.attach(conn, token, device, { holdLiveEvents: true }))) return;
      await this.hello(conn, id);
    } catch (err) {
      return this.closeForAuth(conn, this.internal(err), id);
    }
    if (startSync === undefined) return awaitFirstFrame(this.ctx, conn);
    await this.syncAtStart(conn, startSync);
  }

  /** C4: the sync that came inside the `auth` frame: the replay, then its result, then the held live events. */
  private async syncAtStart(conn: Connection, sync: StartSync): Promise<void> {
    try {
      const { result, release } = await runSync(
        this.ctx,
        conn,
        () => sync.positions,
        () => sync.revs,
      );
      this.send(conn, { type: 'result', id: sync.id, data: result });
      release();
    } catch (err) {
      this.error(conn, sync.id, this.internal(err));
    }
  }

  private async hello(conn: Connection, id?: string | number): Promise<void> {
    const user = await this.ctx.users.get(conn.userId as string);
    const { config } = this.ctx;
    this.send(conn, {
      type: 'hello',
      ...(id !== undefined ? { id } : {}),
      protocol: PROTOCOL_VERSION,
      user: renderUser(user),
      connection_id: conn.id,
      device_id: conn.deviceId,
      node_id: config.nodeId,
      heartbeat_ms: config.heartbeat.intervalMs,
      server_time: new Date(this.ctx.clock()).toISOString(),
      limits: { max_frame_bytes: config.limits.maxFrameBytes, max_message_chars: config.limits.maxMessageChars },
    });
  }

  private closeForAuth(conn: Connection, error: AppError, id?: RequestId): void {
    this.ctx.metrics.errors.inc({ code: error.code });
    const code = closeCodeFor(error);
    const frame = JSON.stringify({ type: 'error', ...(id !== undefined ? { id } : {}), ...error.toBody() });
    this.ctx.sessions.close(conn, code, error.code, frame);
  }

  private internal(err: unknown): AppError {
    const error = toAppError(err);
    if (!(err instanceof AppError)) this.ctx.log.error({ err }, 'request failed');
    return error;
  }

  private error(conn: Connection, id: RequestId, error: AppError): void {
    this.ctx.metrics.errors.inc({ code: error.code });
    this.send(conn, { type: 'error', ...(id !== undefined ? { id } : {}), ...error.toBody() });
  }

  private send(conn: Connection, frame: object): void {
    this.ctx.hub.write(conn, JSON.stringify(frame));
  }
}
