import { POSTGRES_MIGRATIONS } from './migrations.js';
import type { PgDb } from './pg-db.js';

/** Advisory lock key held while migrating ("parley" in ASCII): nodes starting together migrate one at a time. */
const MIGRATION_LOCK = 0x7061726c6579;

/**
 * Brings the schema to this build's version. Guarantees: each version is applied once, in order, in its own
 * transaction, under a transaction-scoped advisory lock (nodes starting at once wait for each other, and a
 * failed version leaves the previous ones applied); a database newer than this build is refused.
 */
export async function migrate(db: PgDb): Promise<void> {
  for (;;) {
    const done = await db.tx(async (sql) => {
      await sql.run('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await sql.script(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
      );
      const row = await sql.one<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
      const current = row?.v ?? 0;
      if (current > POSTGRES_MIGRATIONS.length) {
        throw new Error(`database schema version ${current} is newer than this build (${POSTGRES_MIGRATIONS.length})`);
      }
      if (current === POSTGRES_MIGRATIONS.length) return true;
      await sql.script(POSTGRES_MIGRATIONS[current] as string);
      await sql.run('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [current + 1, Date.now()]);
      return false;
    });
    if (done) return;
  }
}
