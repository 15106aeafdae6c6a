import { AppError } from '../errors.js';
import type { Clock } from './clock.js';
import { RateLimiter } from './rate-limiter.js';

export interface LoginThrottleSettings {
  /** Wrong passwords for one account from one source before backoff starts. */
  freeFailures: number;
  /** The wait after the first failure beyond the free ones; it doubles with each further failure. */
  backoffMs: number;
  /** The longest wait; a record idle this long is forgotten. */
  backoffMaxMs: number;
  /** Failed logins per source (all accounts together): refill per minute and bucket size. */
  sourcePerMin: number;
  sourceBurst: number;
}

interface Record {
  failures: number;
  blockedUntil: number;
  inFlight: number;
  lastAt: number;
}

/**
 * Guesses against passwords are throttled per (account, source) together and per source, never per account alone:
 * whoever guesses from one address cannot lock the account's owner out from another. Past the free failures,
 * each further wrong password doubles the wait, up to the maximum; a right password clears the (account, source)
 * record. Concurrent guesses cannot pass the gate together: attempts still being checked count as failures.
 * Node-local: each node keeps its own records.
 */
export class LoginThrottle {
  private readonly records = new Map<string, Record>();
  private readonly sources: RateLimiter;
  private nextPruneAt = 0;

  constructor(
    private readonly settings: LoginThrottleSettings,
    private readonly clock: Clock,
  ) {
    this.sources = new RateLimiter(settings.sourcePerMin / 60, settings.sourceBurst, clock);
  }

  /**
   * Admits one attempt or throws RATE_LIMITED with retry_after_ms. An admitted attempt must be settled with
   * `settle(attempt, ok)`, whatever its outcome. The account is the name as typed: known and unknown accounts
   * are throttled alike, so throttling tells nothing about which accounts exist.
   */
  admit(account: string, source: string): string {
    const now = this.clock();
    this.prune(now);
    const key = `${account.toLowerCase()}\u0000${source}`;
    const r = this.records.get(key);
    if (r && r.blockedUntil > now) throw limited(r.blockedUntil - now);
    if (r && r.inFlight >= Math.max(1, this.settings.freeFailures - r.failures)) throw limited(this.settings.backoffMs);
    const wait = this.sources.take(source);
    if (wait > 0) throw limited(wait);
    const record = r ?? { failures: 0, blockedUntil: 0, inFlight: 0, lastAt: now };
    record.inFlight += 1;
    record.lastAt = now;
    this.records.set(key, record);
    return key;
  }

  settle(key: string, ok: boolean): void {
    const r = this.records.get(key);
    if (!r) return;
    r.inFlight = Math.max(0, r.inFlight - 1);
    const source = key.slice(key.indexOf('\u0000') + 1);
    if (ok) {
      this.sources.refund(source);
      r.failures = 0;
      r.blockedUntil = 0;
      if (r.inFlight === 0) this.records.delete(key);
      return;
    }
    const now = this.clock();
    r.failures += 1;
    r.lastAt = now;
    const beyond = r.failures - this.settings.freeFailures;
    if (beyond >= 0) {
      r.blockedUntil = now + Math.min(this.settings.backoffMaxMs, this.settings.backoffMs * 2 ** Math.min(beyond, 40));
    }
  }

  private prune(now: number): void {
    if (now < this.nextPruneAt) return;
    this.nextPruneAt = now + 60_000;
    for (const [key, r] of this.records) {
      if (r.inFlight === 0 && r.blockedUntil <= now && now - r.lastAt >= this.settings.backoffMaxMs) {
        this.records.delete(key);
      }
    }
    this.sources.prune();
  }
}

function limited(ms: number): AppError {
  return new AppError('RATE_LIMITED', 'Too many sign-in attempts; retry after retry_after_ms', {
    retryAfterMs: Math.max(1, Math.ceil(ms)),
  });
}
