import type { SqliteDb } from './open-database.js';

interface Queued {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * The small writes of one event-loop turn (a user seen for the first time, `last_seen` on connect and disconnect),
 * committed in one transaction: one fsync for all of them, so a storm of reconnecting clients does not cost an
 * fsync each. Guarantees: each promise settles only after its write is committed (or failed), writes run in call
 * order, and a write that throws is retried alone so it cannot fail the others. `flush()` commits what is queued
 * at once (before the database closes).
 */
export class TurnWrites {
  private queue: Queued[] = [];
  private scheduled = false;
  private readonly flushNow = () => this.flush();

  constructor(private readonly db: SqliteDb) {}

  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flushNow);
      }
    });
  }

  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let results: unknown[];
    try {
      results = this.db.transaction(() => batch.map((q) => q.write()))();
    } catch {
      for (const q of batch) {
        try {
          q.resolve(this.db.transaction(q.write)());
        } catch (err) {
          q.reject(err);
        }
      }
      return;
    }
    for (const [i, q] of batch.entries()) q.resolve(results[i]);
  }
}
