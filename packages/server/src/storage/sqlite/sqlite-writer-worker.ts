import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { AppError } from '../../errors.js';
import { openDatabase } from './open-database.js';
import { createSqliteRepos } from './sqlite-repos.js';
import type { WriteFailure, WriteOp, WriteOutcome } from './sqlite-write-methods.js';

/**
 * The writer thread: owns the only connection that writes. Every call that arrives while a transaction runs joins
 * the next one, so all writes due at once share one transaction and one fsync (group commit for every table).
 * Guarantees: calls are applied in arrival order; each call is atomic on its own (a savepoint), so one failing call
 * never fails the others; a call's outcome is sent back only after the transaction holding it committed (D1).
 */
const { path, synchronous, port } = workerData as { path: string; synchronous: 'full' | 'normal'; port: MessagePort };
const db = openDatabase(path, synchronous, true); // the main thread migrated it before starting this thread
const repos = createSqliteRepos(db) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
const begin = db.prepare('BEGIN IMMEDIATE');
const commit = db.prepare('COMMIT');
const rollback = db.prepare('ROLLBACK');
const savepoint = db.prepare('SAVEPOINT op');
const release = db.prepare('RELEASE op');
const undo = db.prepare('ROLLBACK TO op');

let running = false;
let closing = false;

port.on('message', (first: { ops?: WriteOp[]; close?: true }) => {
  if (first.close) closing = true;
  else queue.push(...(first.ops ?? []));
  if (!running) void drain();
});

const queue: WriteOp[] = [];

async function drain(): Promise<void> {
  running = true;
  for (;;) {
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
      const msg = m.message as { ops?: WriteOp[]; close?: true };
      if (msg.close) closing = true;
      else queue.push(...(msg.ops ?? []));
    }
    if (queue.length === 0) break;
    const batch = queue.splice(0);
    port.postMessage(await runBatch(batch));
  }
  running = false;
  if (closing) {
    db.close();
    port.close();
  }
}

async function runBatch(batch: WriteOp[]): Promise<WriteOutcome[]> {
  const outcomes: WriteOutcome[] = [];
  try {
    begin.run();
    for (const op of batch) {
      savepoint.run();
      try {
        const fn = repos[op.method] as (...args: unknown[]) => Promise<unknown>;
        outcomes.push({ id: op.id, ok: true, value: await fn(...op.args) });
        release.run();
      } catch (err) {
        undo.run();
        release.run();
        outcomes.push({ id: op.id, ok: false, error: failure(err) });
      }
    }
    commit.run();
    return outcomes;
  } catch (err) {
    // The commit itself failed (disk full, I/O error): nothing of the batch is stored.
    if (db.inTransaction) rollback.run();
    const error = { code: 'UNAVAILABLE', message: `storage write failed: ${(err as Error).message}` };
    return batch.map((op) => ({ id: op.id, ok: false, error }));
  }
}

function failure(err: unknown): WriteFailure {
  if (err instanceof AppError) {
    return {
      code: err.code,
      message: err.message,
      ...(err.field !== undefined ? { field: err.field } : {}),
      ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    };
  }
  return { code: null, message: err instanceof Error ? err.message : String(err) };
}
