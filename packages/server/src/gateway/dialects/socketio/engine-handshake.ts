import type { Config } from '../../../config/config.js';
import type { SeedContext } from '../seed-context.js';

/** The part of an Engine.IO socket this file uses. */
export interface EngineSocket {
  readonly readyState: string;
  close(discard?: boolean): void;
  once(event: 'close', listener: () => void): unknown;
}

/**
 * Engine.IO's heartbeat and handshake bounds, from Parley's: the server pings every heartbeat interval and an
 * idle client's pong arrives well within Parley's heartbeat timeout, so the sweep never closes an idle Socket.IO
 * client that answers; a connection that never joins the namespace ends after the auth timeout.
 */
export function engineTimings(heartbeat: Config['heartbeat']): {
  pingInterval: number;
  pingTimeout: number;
  connectTimeout: number;
} {
  return {
    pingInterval: heartbeat.intervalMs,
    pingTimeout: heartbeat.timeoutMs - heartbeat.intervalMs,
    // Socket.IO's own bound closes gracefully, keeping a never-polling client's queue until a poll: it only backs
    // up boundHandshake, which fires first and drops the connection with its queue.
    connectTimeout: heartbeat.authTimeoutMs + 1_000,
  };
}

const pending = new WeakMap<EngineSocket, ReturnType<typeof setTimeout>>();

/**
 * An Engine.IO connection that has not joined the namespace yet counts as a connection of this node (/stats,
 * metrics), and is dropped, with whatever it queued, once the auth timeout passes without a join.
 */
export function boundHandshake(ctx: SeedContext, engineSocket: EngineSocket): void {
  ctx.hub.handshakeStarted();
  const timer = setTimeout(() => {
    if (pending.has(engineSocket)) engineSocket.close(true);
  }, ctx.config.heartbeat.authTimeoutMs);
  timer.unref();
  pending.set(engineSocket, timer);
  engineSocket.once('close', () => handshakeDone(ctx, engineSocket));
}

/** The Engine.IO connection joined the namespace (it is a hub connection now) or closed. Idempotent. */
export function handshakeDone(ctx: SeedContext, engineSocket: EngineSocket): void {
  const timer = pending.get(engineSocket);
  if (timer === undefined) return;
  clearTimeout(timer);
  pending.delete(engineSocket);
  ctx.hub.handshakeEnded();
}
