import { AppError } from '../errors.js';
import type { AppendResult, NewMessage } from './records.js';
import type { MessageRepo } from './store.js';

interface Pending {
  item: NewMessage;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit: every append made during one tick goes to the store in one call (one transaction, one fsync).
 * Under steady load, batches start at least `spacingMs` apart: a commit has a fixed cost (a transaction, an fsync)
 * whatever its size, so waiting up to that long for more rows spends less per row (an idle store commits at once).
 * Guarantees: appends are written in call order (one batch in flight at a time), each promise resolves only after
 * its row is durable, and a batch that fails is retried item by item so one bad item cannot fail the others;
 * when the store is unreachable (AppError UNAVAILABLE) the whole batch fails at once with that retryable error.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private running = false;
  private idle: (() => void)[] = [];
  private lastBatchAt = Number.NEGATIVE_INFINITY;
  private readonly runNow = () => void this.run();

  constructor(
    private readonly repo: MessageRepo,
    /** Called per batch: its size, the seconds it took, and how many rows it really wrote (not duplicates). */
    private readonly observe: (batchSize: number, seconds: number, written: number) => void = () => {},
    private readonly maxBatch = 2000,
    private readonly spacingMs = 3,
  ) {}

  append(item: NewMessage): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) {
        this.running = true;
        const wait = this.delay();
        if (wait > 0) setTimeout(this.runNow, wait);
        else setImmediate(this.runNow);
      }
    });
  }

  /** Milliseconds until the next batch may start (0: in this tick's check phase). */
  private delay(): number {
    return Math.ceil(this.lastBatchAt + this.spacingMs - performance.now());
  }

  /** Resolves when every append made so far has settled. */
  drain(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      const started = performance.now();
      this.lastBatchAt = started;
      let written = 0;
      try {
        const results = await this.repo.appendMessages(batch.map((p) => p.item));
        for (const [i, p] of batch.entries()) {
          const r = results[i] as AppendResult;
          if (!r.duplicate) written++;
          p.resolve(r);
        }
      } catch (err) {
        if (err instanceof AppError && err.code === 'UNAVAILABLE') {
          for (const p of batch) p.reject(err);
          this.observe(batch.length, (performance.now() - started) / 1000, 0);
          continue;
        }
        for (const p of batch) {
          try {
            const [result] = await this.repo.appendMessages([p.item]);
            if (!(result as AppendResult).duplicate) written++;
            p.resolve(result as AppendResult);
          } catch (err) {
            p.reject(err);
          }
        }
      }
      this.observe(batch.length, (performance.now() - started) / 1000, written);
    }
    this.running = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}
