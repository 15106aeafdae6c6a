export interface BackoffOptions {
  /** First delay bound in ms (default 500). */
  baseMs?: number;
  /** Largest delay in ms (default 30,000). */
  capMs?: number;
  /** Attempts before giving up; Infinity (default) retries forever. */
  maxAttempts?: number;
}

/** Exponential backoff with full jitter: the n-th delay is uniform in [0, min(cap, base * 2^n)]. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const base = options.baseMs ?? 500;
  const cap = options.capMs ?? 30_000;
  return Math.floor(random() * Math.min(cap, base * 2 ** Math.min(attempt, 30)));
}
