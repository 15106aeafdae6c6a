import { AppError } from '../errors.js';
import type { PasswordHasher } from './password-hasher.js';

/**
 * At most `concurrency` hashes or verifications run at once, so password work cannot starve other requests of
 * CPU; up to `queue` more wait their turn in order; beyond that a caller is refused at once with OVERLOADED
 * (503, retryable). Every caller, whatever the account, takes the same path, so waiting tells nothing.
 */
export function boundedHasher(inner: PasswordHasher, concurrency: number, queue: number): PasswordHasher {
  let running = 0;
  const waiting: (() => void)[] = [];

  async function run<T>(work: () => Promise<T>): Promise<T> {
    if (running >= concurrency) {
      if (waiting.length >= queue) {
        throw new AppError('OVERLOADED', 'Too many passwords are being checked right now; retry shortly', {
          retryAfterMs: 1000,
        });
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      running += 1;
    }
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  }

  return {
    hash: (password) => run(() => inner.hash(password)),
    verify: (hashed, password) => run(() => inner.verify(hashed, password)),
  };
}
