import type { Store } from '../store.js';
import { migrate } from './migrate.js';
import { openPgDb, type PgOptions } from './pg-db.js';
import { toStoreError } from './pg-errors.js';
import { createPostgresConversationRepo } from './postgres-conversations.js';
import { createPostgresDeviceRepo } from './postgres-devices.js';
import { createPostgresMessageRepo } from './postgres-messages.js';
import { createPostgresNotificationRepo } from './postgres-notifications.js';
import { createPostgresSocialRepo } from './postgres-social.js';
import { createPostgresUserRepo } from './postgres-users.js';

/**
 * The cluster store: PostgreSQL, shared by every node. Guarantees beyond the Store contract: seq assignment and
 * (sender, client id) deduplication hold with any number of processes writing at once; an unreachable database
 * fails calls with AppError UNAVAILABLE (retryable) and the pool reconnects by itself when it is back.
 * Resolves once the schema is migrated to this build's version.
 */
export async function createPostgresStore(options: PgOptions): Promise<Store> {
  const db = openPgDb(options);
  try {
    await migrate(db);
  } catch (err) {
    await db.end().catch(() => {});
    throw toStoreError(err);
  }
  let closed = false;
  return {
    kind: 'postgres',
    ...createPostgresUserRepo(db),
    ...createPostgresSocialRepo(db),
    ...createPostgresConversationRepo(db),
    ...createPostgresMessageRepo(db),
    ...createPostgresDeviceRepo(db),
    ...createPostgresNotificationRepo(db),
    async ping() {
      if (closed) throw new Error('store is closed');
      await db.run('SELECT 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.end();
    },
  };
}
