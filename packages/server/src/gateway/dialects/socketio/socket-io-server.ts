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
import { boundHandshake, type EngineSocket, engineTimings, handshakeDone } from './engine-handshake.js';
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
    ...engineTimings(ctx.config.heartbeat),
    cors: { origin: anyOrigin ? true : origins },
    allowRequest: (req, done) => done(null, anyOrigin || !req.headers.origin || origins.includes(req.headers.origin)),
  });
  gateway.leaveAlone(SOCKET_IO_PATH);
  io.engine.on('connection', (engineSocket: EngineSocket) => boundHandshake(ctx, engineSocket));
  io.use((socket, next) => {
    // Draining: the client is told nothing that would stop it; it reconnects (to this node restarted, or another).
    if (!gateway.accepting) return socket.conn.close();
    const raw = handshakeToken(socket);
    socket.data.conn = null;
    if (raw === null) return next();
    const dialect = dialects.find((d) => d.needsHandshakeToken);
    ctx.tokens.verify(raw).then(
      (token) => (dialect ? attachBeforeConnect(ctx, socket, dialect, token, next) : next(new Error('no dialect'))),
      (err) => next(authenticationError(toAppError(err))),
    );
  });
  io.on('connection', (socket) => accept(ctx, socket, dialects, gateway));
  return io;
}

type Next = (err?: Error) => void;

/**
 * A token in the handshake: the connection is attached to its user before the client is told it connected, so
 * every event from then on reaches it; events that arrive before the namespace connect are held and follow it.
 */
async function attachBeforeConnect(
  ctx: SeedContext,
  socket: Socket,
  dialect: SocketIoDialect,
  token: VerifiedToken,
  next: Next,
): Promise<void> {
  if (socket.conn.readyState !== 'open') return next(new Error('closed'));
  const conn = connectionOf(ctx, socket, dialect);
  conn.holding = [];
  socket.data.conn = conn;
  try {
    if (await ctx.sessions.attach(conn, token)) return next();
    next(new Error('closed'));
  } catch (err) {
    const error = toAppError(err);
    if (!(err instanceof AppError)) ctx.log.error({ err }, 'attach failed');
    if (!error.retryable) {
      ctx.sessions.closed(conn);
      return next(authenticationError(error));
    }
    // Not the token's fault: the client reconnects by itself and tries again.
    ctx.sessions.close(conn, CLOSE_CODES.TRY_AGAIN_LATER, error.code);
  }
}

function authenticationError(error: AppError): Error {
  return Object.assign(new Error('Authentication error'), { data: { code: error.code, message: error.message } });
}

/** A hub connection for a Socket.IO socket; it leaves the hub when the socket or its engine connection ends. */
function connectionOf(ctx: SeedContext, socket: Socket, dialect: SocketIoDialect): Connection {
  handshakeDone(ctx, socket.conn);
  const conn = new Connection(
    randomBytes(9).toString('base64url'),
    new SocketIoTransport(socket),
    dialect,
    ctx.clock(),
    socket.handshake.address,
  );
  conn.state.socketId = socket.id;
  ctx.hub.track(conn);
  socket.conn.once('close', () => ctx.sessions.closed(conn));
  return conn;
}

function accept(ctx: SeedContext, socket: Socket, dialects: readonly SocketIoDialect[], gateway: WsGateway): void {
  const attached = (socket.data.conn ?? null) as Connection | null;
  const dialect = attached?.dialect ?? dialects.find((d) => !d.needsHandshakeToken);
  if (!dialect) {
    socket.disconnect(true);
    return;
  }
  const conn = attached ?? connectionOf(ctx, socket, dialect as SocketIoDialect);
  const socketDialect = conn.dialect as SocketIoDialect;
  socket.conn.on('packet', () => {
    conn.lastSeenAt = ctx.clock();
    conn.pinged = false;
  });
  socket.on('disconnect', () => ctx.sessions.closed(conn));
  socket.onAny((name: unknown, ...args: unknown[]) => {
    ctx.metrics.framesIn.inc({ dialect: socketDialect.name });
    if (conn.closed || !gateway.accepting) return;
    const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as Ack) : null;
    conn.chain = conn.chain
      .then(() => socketDialect.event(conn, String(name), args[0], ack))
      .catch((err) => ctx.log.error({ err, conn: conn.id }, 'socket.io event handler failed'));
  });
  ctx.hub.release(conn);
  socketDialect.opened(conn);
}

function handshakeToken(socket: Socket): string | null {
  const { auth, query, headers } = socket.handshake;
  const fromAuth = auth && typeof auth.token === 'string' ? auth.token.replace(/^Bearer\s+/i, '') : null;
  const fromQuery = typeof query.token === 'string' ? query.token : null;
  const m = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '');
  const raw = fromAuth ?? fromQuery ?? (m ? (m[1] as string) : null);
  return raw === null || raw.trim() === '' ? null : raw.trim();
}
