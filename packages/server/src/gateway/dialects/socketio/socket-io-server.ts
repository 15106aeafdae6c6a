import { randomBytes } from 'node:crypto';
import { CLOSE_CODES } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { Server, type Socket } from 'socket.io';
import type { VerifiedToken } from '../../../auth/token-service.js';
import { AppError, toAppError } from '../../../errors.js';
import { Connection } from '../../connection.js';
import type { WsGateway } from '../../ws-gateway.js';
import type { SeedContext } from '../seed-context.js';
import type { Ack, SocketIoDialect } from './socket-io-dialect.js';
import { SocketIoTransport } from './socket-io-transport.js';

export const SOCKET_IO_PATH = '/socket.io/';

/**
 * A Socket.IO 4 server at /socket.io/ on the HTTP server's port, for the seeds that speak Socket.IO. Its sockets are
 * hub connections like any other (heartbeat sweep, presence, drain), each served by one dialect chosen at
 * connect: a verified token in the handshake (`auth.token`, `?token=` or `Authorization: Bearer`) selects the
 * dialect that authenticates there (seed 001); a bad one is refused with connect_error "Authentication error"
 * (`data: {code, message}`); none selects the dialect that registers afterwards (seed 002).
 */
export function attachSocketIo(
  ctx: SeedContext,
  http: FastifyInstance,
  gateway: WsGateway,
  dialects: readonly SocketIoDialect[],
): Server {
  const origins = ctx.config.allowedOrigins;
  const anyOrigin = origins.includes('*');
  const io = new Server(http.server, {
    path: SOCKET_IO_PATH,
    serveClient: false,
    destroyUpgrade: false,
    perMessageDeflate: false,
    httpCompression: false,
    maxHttpBufferSize: ctx.config.limits.maxFrameBytes,
    cors: { origin: anyOrigin ? true : origins },
    allowRequest: (req, done) => done(null, anyOrigin || !req.headers.origin || origins.includes(req.headers.origin)),
  });
  gateway.leaveAlone(SOCKET_IO_PATH);
  io.use((socket, next) => {
    const raw = handshakeToken(socket);
    if (raw === null) {
      socket.data.token = null;
      return next();
    }
    ctx.tokens.verify(raw).then(
      (token) => {
        socket.data.token = token;
        next();
      },
      (err) => {
        const error = toAppError(err);
        next(Object.assign(new Error('Authentication error'), { data: { code: error.code, message: error.message } }));
      },
    );
  });
  io.on('connection', (socket) => accept(ctx, socket, dialects));
  return io;
}

function accept(ctx: SeedContext, socket: Socket, dialects: readonly SocketIoDialect[]): void {
  const token = (socket.data.token ?? null) as VerifiedToken | null;
  const dialect = dialects.find((d) => d.needsHandshakeToken === (token !== null));
  if (!dialect) {
    socket.disconnect(true);
    return;
  }
  const transport = new SocketIoTransport(socket);
  const conn = new Connection(
    randomBytes(9).toString('base64url'),
    transport,
    dialect,
    ctx.clock(),
    socket.handshake.address,
  );
  conn.state.socketId = socket.id;
  ctx.hub.track(conn);
  socket.conn.on('packet', () => {
    conn.lastSeenAt = ctx.clock();
    conn.pinged = false;
  });
  socket.on('disconnect', () => ctx.sessions.closed(conn));
  socket.onAny((name: unknown, ...args: unknown[]) => {
    ctx.metrics.framesIn.inc({ dialect: dialect.name });
    if (conn.closed) return;
    const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as Ack) : null;
    conn.chain = conn.chain
      .then(() => dialect.event(conn, String(name), args[0], ack))
      .catch((err) => ctx.log.error({ err, conn: conn.id }, 'socket.io event handler failed'));
  });
  if (token === null) {
    dialect.opened(conn);
    return;
  }
  conn.chain = (async () => {
    try {
      if (await ctx.sessions.attach(conn, token)) dialect.opened(conn);
    } catch (err) {
      if (err instanceof AppError) return dialect.refused(conn, err);
      ctx.log.error({ err }, 'attach failed');
      ctx.sessions.close(conn, CLOSE_CODES.SERVER_RESTARTING, 'internal error, reconnect');
    }
  })();
}

function handshakeToken(socket: Socket): string | null {
  const { auth, query, headers } = socket.handshake;
  const fromAuth = auth && typeof auth.token === 'string' ? auth.token.replace(/^Bearer\s+/i, '') : null;
  const fromQuery = typeof query.token === 'string' ? query.token : null;
  const m = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '');
  const raw = fromAuth ?? fromQuery ?? (m ? (m[1] as string) : null);
  return raw === null || raw.trim() === '' ? null : raw.trim();
}
