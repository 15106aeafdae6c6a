import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../context.js';

/**
 * Operations, no token: /health (alive; plain "OK", as seed 004's clients expect), /ready (the store answers),
 * /stats (online users, connections, node id), /metrics (Prometheus text).
 */
export function opsRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/health', async (_request, reply) => reply.type('text/plain').send('OK'));

  app.get('/ready', async (_request, reply) => {
    try {
      await ctx.store.ping();
      return { status: 'ready', store: ctx.store.kind };
    } catch {
      return reply.status(503).send({ status: 'unavailable', store: ctx.store.kind });
    }
  });

  app.get('/stats', async () => ({
    online_users: await ctx.presence.onlineCount(),
    connections: ctx.hub.connectionCount,
    node_id: ctx.config.nodeId,
    uptime_s: Math.round(process.uptime()),
  }));

  app.get('/metrics', async (_request, reply) =>
    reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics()),
  );
}
