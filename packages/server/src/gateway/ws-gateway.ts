import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { CLOSE_CODES, SUBPROTOCOL } from '@parley/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import type { VerifiedToken } from '../auth/token-service.js';
import { AppError, toAppError } from '../errors.js';
import { DEVICE_ID } from '../auth/token-service.js';
import { parseDeviceId } from '../validation/device.js';
import { ClientAddress } from '../network/client-address.js';
import { Connection } from './connection.js';
import { ConnectionLimits } from './connection-limits.js';
import type { GatewayContext } from './context.js';
import type { Dialect } from './dialect.js';
import { WsTransport } from './ws-transport.js';

type UpgradeAuth = { token: VerifiedToken } | { error: AppError } | null;

/**
 * The WebSocket edge: routes each upgrade to the dialect of its path, checks the browser Origin, verifies a token
 * that came with the upgrade (Authorization header or `token` / `access_token` query), and feeds frames to the
 * dialect one at a time per connection.
 */
export class WsGateway {
  private readonly wss: WebSocketServer;
  private readonly routes = new Map<string, Dialect>();
  private readonly foreign: string[] = [];
  private draining = false;
  private readonly clientAddress: ClientAddress;
  private readonly limits: ConnectionLimits;

  constructor(private readonly ctx: GatewayContext) {
    const l = ctx.config.connectionLimits;
    this.clientAddress = new ClientAddress(l.trustedProxies);
    this.limits = new ConnectionLimits(l.perIp, l.upgradesPerIpPerSec, l.upgradesPerIpBurst, ctx.clock);
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: ctx.config.limits.maxFrameBytes,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
  }

  route(path: string, dialect: Dialect): void {
    this.routes.set(path, dialect);
  }

  handles(path: string): boolean {
    return this.routes.has(path);
  }

  /** Upgrades under this path prefix belong to another server on the same port (Socket.IO): left untouched here. */
  leaveAlone(pathPrefix: string): void {
    this.foreign.push(pathPrefix);
  }

  /** Closes every connection of a revoked device on this node with 3503. */
  revokeDevice(userId: string, deviceId: string): void {
    for (const conn of this.ctx.hub.devicesConnections(userId, deviceId)) {
      conn.dialect.refused(conn, new AppError('DEVICE_REVOKED'));
    }
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.foreign.length > 0 && this.foreign.some((p) => (req.url ?? '').startsWith(p))) return;
    socket.on('error', destroySocket);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const dialect = this.routes.get(url.pathname);
    const deviceParam = url.searchParams.get('device_id');
    const refusal =
      deviceParam !== null && !DEVICE_ID.test(deviceParam)
        ? '400 Bad Request'
        : !dialect
          ? '404 Not Found'
          : this.draining
            ? '503 Service Unavailable'
            : !this.originAllowed(req.headers.origin)
              ? '403 Forbidden'
              : null;
    if (refusal !== null || !dialect) {
      socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const ip = this.clientAddress.of(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    try {
      this.limits.admit(ip);
    } catch (err) {
      refuseUpgrade(socket, toAppError(err));
      return;
    }
    releaseOnClose(socket, this.limits, ip);
    const raw =
      bearer(req.headers.authorization) ?? url.searchParams.get('token') ?? url.searchParams.get('access_token');
    const auth: Promise<UpgradeAuth> =
      raw === null
        ? Promise.resolve(null)
        : this.ctx.tokens.verify(raw).then(
            (token) => ({ token }),
            (err) => ({ error: toAppError(err) }),
          );
    void auth.then((result) => {
      if (socket.destroyed) return;
      this.wss.handleUpgrade(req, socket, head, (ws) =>
        this.accept(ws, ip, dialect, result, url.searchParams.get('device_id')),
      );
    });
  }

  /**
   * Stops accepting connections, and frames on existing ones: a frame that arrives from now on is neither handled
   * nor answered (its sender resends it after reconnecting). Connections stay open until closeAll.
   */
  stopAccepting(): void {
    this.draining = true;
  }

  get accepting(): boolean {
    return !this.draining;
  }

  /** Closes every connection with 3000 "server restarting, reconnect", after writing what is queued. */
  closeAll(): void {
    this.ctx.hub.flush();
    for (const conn of [...this.ctx.hub.all]) {
      this.ctx.sessions.close(conn, CLOSE_CODES.SERVER_RESTARTING, 'server restarting, reconnect');
    }
  }

  private accept(ws: WebSocket, ip: string, dialect: Dialect, auth: UpgradeAuth, deviceId: string | null): void {
    const { ctx } = this;
    const conn = new Connection(randomBytes(9).toString('base64url'), new WsTransport(ws), dialect, ctx.clock(), ip);
    ctx.hub.track(conn);
    ws.on('message', (data, isBinary) => {
      conn.lastSeenAt = ctx.clock();
      conn.pinged = false;
      ctx.metrics.framesIn.inc({ dialect: dialect.name });
      if (conn.closed || this.draining) return;
      const text = isBinary ? null : (data as Buffer).toString('utf8');
      conn.chain = conn.chain
        .then(() => (text === null ? dialect.frame(conn, '\u0000binary') : dialect.frame(conn, text)))
        .catch((err) => ctx.log.error({ err, conn: conn.id }, 'frame handler failed'));
    });
    ws.on('pong', () => {
      conn.lastSeenAt = ctx.clock();
      conn.pinged = false;
    });
    ws.on('close', () => ctx.sessions.closed(conn));
    ws.on('error', (err) => ctx.log.debug({ err, conn: conn.id }, 'socket error'));
    if (auth === null) {
      if (dialect.tokenOnUpgrade) dialect.refused(conn, new AppError('AUTH_REQUIRED', 'Connect with ?token=<jwt>'));
      return;
    }
    if ('error' in auth) {
      dialect.refused(conn, auth.error);
      return;
    }
    conn.chain = (async () => {
      try {
        const device = deviceId === null ? undefined : { id: parseDeviceId(deviceId, 'device_id'), info: {} };
        const hold = { holdLiveEvents: dialect.holdsLiveEventsAtStart === true };
        if (await ctx.sessions.attach(conn, auth.token, device, hold)) await dialect.authenticated(conn, auth.token);
      } catch (err) {
        if (err instanceof AppError) return dialect.refused(conn, err);
        ctx.log.error({ err }, 'attach failed');
        ctx.sessions.close(conn, CLOSE_CODES.SERVER_RESTARTING, 'internal error, reconnect');
      }
    })();
  }

  private originAllowed(origin: string | undefined): boolean {
    const allowed = this.ctx.config.allowedOrigins;
    return origin === undefined || allowed.includes('*') || allowed.includes(origin);
  }
}

/**
 * A socket error listener that stays on the socket for its whole life. A plain function, not a closure: a closure
 * here would keep the upgrade's scope (request, URL, head bytes) alive as long as the connection, ~2 KB each.
 */
function destroySocket(this: Duplex): void {
  this.destroy();
}

/** An upgrade refused for a limit: the HTTP status of its code, a JSON error body, Retry-After when known. */
function refuseUpgrade(socket: Duplex, error: AppError): void {
  const body = JSON.stringify({ error: error.toBody() });
  const retry = error.retryAfterMs === undefined ? '' : `Retry-After: ${Math.ceil(error.retryAfterMs / 1000)}\r\n`;
  const reason = error.status === 429 ? 'Too Many Requests' : 'Refused';
  socket.end(
    `HTTP/1.1 ${error.status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\n${retry}` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** The address's connection is counted until its TCP connection ends, whichever way the upgrade went. */
function releaseOnClose(socket: Duplex, limits: ConnectionLimits, ip: string): void {
  socket.once('close', () => limits.release(ip));
}

function bearer(header: string | undefined): string | null {
  const m = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
  return m ? (m[1] as string).trim() : null;
}
