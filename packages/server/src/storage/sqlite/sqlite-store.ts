import type { Store } from '../store.js';
import { openDatabase } from './open-database.js';
import { createSqliteRepos } from './sqlite-repos.js';
import { SQLITE_WRITE_METHODS } from './sqlite-write-methods.js';
import { SqliteWriter } from './sqlite-writer.js';

/**
 * The embedded store: one SQLite file in WAL mode. Reads run on the calling thread over their own connection (WAL
 * readers never wait for the writer); every write goes to one writer thread, which commits the writes of a turn in
 * one transaction, so neither a commit nor its fsync blocks the event loop. A write's promise resolves after its
 * commit, and a read made after that sees it (read-your-writes).
 */
export function createSqliteStore(options: { path: string; synchronous: 'full' | 'normal' }): Store {
  if (options.path === ':memory:') throw new Error('the SQLite store needs a file (the writer thread opens it too)');
  const db = openDatabase(options.path, options.synchronous);
  db.pragma('query_only = ON');
  const ping = db.prepare('SELECT 1');
  const writer = new SqliteWriter(options);
  const repos = createSqliteRepos(db) as unknown as Record<string, unknown>;
  for (const method of SQLITE_WRITE_METHODS) repos[method] = (...args: unknown[]) => writer.call(method, args);
  let closed = false;
  return {
    ...(repos as unknown as ReturnType<typeof createSqliteRepos>),
    kind: 'sqlite',
    async ping() {
      if (closed) throw new Error('store is closed');
      ping.get();
    },
    async close() {
      if (closed) return;
      closed = true;
      await writer.close();
      db.close();
    },
  };
}
