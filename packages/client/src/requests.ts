import type { ErrorEvent } from '@parley/protocol';
import { disconnectedError, ParleyError, timeoutError } from './errors.js';

interface Pending {
  type: string;
  resolve: (data: unknown) => void;
  reject: (err: ParleyError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Requests in flight, correlated by id; each settles once: result, error frame, timeout or disconnect. */
export class RequestTracker {
  private pending = new Map<string, Pending>();
  private next = 1;

  constructor(private readonly prefix: string) {}

  /** Registers a request and returns its id and the promise of its result. */
  open<T>(type: string, timeoutMs: number): { id: string; result: Promise<T> } {
    const id = `${this.prefix}${this.next++}`;
    const result = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(timeoutError(type, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { type, resolve: resolve as (d: unknown) => void, reject, timer });
    });
    return { id, result };
  }

  /** Settles the request a `result` / `error` / `pong` frame answers; false when no request has that id. */
  settle(id: string, frame: { type: string; data?: unknown } | ErrorEvent): boolean {
    const p = this.pending.get(id);
    if (!p) return false;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if ('code' in frame && frame.type === 'error') {
      p.reject(
        new ParleyError({
          code: frame.code,
          message: frame.message,
          retryable: frame.retryable,
          retry_after_ms: frame.retry_after_ms,
          field: frame.field,
        }),
      );
    } else {
      p.resolve(('data' in frame ? frame.data : undefined) ?? {});
    }
    return true;
  }

  /** Fails every request in flight (the connection is gone; their outcome is unknown). */
  failAll(): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(disconnectedError());
      this.pending.delete(id);
    }
  }

  get size(): number {
    return this.pending.size;
  }
}
