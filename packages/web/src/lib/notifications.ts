import type { WireNotification } from '@parley/protocol';
import type { Api } from './api.js';

/**
 * The notification centre: the inbox from REST, then kept current by `notification` / `notif.read` events. A
 * notification pushed while the inbox loads is kept even if the answer was read before it was stored, and only the
 * newest of overlapping loads (start, every reconnect) is applied.
 */
export class NotificationsStore {
  list: WireNotification[] = [];
  unread = 0;
  private loads = 0;
  /** Pushed since the newest load began; null while no load is out (nothing to merge, nothing kept). */
  private pushed: WireNotification[] | null = null;

  constructor(
    private readonly api: Api,
    private readonly changed: () => void,
  ) {}

  async load(): Promise<void> {
    const mine = ++this.loads;
    this.pushed = [];
    let answer: Awaited<ReturnType<Api['notifications']>>;
    try {
      answer = await this.api.notifications();
    } catch (err) {
      if (mine === this.loads) this.pushed = null;
      throw err;
    }
    if (mine !== this.loads) return;
    const { notifications, unread_count } = answer;
    const listed = new Set(notifications.map((n) => n.id));
    const missed = (this.pushed ?? []).filter((n) => !listed.has(n.id));
    this.pushed = null;
    this.list = [...missed, ...notifications];
    this.unread = unread_count + missed.filter((n) => n.read_at === null).length;
    this.changed();
  }

  /** A pushed notification; false when it was already listed. */
  received(n: WireNotification): boolean {
    if (this.list.some((x) => x.id === n.id)) return false;
    this.pushed?.push(n);
    this.list = [n, ...this.list];
    if (n.read_at === null) this.unread++;
    this.changed();
    return true;
  }

  /** Read on some device of the user (ids null: all). */
  readElsewhere(ids: string[] | null, unreadCount: number): void {
    const at = new Date().toISOString();
    this.list = this.list.map((n) =>
      n.read_at === null && (ids === null || ids.includes(n.id)) ? { ...n, read_at: at } : n,
    );
    this.unread = unreadCount;
    this.changed();
  }

  async markRead(ids: string[] | null): Promise<void> {
    const { unread_count } = await this.api.markNotificationsRead(ids);
    this.readElsewhere(ids, unread_count);
  }
}
