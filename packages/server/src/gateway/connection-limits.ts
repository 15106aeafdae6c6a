import { AppError } from '../errors.js';
import type { Clock } from '../services/clock.js';
import { RateLimiter } from '../services/rate-limiter.js';

/**
 * What one client address may take of this node: open WebSocket connections and the rate of upgrades. A refused
 * upgrade never becomes a connection. Node-local: in a cluster each node counts its own.
 */
export class ConnectionLimits {
  private readonly open = new Map<string, number>();
  private readonly upgrades: RateLimiter;
  private nextPruneAt = 0;

  constructor(
    private readonly perIp: number,
    upgradesPerSec: number,
    upgradesBurst: number,
    private readonly clock: Clock,
  ) {
    this.upgrades = new RateLimiter(upgradesPerSec, upgradesBurst, clock);
  }

  /**
   * Admits one upgrade from `ip` and counts it as open until `release` is called, or throws RATE_LIMITED (too many
   * upgrades lately) or TOO_MANY_CONNECTIONS (too many open).
   */
  admit(ip: string): void {
    const now = this.clock();
    if (now >= this.nextPruneAt) {
      this.nextPruneAt = now + 10_000;
      this.upgrades.prune();
    }
    const wait = this.upgrades.take(ip);
    if (wait > 0) {
      throw new AppError('RATE_LIMITED', 'Too many WebSocket upgrades from this address', { retryAfterMs: wait });
    }
    const n = this.open.get(ip) ?? 0;
    if (n >= this.perIp) throw new AppError('TOO_MANY_CONNECTIONS', 'Too many connections from this address');
    this.open.set(ip, n + 1);
  }

  release(ip: string): void {
    const n = (this.open.get(ip) ?? 0) - 1;
    if (n > 0) this.open.set(ip, n);
    else this.open.delete(ip);
  }
}
