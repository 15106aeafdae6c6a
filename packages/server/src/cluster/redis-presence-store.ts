import type { DeviceStatus, PresenceStatus } from '@parley/protocol';
import type { Redis } from 'ioredis';
import {
  type ExpiredUser,
  type PresenceEntry,
  type PresenceStore,
  rollUp,
  type StatusChange,
} from './presence-store.js';
import { connectRedis, type RedisSettings } from './redis-connection.js';
import {
  EXPIRE_SCRIPT,
  REFRESH_SCRIPT,
  REMOVE_SCRIPT,
  SET_SCRIPT,
  SWAP_ANNOUNCED_SCRIPT,
} from './redis-presence-scripts.js';

interface PresenceCommands {
  presenceSet(...args: (string | number)[]): Promise<[string, string]>;
  presenceRemove(...args: (string | number)[]): Promise<[string, string]>;
  presenceRefresh(...args: (string | number)[]): Promise<number[]>;
  presenceExpire(...args: (string | number)[]): Promise<string[]>;
  presenceSwapAnnounced(...args: (string | number)[]): Promise<string | null>;
}

const REFRESH_CHUNK = 500;

const states = (joined: string): DeviceStatus[] => (joined === '' ? [] : (joined.split(',') as DeviceStatus[]));

/**
 * Presence shared by every node, in Redis (layout in redis-presence-scripts.ts). Guarantees:
 * - set / remove / refresh are atomic per user (Lua), so concurrent nodes see consistent before/after statuses;
 * - the online count is one ZCOUNT and a batch of statuses one pipelined round trip: nothing scans every key;
 * - an entry not refreshed within the TTL stops counting, so a dead node's users go offline within the TTL.
 * Best effort: while Redis is unreachable, writes report the caller's own device only and reads report nobody
 * online (never an error that would fail a connection or a conversation list); the bus's gap then makes every
 * client reconnect, which writes presence again.
 */
export class RedisPresenceStore implements PresenceStore {
  private readonly redis: Redis;
  private readonly commands: PresenceCommands;
  private readonly online: string;
  private readonly userPrefix: string;
  private readonly announced: string;
  private readonly leaving: string;
  private readonly gcMs: number;
  /** Redis failures absorbed (metrics, tests). */
  failures = 0;

  constructor(
    settings: RedisSettings,
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
    /** How long after leaving a user is handed out by expire() (give the node they left its grace period first). */
    private readonly leavingMs = ttlMs,
  ) {
    this.redis = connectRedis(settings.url, 'parley-presence');
    this.redis.defineCommand('presenceSet', { numberOfKeys: 3, lua: SET_SCRIPT });
    this.redis.defineCommand('presenceRemove', { numberOfKeys: 3, lua: REMOVE_SCRIPT });
    this.redis.defineCommand('presenceRefresh', { lua: REFRESH_SCRIPT });
    this.redis.defineCommand('presenceExpire', { numberOfKeys: 2, lua: EXPIRE_SCRIPT });
    this.redis.defineCommand('presenceSwapAnnounced', { numberOfKeys: 2, lua: SWAP_ANNOUNCED_SCRIPT });
    this.commands = this.redis as unknown as PresenceCommands;
    this.online = `${settings.prefix}presence:online`;
    this.userPrefix = `${settings.prefix}presence:u:`;
    this.announced = `${settings.prefix}presence:announced`;
    this.leaving = `${settings.prefix}presence:leaving`;
    this.gcMs = ttlMs * 2 + 600_000;
  }

  async set(userId: string, connectionId: string, state: DeviceStatus): Promise<StatusChange> {
    try {
      const [before, after] = await this.commands.presenceSet(
        ...this.keys(userId),
        connectionId,
        this.now(),
        this.ttlMs,
        this.gcMs,
        userId,
        state,
      );
      return { before: rollUp(states(before)), after: rollUp(states(after)) };
    } catch {
      this.failures++;
      return { before: 'offline', after: rollUp([state]) };
    }
  }

  async remove(userId: string, connectionId: string): Promise<StatusChange> {
    try {
      const [before, after] = await this.commands.presenceRemove(
        ...this.keys(userId),
        connectionId,
        this.now(),
        this.ttlMs,
        this.gcMs,
        userId,
        this.leavingMs,
      );
      return { before: rollUp(states(before)), after: rollUp(states(after)) };
    } catch {
      this.failures++;
      return { before: 'offline', after: 'offline' };
    }
  }

  async refresh(entries: readonly PresenceEntry[]): Promise<PresenceEntry[]> {
    const now = this.now();
    const pipeline = this.redis.pipeline();
    for (let i = 0; i < entries.length || i === 0; i += REFRESH_CHUNK) {
      const chunk = entries.slice(i, i + REFRESH_CHUNK);
      const args: (string | number)[] = [chunk.length + 1, this.online];
      for (const e of chunk) args.push(this.userPrefix + e.userId);
      args.push(now, this.ttlMs, this.gcMs);
      for (const e of chunk) args.push(e.userId, e.connectionId);
      (pipeline as unknown as PresenceCommands).presenceRefresh(...args);
    }
    const results = await pipeline.exec().catch(() => null);
    if (!results || results.some(([err]) => err)) this.failures++;
    // Unreachable: report nothing missing (setting entries again would fail the same way).
    return (results ?? []).flatMap(([err, positions], chunk) =>
      err ? [] : (positions as number[]).map((i) => entries[chunk * REFRESH_CHUNK + i] as PresenceEntry),
    );
  }

  async expire(limit: number): Promise<ExpiredUser[]> {
    let flat: string[];
    try {
      flat = await this.commands.presenceExpire(
        this.online,
        this.leaving,
        this.now(),
        this.userPrefix,
        limit,
        this.ttlMs,
      );
    } catch {
      this.failures++;
      return [];
    }
    const out: ExpiredUser[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const seen = Number(flat[i + 1]);
      out.push({ userId: flat[i] as string, lastSeen: seen < 0 ? null : seen });
    }
    return out;
  }

  async swapAnnounced(userId: string, status: PresenceStatus): Promise<PresenceStatus | null> {
    try {
      const before = await this.commands.presenceSwapAnnounced(
        this.userPrefix + userId,
        this.announced,
        this.now(),
        userId,
        status,
      );
      return before as PresenceStatus | null;
    } catch {
      // Unreachable: announce (best effort; presence reads report nobody online meanwhile anyway).
      this.failures++;
      return status === 'offline' ? 'online' : 'offline';
    }
  }

  async statuses(userIds: readonly string[]): Promise<Map<string, PresenceStatus>> {
    const out = new Map<string, PresenceStatus>();
    if (userIds.length === 0) return out;
    const entries = await this.entriesOf(userIds);
    for (const [i, id] of userIds.entries()) {
      const live = entries[i] ?? [];
      if (live.length > 0) out.set(id, rollUp(live));
    }
    return out;
  }

  async onlineCount(): Promise<number> {
    try {
      return await this.redis.zcount(this.online, `(${this.now()}`, '+inf');
    } catch {
      this.failures++;
      return 0;
    }
  }

  async onlineUsers(limit: number) {
    let ids: string[];
    try {
      ids = await this.redis.zrangebyscore(this.online, `(${this.now()}`, '+inf', 'LIMIT', 0, limit);
    } catch {
      this.failures++;
      return [];
    }
    const entries = await this.entriesOf(ids);
    return ids.flatMap((userId, i) => {
      const live = entries[i] ?? [];
      return live.length === 0 ? [] : [{ userId, connections: live.length, status: rollUp(live) }];
    });
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => {});
    this.redis.disconnect();
  }

  private keys(userId: string): [string, string, string] {
    return [this.userPrefix + userId, this.online, this.leaving];
  }

  /** Each user's unexpired device states, in one pipelined round trip. */
  private async entriesOf(userIds: readonly string[]): Promise<DeviceStatus[][]> {
    const now = this.now();
    const pipeline = this.redis.pipeline();
    for (const id of userIds) pipeline.hgetall(this.userPrefix + id);
    const results = await pipeline.exec().catch(() => null);
    if (!results || results.some(([err]) => err)) this.failures++;
    if (!results) return [];
    return results.map(([err, hash]) => {
      if (err || !hash) return [];
      const live: DeviceStatus[] = [];
      for (const v of Object.values(hash as Record<string, string>)) {
        const sep = v.indexOf('|');
        if (Number(v.slice(0, sep)) > now) live.push(v.slice(sep + 1) as DeviceStatus);
      }
      return live;
    });
  }
}
