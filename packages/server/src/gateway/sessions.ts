import type { DeviceStatus } from '@parley/protocol';
import type { VerifiedToken } from '../auth/token-service.js';
import { AppError } from '../errors.js';
import type { DeviceService } from '../services/device-service.js';
import { RateLimiter } from '../services/rate-limiter.js';
import type { DeviceInfo } from '../storage/records.js';
import type { Logger } from '../logger.js';
import type { PresenceService } from '../services/presence-service.js';
import type { UserService } from '../services/user-service.js';
import type { Connection } from './connection.js';
import { holdLiveEvents } from './held-events.js';
import type { Hub } from './hub.js';

/** Binds connections to users (and presence), and closes them: the one place a connection ends. */
export class Sessions {
  static readonly STATUS_PER_SEC = 1;
  static readonly STATUS_BURST = 5;
  private readonly statusRate = new RateLimiter(Sessions.STATUS_PER_SEC, Sessions.STATUS_BURST);

  constructor(
    private readonly hub: Hub,
    private readonly users: UserService,
    private readonly presence: PresenceService,
    private readonly devices: DeviceService,
    private readonly log: Logger,
    /** Authenticated connections one account may hold on this node. */
    private readonly maxPerUser: number = Number.POSITIVE_INFINITY,
  ) {}

  /**
   * Makes the connection the user's (and its device's: the token's `did`, else the one the client named);
   * false when it closed meanwhile. Throws DEVICE_REVOKED for a revoked device, TOO_MANY_DEVICES for a new device
   * beyond the account's allowance, and TOO_MANY_CONNECTIONS when the account holds as many connections as allowed.
   * With `holdLiveEvents`, live events for it are held from the moment it is bound (C4) until its dialect lets
   * them through.
   */
  async attach(
    conn: Connection,
    token: VerifiedToken,
    device?: { id: string; info: DeviceInfo },
    options: { holdLiveEvents?: boolean } = {},
  ): Promise<boolean> {
    await this.users.ensureFromToken(token);
    const deviceId = token.deviceId ?? device?.id ?? null;
    if (deviceId !== null)
      await this.devices.attach(token.userId, deviceId, device?.id === deviceId ? device.info : {});
    if (conn.closed) return false;
    const held = this.hub.connectionsOf(token.userId);
    if (held !== undefined && held.size >= this.maxPerUser && !held.has(conn)) {
      throw new AppError('TOO_MANY_CONNECTIONS', 'This account has too many connections open');
    }
    conn.userId = token.userId;
    conn.deviceId = deviceId;
    conn.tokenExpiresAt = token.expiresAt;
    if (options.holdLiveEvents) holdLiveEvents(conn);
    this.hub.bind(conn);
    await this.presence.connected(token.userId, conn.id, conn.status);
    return true;
  }

  /** A frame that shows the user active: undoes automatic away. */
  activity(conn: Connection, now: number): void {
    conn.lastActivityAt = now;
    if (conn.status === 'away' && !conn.statusManual && conn.userId !== null) this.setStatus(conn, 'online', false);
  }

  /**
   * A state the client sets itself (presence.set, seed 003's status): at most `STATUS_PER_SEC` per user (burst
   * `STATUS_BURST`), else RATE_LIMITED with retry_after_ms, so toggling cannot flood every contact (16.5).
   */
  setStatusByClient(conn: Connection, status: DeviceStatus): Promise<unknown> {
    const wait = this.statusRate.take(conn.userId as string);
    if (wait > 0) throw new AppError('RATE_LIMITED', 'Presence changes too fast', { retryAfterMs: wait });
    return this.setStatus(conn, status, true);
  }

  /** Forgets refilled rate buckets (called from the periodic sweep). */
  prune(): void {
    this.statusRate.prune();
  }

  /** Sets the device's presence state (manual: set by the client, not by automatic away). */
  setStatus(conn: Connection, status: DeviceStatus, manual: boolean): Promise<unknown> {
    conn.status = status;
    conn.statusManual = manual && status !== 'online';
    const done = this.presence.setState(conn.userId as string, conn.id, status);
    done.catch((err) => this.log.warn({ err }, 'presence update failed'));
    return done;
  }

  /**
   * Closes a connection with a code: any final frame and everything queued are written first. The connection
   * leaves the hub and presence at once, even if the peer never completes the closing handshake.
   */
  close(conn: Connection, code: number, reason: string, finalFrame?: string): void {
    if (conn.closed) return;
    if (finalFrame !== undefined) this.hub.write(conn, finalFrame);
    if (conn.transport.open) {
      conn.transport.write(conn.pending);
      conn.transport.close(code, reason);
    }
    this.closed(conn);
  }

  /** The socket is gone (or going): forget it. Idempotent. */
  closed(conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    for (const open of conn.windowWaiters.splice(0)) open(); // frames waiting for the window end with the connection
    if (conn.startHold !== null) clearTimeout(conn.startHold);
    conn.startHold = null;
    conn.holding = null;
    conn.pending = [];
    conn.pendingBytes = 0;
    this.hub.remove(conn);
    conn.dialect.closed?.(conn);
    if (conn.userId !== null) {
      this.presence.disconnected(conn.userId, conn.id).catch((err) => this.log.warn({ err }, 'presence update failed'));
    }
  }
}
