import { CLOSE_CODES } from '@parley/protocol';
import { AppError } from '../errors.js';
import type { GatewayContext } from './context.js';

/**
 * One timer for all connections (no timer per socket). Each pass:
 * - closes connections not authenticated within the auth timeout (3502) and those whose token expired (3501);
 * - sends a WebSocket ping to connections idle for a heartbeat interval (browsers answer pings by themselves);
 * - closes connections silent for the heartbeat timeout (3001): a dead peer is detected within that bound;
 * - marks devices idle (no frame but pings) for PARLEY_AWAY_AFTER_MS as away, unless the client set its state.
 */
export function startHeartbeatSweep(ctx: GatewayContext): () => void {
  const { intervalMs, timeoutMs, authTimeoutMs } = ctx.config.heartbeat;
  const tickMs = Math.max(50, Math.min(1000, intervalMs / 2, authTimeoutMs / 2));
  const timer = setInterval(() => {
    const now = ctx.clock();
    for (const conn of ctx.hub.all) {
      if (conn.closed) continue;
      if (conn.userId === null) {
        if (now - conn.openedAt > authTimeoutMs) {
          const frame = JSON.stringify({
            type: 'error',
            ...new AppError('AUTH_REQUIRED', 'No auth frame within the auth timeout').toBody(),
          });
          ctx.sessions.close(
            conn,
            CLOSE_CODES.AUTH_TIMEOUT,
            'auth timeout',
            conn.dialect.name === 'canonical' ? frame : undefined,
          );
        }
        continue;
      }
      if (conn.tokenExpiresAt !== null && now >= conn.tokenExpiresAt) {
        const frame = JSON.stringify({ type: 'error', ...new AppError('TOKEN_EXPIRED').toBody() });
        ctx.sessions.close(
          conn,
          CLOSE_CODES.TOKEN_EXPIRED,
          'token expired',
          conn.dialect.name === 'canonical' ? frame : undefined,
        );
        continue;
      }
      const { awayAfterMs } = ctx.config.presence;
      if (
        awayAfterMs > 0 &&
        conn.status === 'online' &&
        !conn.statusManual &&
        now - conn.lastActivityAt > awayAfterMs
      ) {
        void ctx.sessions.setStatus(conn, 'away', false);
      }
      const idle = now - conn.lastSeenAt;
      if (idle > timeoutMs) {
        // A dead peer never answers the close frame; `ws` destroys the socket after its close timeout.
        ctx.sessions.close(conn, CLOSE_CODES.HEARTBEAT_TIMEOUT, 'heartbeat timeout');
      } else if (idle > intervalMs && !conn.pinged) {
        conn.pinged = true;
        conn.transport.ping();
      }
    }
    ctx.frameRate.prune();
    ctx.typing.prune();
    ctx.sessions.prune();
  }, tickMs);
  timer.unref();
  return () => clearInterval(timer);
}
