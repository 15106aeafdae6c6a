import type { Bus } from '../cluster/bus.js';
import type { NewNotification, NotificationRecord } from '../storage/records.js';
import type { NotificationRepo, UserRepo } from '../storage/store.js';
import type { Clock } from './clock.js';

/**
 * System notifications sent by the host application: stored in each user's inbox, then pushed live to their
 * devices (N1: stored before pushed; a user offline now sees it in the inbox later). Types are free-form.
 */
export class NotificationService {
  constructor(
    private readonly repo: NotificationRepo,
    private readonly users: UserRepo,
    private readonly bus: Bus,
    private readonly clock: Clock,
  ) {}

  /** Sends one notification to each user (users never seen before are created, so their inbox waits for them). */
  async send(userIds: readonly string[], n: NewNotification): Promise<NotificationRecord[]> {
    const unique = [...new Set(userIds)];
    const now = this.clock();
    const known = new Set((await this.users.getUsers(unique)).map((u) => u.id));
    for (const id of unique)
      if (!known.has(id)) await this.users.upsertUser({ id, username: null, displayName: null }, now);
    const created = await this.repo.createNotifications(unique, n, now);
    for (const notification of created) {
      this.bus.publish({
        kind: 'deliver',
        to: [notification.userId],
        event: { type: 'notification.created', notification },
      });
    }
    return created;
  }

  list(me: string, q: { before?: string; limit: number; unreadOnly: boolean }) {
    return this.repo.listNotifications(me, q);
  }

  unreadCount(me: string): Promise<number> {
    return this.repo.unreadNotificationCount(me);
  }

  /** Marks notifications (null: all) read and tells every device of the user. */
  async markRead(me: string, ids: string[] | null): Promise<{ updated: number; unreadCount: number }> {
    const updated = await this.repo.markNotificationsRead(me, ids, this.clock());
    const unreadCount = await this.repo.unreadNotificationCount(me);
    this.bus.publish({ kind: 'deliver', to: [me], event: { type: 'notification.read', ids, unreadCount } });
    return { updated, unreadCount };
  }
}
