import type { FastifyInstance } from 'fastify';
import type { WsGateway } from '../ws-gateway.js';
import { Seed000Dialect } from './seed000/seed000-dialect.js';
import { seed000Rest } from './seed000/seed000-routes.js';
import { Seed001Dialect } from './seed001/seed001-dialect.js';
import { seed001Rest } from './seed001/seed001-routes.js';
import { Seed002Dialect } from './seed002/seed002-dialect.js';
import { Seed003Dialect } from './seed003/seed003-dialect.js';
import { seed003Rest } from './seed003/seed003-routes.js';
import { Seed004Dialect } from './seed004/seed004-dialect.js';
import type { SeedContext } from './seed-context.js';
import { FirstFrameDialect } from './shared/first-frame-dialect.js';
import { attachSocketIo } from './socketio/socket-io-server.js';

/** WebSocket paths of the raw-WebSocket seeds (Socket.IO is at /socket.io/). None collides with /v1. */
export const SEED_WS_PATHS = { seed000And004: '/ws', seed003: '/api/v1/ws' } as const;

/**
 * Speaks the five seed protocols (docs/compatibility.md), each a thin codec over the shared services:
 * - /ws: seed 000 or seed 004, told apart by the first frame (004's frames carry `data` / `message_id` /
 *   `timestamp`; 000's auth is `{type:"auth", token}`);
 * - /api/v1/ws?token=: seed 003;
 * - /socket.io/: seed 001 (token in the handshake) and seed 002 (no token; `register` later);
 * - REST: seed 000's /messages/*, seed 001's /api/messages/*, seed 003's /api/v1/online* and /api/v1/status/*.
 * Seed 004's /health and /stats are the ops routes. Call before the server listens.
 */
export function registerSeedDialects(seeds: SeedContext, gateway: WsGateway, http: FastifyInstance): void {
  const seed000 = new Seed000Dialect(seeds);
  const seed004 = new Seed004Dialect(seeds);
  gateway.route(
    SEED_WS_PATHS.seed000And004,
    new FirstFrameDialect('seed000|seed004', seeds, (first) => (speaksSeed004(first) ? seed004 : seed000)),
  );
  gateway.route(SEED_WS_PATHS.seed003, new Seed003Dialect(seeds));
  attachSocketIo(seeds, http, gateway, [new Seed001Dialect(seeds), new Seed002Dialect(seeds)]);

  void http.register((scope) => seed000Rest(scope, seeds));
  void http.register((scope) => seed001Rest(scope, seeds));
  void http.register((scope) => seed003Rest(scope, seeds));
}

/** Seed 004 wraps every frame in an envelope; seed 000's frames are flat. Unreadable frames go to seed 000. */
function speaksSeed004(text: string): boolean {
  try {
    const f = JSON.parse(text) as Record<string, unknown> | null;
    return (
      f !== null &&
      typeof f === 'object' &&
      ((typeof f.data === 'object' && f.data !== null) || 'message_id' in f || typeof f.timestamp === 'number')
    );
  } catch {
    return false;
  }
}
