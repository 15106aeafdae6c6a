import type { DeviceStatus, PresenceStatus } from '@parley/protocol';

export interface StatusChange {
  before: PresenceStatus;
  after: PresenceStatus;
}

/** A user's status from their devices' states: busy beats online beats away; no device is offline. */
export function rollUp(states: Iterable<DeviceStatus>): PresenceStatus {
  let best: PresenceStatus = 'offline';
  for (const s of states) {
    if (s === 'busy') return 'busy';
    if (s === 'online') best = 'online';
    else if (best === 'offline') best = 'away';
  }
  return best;
}

/** A user handed out by PresenceStore.expire. */
export interface ExpiredUser {
  userId: string;
  lastSeen: number | null;
}

/** One connected device's entry. */
export interface PresenceEntry {
  userId: string;
  connectionId: string;
}

/**
 * The state of every connected device, across every node. Best effort, with a TTL: an entry expires unless the
 * node holding its connection refreshes it, so the users of a node that dies go offline by themselves within
 * the TTL. A user's status is rollUp() of their unexpired entries (the same on every node).
 */
export interface PresenceStore {
  /** Sets (adding if new) one connection's state, valid for a TTL; returns the user's status before and after. */
  set(userId: string, connectionId: string, state: DeviceStatus): Promise<StatusChange>;
  /** Removes one connection; returns the user's rolled-up status before and after. */
  remove(userId: string, connectionId: string): Promise<StatusChange>;
  /**
   * Extends the entries of these connections by a TTL from now; an entry removed meanwhile is not brought back.
   * Returns the entries it did not find (removed meanwhile, or taken out by expire() while this node stalled),
   * so the node can set those whose connection is still open again. Each node calls it for all of its
   * connections at least every TTL / 3.
   */
  refresh(entries: readonly PresenceEntry[]): Promise<PresenceEntry[]>;
  /**
   * Takes out of the store, and returns, up to `limit` users whose going offline may never be announced otherwise:
   * - none of their entries is live any more (the node holding their connections stopped refreshing them: it died,
   *   or lost Redis); `lastSeen` is when their node last refreshed them;
   * - they left (their last entry was removed) long enough ago (the grace period and a TTL, as configured) and
   *   have not come back, so the grace timer of the node they left should have announced them, unless that node
   *   stopped first; `lastSeen` is null (it was written when they left).
   * Atomic: each such user is returned by one call only. Announcing goes through swapAnnounced, so a user already
   * announced offline is not announced twice.
   */
  expire(limit: number): Promise<ExpiredUser[]>;
  /**
   * Records `status` as the user's announced status, for the whole cluster, and returns the one it replaces
   * ('offline' when none): each change of a user's status is announced once, by the one node whose swap changed it,
   * whatever node their devices are on. Going 'offline' is refused (null, nothing changes) while the user has a
   * live entry: a device that came back meanwhile wins.
   */
  swapAnnounced(userId: string, status: PresenceStatus): Promise<PresenceStatus | null>;
  /** Status of each given user that is not offline. */
  statuses(userIds: readonly string[]): Promise<Map<string, PresenceStatus>>;
  /** Users with at least one unexpired entry, across every node. */
  onlineCount(): Promise<number>;
  /** Up to `limit` users that are not offline, with their connection counts. */
  onlineUsers(limit: number): Promise<{ userId: string; connections: number; status: PresenceStatus }[]>;
  close(): Promise<void>;
}
