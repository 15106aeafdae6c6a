import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { ErrorCode } from '@parley/protocol';
import { AppError } from '../../errors.js';
import { writerWorkerUrl } from './sqlite-writer-entry.js';
import type { SqliteWriteMethod, WriteFailure, WriteOp, WriteOutcome } from './sqlite-write-methods.js';

interface Waiting {
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * The main thread's side of the writer thread: queues the writes of one event-loop turn and sends them together.
 * Guarantees: calls reach the writer in call order; each promise settles only once its write is committed (or
 * failed); a writer thread that dies fails what it held with UNAVAILABLE (retryable) and is started again.
 */
export class SqliteWriter {
  private worker!: Worker;
  private port!: MessagePort;
  private nextId = 0;
  private queue: WriteOp[] = [];
  private scheduled = false;
  private readonly waiting = new Map<number, Waiting>();
  private closed = false;
  private idle: (() => void)[] = [];
  private exited: Promise<void> = Promise.resolve();
  private readonly flushNow = () => this.flush();

  constructor(private readonly options: { path: string; synchronous: 'full' | 'normal' }) {
    this.spawn();
  }

  call(method: SqliteWriteMethod, args: unknown[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise((resolve, reject) => {
      const id = ++this.nextId;
      this.waiting.set(id, { resolve, reject });
      this.queue.push({ id, method, args });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flushNow);
      }
    });
  }

  /** Resolves once every write made so far has settled. */
  drain(): Promise<void> {
    this.flush();
    if (this.waiting.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.drain();
    this.closed = true;
    const closedDb = new Promise<void>((resolve) => this.port.once('close', resolve));
    this.port.postMessage({ close: true });
    await Promise.race([closedDb, this.exited]); // a writer that died meanwhile has nothing left to close
    await this.worker.terminate();
    await this.exited;
  }

  private flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const ops = this.queue;
    this.queue = [];
    this.port.postMessage({ ops });
  }

  private spawn(): void {
    const { port1, port2 } = new MessageChannel();
    // execArgv: the writer needs no TypeScript loader (its code is plain JavaScript), so none is started with it.
    const worker = new Worker(writerWorkerUrl(), {
      workerData: { ...this.options, port: port2 },
      transferList: [port2],
      execArgv: [],
    });
    worker.unref();
    port1.unref();
    port1.on('message', (outcomes: WriteOutcome[]) => {
      for (const o of outcomes) {
        const w = this.waiting.get(o.id);
        if (!w) continue;
        this.waiting.delete(o.id);
        if (o.ok) w.resolve(o.value);
        else w.reject(toError(o.error));
      }
      this.settled();
    });
    this.exited = new Promise((resolve) => {
      worker.once('exit', () => {
        resolve();
        if (this.closed) return;
        // Died: what it held may or may not be committed; callers retry (idempotent sends) and see.
        for (const w of this.waiting.values()) w.reject(new AppError('UNAVAILABLE', 'the storage writer stopped'));
        this.waiting.clear();
        this.settled();
        this.spawn();
      });
    });
    worker.on('error', () => {}); // followed by 'exit'
    this.worker = worker;
    this.port = port1;
  }

  private settled(): void {
    if (this.waiting.size === 0 && this.queue.length === 0) for (const resolve of this.idle.splice(0)) resolve();
  }
}

function toError(f: WriteFailure): Error {
  if (f.code === null) return new Error(f.message);
  return new AppError(f.code as ErrorCode, f.message, {
    ...(f.field !== undefined ? { field: f.field } : {}),
    ...(f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {}),
  });
}
