import type { DeviceStatus, PresenceStatus } from '@parley/protocol';
import type { Bus } from '../cluster/bus.js';
import type { ExpiredUser, PresenceStore } from '../cluster/presence-store.js';
import type { SocialRepo, UserRepo } from '../storage/store.js';
import type { Clock } from './clock.js';
import type { HostEvents } from './host-events.js';

export interface PresenceView {
  userId: string;
  status: PresenceStatus;
  lastSeen: number | null;
}

/**
 * Presence: each device sets its state (online / away / busy); a user's status is the strongest of their
 * devices', offline with none. Guarantees (best effort, never stored as history):
 * - P1: changes are pushed to the user's friends and co-members only, once per change of the rolled-up status,
 *   across the cluster: the store records the announced status, and only the node whose swap changed it announces;
 * - P3: going offline is announced only after a grace period, so a quick reconnect never flaps offline -> online;
 *   the users of a node that died are announced offline by another node once their presence entries expire;
 * - last_seen is written on every connect and disconnect.
 */
export class PresenceService {
  private pendingOffline = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly store: PresenceStore,
    private readonly users: UserRepo,
    private readonly social: SocialRepo,
    private readonly bus: Bus,
    private readonly clock: Clock,
    private readonly graceMs: number,
    private readonly host: HostEvents,
    /**
     * Publish every change, even of a user with no contacts: some clients hear everyone's presence (a deployment
     * setting, Dialect.hearsAllPresence). The audience named in each change stays the user's contacts.
     */
    private readonly announceWithoutAudience = false,
  ) {}

  async connected(userId: string, connectionId: string, state: DeviceStatus = 'online'): Promise<void> {
    const change = await this.store.set(userId, connectionId, state);
    await this.users.setLastSeen(userId, this.clock());
    await this.settle(userId, change.after);
  }

  async setState(userId: string, connectionId: string, state: DeviceStatus): Promise<PresenceStatus> {
    const change = await this.store.set(userId, connectionId, state);
    await this.settle(userId, change.after);
    return change.after;
  }

  async disconnected(userId: string, connectionId: string): Promise<void> {
    const change = await this.store.remove(userId, connectionId);
    await this.users.setLastSeen(userId, this.clock());
    await this.settle(userId, change.after);
  }

  async query(userIds: readonly string[]): Promise<PresenceView[]> {
    if (userIds.length === 0) return [];
    const [statuses, users] = await Promise.all([this.store.statuses(userIds), this.users.getUsers(userIds)]);
    const lastSeen = new Map(users.map((u) => [u.id, u.lastSeenAt]));
    return userIds.map((id) => ({
      userId: id,
      status: statuses.get(id) ?? 'offline',
      lastSeen: lastSeen.get(id) ?? null,
    }));
  }

  /** Users with a connected device, of the given ones. */
  async online(userIds: readonly string[]): Promise<Set<string>> {
    return new Set((await this.store.statuses(userIds)).keys());
  }

  onlineCount(): Promise<number> {
    return this.store.onlineCount();
  }

  onlineUsers(limit: number) {
    return this.store.onlineUsers(limit);
  }

  /**
   * Users handed out by PresenceStore.expire: their node died (their entries expired), or it stopped within the
   * grace after they left. Announced offline here unless that was done already (swapAnnounced decides), with
   * last_seen = when their node last refreshed them, if known.
   */
  async expired(users: readonly ExpiredUser[]): Promise<void> {
    await Promise.all(
      users.map(({ userId, lastSeen }) => {
        const pending = this.pendingOffline.get(userId);
        if (pending) clearTimeout(pending);
        this.pendingOffline.delete(userId);
        return this.confirmOffline(userId, lastSeen).catch(() => {}); // best effort, like every announcement
      }),
    );
  }

  /**
   * A connection of this node whose entry was taken out while the node stalled (other nodes announced its user
   * offline): set again, which announces the user again.
   */
  async restore(userId: string, connectionId: string, state: DeviceStatus): Promise<void> {
    const change = await this.store.set(userId, connectionId, state);
    await this.settle(userId, change.after);
  }

  /** Cancels pending offline announcements (on shutdown: the users will reconnect elsewhere). */
  stop(): void {
    for (const t of this.pendingOffline.values()) clearTimeout(t);
    this.pendingOffline.clear();
  }

  private async settle(userId: string, status: PresenceStatus): Promise<void> {
    if (status === 'offline') {
      if (this.pendingOffline.has(userId)) return;
      const timer = setTimeout(() => {
        this.pendingOffline.delete(userId);
        this.confirmOffline(userId).catch(() => {});
      }, this.graceMs);
      timer.unref();
      this.pendingOffline.set(userId, timer);
      return;
    }
    const pending = this.pendingOffline.get(userId);
    if (pending) {
      clearTimeout(pending);
      this.pendingOffline.delete(userId);
    }
    const before = await this.store.swapAnnounced(userId, status);
    if (before === status) return;
    if (before === 'offline') this.host.userOnline(userId, this.clock());
    await this.announce(userId, status);
  }

  /**
   * Announces the user offline unless a device is back or another node already did (the store decides).
   * `lastSeen`: their node died, so last_seen (otherwise written on disconnect) is its last refresh of them.
   */
  private async confirmOffline(userId: string, lastSeen: number | null = null): Promise<void> {
    const before = await this.store.swapAnnounced(userId, 'offline');
    if (before === null || before === 'offline') return;
    if (lastSeen !== null) await this.users.setLastSeen(userId, lastSeen);
    this.host.userOffline(userId, lastSeen ?? this.clock());
    await this.announce(userId, 'offline');
  }

  private async announce(userId: string, status: PresenceStatus): Promise<void> {
    const audience = await this.social.contactsOf(userId);
    if (audience.length === 0 && !this.announceWithoutAudience) return;
    const user = await this.users.getUser(userId);
    this.bus.publish({
      kind: 'deliver',
      to: audience,
      event: { type: 'presence.changed', userId, status, lastSeen: user?.lastSeenAt ?? this.clock() },
    });
  }
}
