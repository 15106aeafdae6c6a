import type { Store } from '../store.js';
import type { SqliteDb } from './open-database.js';
import { createSqliteConversationRepo } from './sqlite-conversations.js';
import { createSqliteDeviceRepo } from './sqlite-devices.js';
import { createSqliteMessageRepo } from './sqlite-messages.js';
import { createSqliteNotificationRepo } from './sqlite-notifications.js';
import { createSqliteSocialRepo } from './sqlite-social.js';
import { createSqliteUserRepo } from './sqlite-users.js';

export type SqliteRepos = Omit<Store, 'kind' | 'ping' | 'close'>;

/** Every repository over one connection: the main thread reads with one set, the writer thread writes with another. */
export function createSqliteRepos(db: SqliteDb): SqliteRepos {
  return {
    ...createSqliteUserRepo(db),
    ...createSqliteSocialRepo(db),
    ...createSqliteConversationRepo(db),
    ...createSqliteMessageRepo(db),
    ...createSqliteDeviceRepo(db),
    ...createSqliteNotificationRepo(db),
  };
}
