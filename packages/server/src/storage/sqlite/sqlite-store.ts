import type { Store } from '../store.js';
import { openDatabase } from './open-database.js';
import { createSqliteConversationRepo } from './sqlite-conversations.js';
import { createSqliteDeviceRepo } from './sqlite-devices.js';
import { createSqliteMessageRepo } from './sqlite-messages.js';
import { createSqliteNotificationRepo } from './sqlite-notifications.js';
import { createSqliteSocialRepo } from './sqlite-social.js';
import { createSqliteUserRepo } from './sqlite-users.js';
import { TurnWrites } from './turn-writes.js';

/** The embedded store: one SQLite file in WAL mode. Calls are synchronous underneath, so batches are atomic. */
export function createSqliteStore(options: { path: string; synchronous: 'full' | 'normal' }): Store {
  const db = openDatabase(options.path, options.synchronous);
  const ping = db.prepare('SELECT 1');
  const turn = new TurnWrites(db);
  let closed = false;
  return {
    kind: 'sqlite',
    ...createSqliteUserRepo(db, turn),
    ...createSqliteSocialRepo(db),
    ...createSqliteConversationRepo(db),
    ...createSqliteMessageRepo(db),
    ...createSqliteDeviceRepo(db),
    ...createSqliteNotificationRepo(db),
    async ping() {
      if (closed) throw new Error('store is closed');
      ping.get();
    },
    async close() {
      if (closed) return;
      closed = true;
      turn.flush();
      db.close();
    },
  };
}
