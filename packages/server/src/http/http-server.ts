import cors from '@fastify/cors';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from '../logger.js';
import { ClientAddress } from '../network/client-address.js';
import { authenticate } from './authenticate.js';
import type { HttpContext } from './context.js';
import { installErrorMapper } from './error-mapper.js';
import { authRoutes } from './routes/auth-routes.js';
import { conversationRoutes } from './routes/conversation-routes.js';
import { deviceRoutes } from './routes/device-routes.js';
import { notificationRoutes } from './routes/notification-routes.js';
import { serverRoutes } from './routes/server-routes.js';
import { friendRoutes } from './routes/friend-routes.js';
import { groupRoutes } from './routes/group-routes.js';
import { installSecurityHeaders } from './security-headers.js';
import { opsRoutes } from './routes/ops-routes.js';
import { userRoutes } from './routes/user-routes.js';
import { serveWebApp } from './static-web.js';

/** The REST edge: Fastify with one error mapper, CORS from config, and the route modules. */
export async function buildHttp(ctx: HttpContext, log: Logger): Promise<FastifyInstance> {
  const { requestTimeoutMs, headersTimeoutMs, keepAliveTimeoutMs } = ctx.config.http;
  const clientAddress = new ClientAddress(ctx.config.connectionLimits.trustedProxies);
  const app = Fastify({
    logger: false,
    // request.ip is the client's address: X-Forwarded-For is believed only from the configured proxies.
    trustProxy: (address: string) => clientAddress.isTrusted(address),
    // A request whose headers or body arrive too slowly is answered 408 and closed; so is an idle keep-alive.
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    http: {
      requestTimeout: requestTimeoutMs,
      headersTimeout: headersTimeoutMs,
      // How often those bounds are checked: a slow request lives at most a quarter of a bound past it.
      connectionsCheckingInterval: Math.max(50, Math.min(5_000, Math.floor(headersTimeoutMs / 4))),
    },
    bodyLimit: ctx.config.limits.maxFrameBytes,
    forceCloseConnections: true,
    // DM ids between two 64-character user ids are 132 characters; device ids up to 128.
    routerOptions: { maxParamLength: 512 },
  });
  installErrorMapper(app, ctx.metrics, log);
  installSecurityHeaders(app);
  const origins = ctx.config.allowedOrigins;
  await app.register(cors, {
    origin: origins.includes('*') ? true : origins,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Parley-Server-Key'],
    maxAge: 600,
  });
  opsRoutes(app, ctx);
  authRoutes(app, ctx);
  await app.register(async (authed) => {
    authed.addHook('preHandler', authenticate(ctx));
    userRoutes(authed, ctx);
    friendRoutes(authed, ctx);
    groupRoutes(authed, ctx);
    conversationRoutes(authed, ctx);
    deviceRoutes(authed, ctx);
    notificationRoutes(authed, ctx);
  });
  await app.register(async (server) => serverRoutes(server, ctx));
  if ((await serveWebApp(app, ctx.config.webDir)) === 'missing') {
    log.warn({ dir: ctx.config.webDir }, 'the web app is not built: / says how to build it');
  }
  return app;
}
