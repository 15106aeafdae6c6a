import type { DeviceStatus, PresenceStatus } from '@parley/protocol';
import {
  type ExpiredUser,
  type PresenceEntry,
  type PresenceStore,
  rollUp,
  type StatusChange,
} from './presence-store.js';

interface Entry {
  state: DeviceStatus;
  expiresAt: number;
}

/** Presence for a single node: each user's connections, their states and expiry times, in memory. */
export class MemoryPresenceStore implements PresenceStore {
  private byUser = new Map<string, Map<string, Entry>>();
  private announced = new Map<string, PresenceStatus>();
  /** Users whose last entry was removed, and when expire() may hand them out (leavingMs later). */
  private leaving = new Map<string, number>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
    /** How long after leaving a user is handed out by expire() (give the node they left its grace period first). */
    private readonly leavingMs = ttlMs,
  ) {}

  async set(userId: string, connectionId: string, state: DeviceStatus): Promise<StatusChange> {
    const now = this.now();
    let conns = this.byUser.get(userId);
    const before = this.status(conns, now);
    if (!conns) {
      conns = new Map();
      this.byUser.set(userId, conns);
    }
    conns.set(connectionId, { state, expiresAt: now + this.ttlMs });
    this.leaving.delete(userId);
    return { before, after: this.status(conns, now) };
  }

  async remove(userId: string, connectionId: string): Promise<StatusChange> {
    const now = this.now();
    const conns = this.byUser.get(userId);
    if (!conns) return { before: 'offline', after: 'offline' };
    const before = this.status(conns, now);
    conns.delete(connectionId);
    const after = this.status(conns, now);
    if (after === 'offline') {
      this.byUser.delete(userId);
      this.leaving.set(userId, now + this.leavingMs);
    }
    return { before, after };
  }

  async refresh(entries: readonly PresenceEntry[]): Promise<PresenceEntry[]> {
    const now = this.now();
    const missing: PresenceEntry[] = [];
    for (const e of entries) {
      const entry = this.byUser.get(e.userId)?.get(e.connectionId);
      if (entry) entry.expiresAt = now + this.ttlMs;
      else missing.push(e);
    }
    return missing;
  }

  async expire(limit: number): Promise<ExpiredUser[]> {
    const now = this.now();
    const out: ExpiredUser[] = [];
    for (const [userId, conns] of this.byUser) {
      if (out.length >= limit) return out;
      if (this.status(conns, now) === 'offline') {
        this.byUser.delete(userId);
        const refreshed = Math.max(0, ...[...conns.values()].map((e) => e.expiresAt - this.ttlMs));
        out.push({ userId, lastSeen: refreshed });
      }
    }
    for (const [userId, deadline] of this.leaving) {
      if (out.length >= limit) break;
      if (deadline <= now) {
        this.leaving.delete(userId);
        out.push({ userId, lastSeen: null });
      }
    }
    return out;
  }

  async swapAnnounced(userId: string, status: PresenceStatus): Promise<PresenceStatus | null> {
    if (status === 'offline' && this.status(this.byUser.get(userId), this.now()) !== 'offline') return null;
    const before = this.announced.get(userId) ?? 'offline';
    if (status === 'offline') this.announced.delete(userId);
    else this.announced.set(userId, status);
    return before;
  }

  async statuses(userIds: readonly string[]): Promise<Map<string, PresenceStatus>> {
    const now = this.now();
    const out = new Map<string, PresenceStatus>();
    for (const id of userIds) {
      const status = this.status(this.byUser.get(id), now);
      if (status !== 'offline') out.set(id, status);
    }
    return out;
  }

  async onlineCount(): Promise<number> {
    const now = this.now();
    let n = 0;
    for (const conns of this.byUser.values()) if (this.status(conns, now) !== 'offline') n++;
    return n;
  }

  async onlineUsers(limit: number) {
    const now = this.now();
    const out: { userId: string; connections: number; status: PresenceStatus }[] = [];
    for (const [userId, conns] of this.byUser) {
      if (out.length >= limit) break;
      const live = [...conns.values()].filter((e) => e.expiresAt > now);
      if (live.length > 0) out.push({ userId, connections: live.length, status: rollUp(live.map((e) => e.state)) });
    }
    return out;
  }

  async close(): Promise<void> {
    this.byUser.clear();
    this.announced.clear();
    this.leaving.clear();
  }

  private status(conns: Map<string, Entry> | undefined, now: number): PresenceStatus {
    if (!conns) return 'offline';
    const live: DeviceStatus[] = [];
    for (const e of conns.values()) if (e.expiresAt > now) live.push(e.state);
    return rollUp(live);
  }
}
