import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SQLITE_MIGRATIONS } from './migrations.js';

export type SqliteDb = Database.Database;

/**
 * Opens (creating if needed) the database file in WAL mode and applies pending migrations (unless `migrated`: the
 * writer thread opens a file the main thread has already migrated).
 */
export function openDatabase(path: string, synchronous: 'full' | 'normal', migrated = false): SqliteDb {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // FULL: a commit is on disk before the ack (survives power loss). NORMAL: survives a process crash.
  db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = OFF');
  if (!migrated) migrate(db);
  return db;
}

function migrate(db: SqliteDb): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  const current = row.v ?? 0;
  if (current > SQLITE_MIGRATIONS.length) {
    throw new Error(`database schema version ${current} is newer than this build (${SQLITE_MIGRATIONS.length})`);
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
  for (let v = current + 1; v <= SQLITE_MIGRATIONS.length; v++) {
    const sql = SQLITE_MIGRATIONS[v - 1] as string;
    db.transaction(() => {
      db.exec(sql);
      record.run(v, Date.now());
    })();
  }
}
