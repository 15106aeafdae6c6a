import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PresenceStore } from '../../src/cluster/presence-store.js';

export interface PresenceNodes {
  /** One store per node; the in-memory store is one instance shared by every "node" of the process. */
  stores: PresenceStore[];
  cleanup: () => Promise<void>;
}

/**
 * What every PresenceStore must do, through the interface only, with several nodes and a clock the test moves
 * (stores read time from `now`). TTL semantics are part of the contract: an entry not refreshed within the TTL
 * stops counting, so the users of a dead node go offline by themselves.
 */
export function registerPresenceContract(
  name: string,
  open: (nodes: number, ttlMs: number, now: () => number) => Promise<PresenceNodes>,
): void {
  describe(`PresenceStore contract: ${name}`, () => {
    const TTL = 30_000;
    let t = 0;
    const now = () => t;
    let stores: PresenceStore[];
    let cleanup: () => Promise<void>;
    let n1: PresenceStore;
    let n2: PresenceStore;
    let n3: PresenceStore;

    beforeEach(async () => {
      t = Date.now();
      ({ stores, cleanup } = await open(3, TTL, now));
      [n1, n2, n3] = stores as [PresenceStore, PresenceStore, PresenceStore];
    }, 30_000);
    afterEach(async () => {
      await cleanup();
    }, 30_000);

    it('P1: set and remove report the rolled-up status before and after; busy beats online beats away', async () => {
      expect(await n1.set('u', 'c1', 'away')).toEqual({ before: 'offline', after: 'away' });
      expect(await n2.set('u', 'c2', 'online')).toEqual({ before: 'away', after: 'online' });
      expect(await n3.set('u', 'c3', 'busy')).toEqual({ before: 'online', after: 'busy' });
      expect(await n1.set('u', 'c1', 'online')).toEqual({ before: 'busy', after: 'busy' });
      expect(await n3.remove('u', 'c3')).toEqual({ before: 'busy', after: 'online' });
      expect(await n2.remove('u', 'c2')).toEqual({ before: 'online', after: 'online' });
      expect(await n1.remove('u', 'c1')).toEqual({ before: 'online', after: 'offline' });
      expect(await n1.remove('u', 'c1')).toEqual({ before: 'offline', after: 'offline' });
      expect(await n2.remove('nobody', 'cx')).toEqual({ before: 'offline', after: 'offline' });
    });

    it('P2: every node sees the same statuses; offline users are left out; an empty query is empty', async () => {
      await n1.set('a', 'a1', 'online');
      await n2.set('a', 'a2', 'busy');
      await n2.set('b', 'b1', 'away');
      await n3.set('c', 'c1', 'online');
      await n3.remove('c', 'c1');
      for (const s of stores) {
        const got = await s.statuses(['a', 'b', 'c', 'ghost']);
        expect(Object.fromEntries(got)).toEqual({ a: 'busy', b: 'away' });
        expect((await s.statuses([])).size).toBe(0);
      }
    });

    it('P3: the online count is cluster-wide and counts users, not connections', async () => {
      expect(await n1.onlineCount()).toBe(0);
      await n1.set('a', 'a1', 'online');
      await n2.set('a', 'a2', 'online');
      await n2.set('b', 'b1', 'away');
      await n3.set('c', 'c1', 'busy');
      for (const s of stores) expect(await s.onlineCount()).toBe(3);
      await n2.remove('a', 'a2');
      expect(await n3.onlineCount()).toBe(3);
      await n1.remove('a', 'a1');
      expect(await n3.onlineCount()).toBe(2);
    });

    it('P4: onlineUsers lists users with their connection counts and statuses, up to the limit', async () => {
      await n1.set('a', 'a1', 'online');
      await n2.set('a', 'a2', 'busy');
      await n3.set('b', 'b1', 'away');
      const all = await n3.onlineUsers(10);
      expect([...all].sort((x, y) => x.userId.localeCompare(y.userId))).toEqual([
        { userId: 'a', connections: 2, status: 'busy' },
        { userId: 'b', connections: 1, status: 'away' },
      ]);
      expect(await n1.onlineUsers(1)).toHaveLength(1);
      expect(await n1.onlineUsers(0)).toEqual([]);
    });

    it('P5: entries expire after the TTL unless refreshed; refresh extends them from now', async () => {
      await n1.set('a', 'a1', 'online');
      await n1.set('b', 'b1', 'busy');
      t += TTL - 1_000;
      await n1.refresh([{ userId: 'a', connectionId: 'a1' }]);
      t += 2_000; // b's entry is now past its TTL, a's was extended
      expect(Object.fromEntries(await n2.statuses(['a', 'b']))).toEqual({ a: 'online' });
      expect(await n3.onlineCount()).toBe(1);
      expect((await n3.onlineUsers(10)).map((u) => u.userId)).toEqual(['a']);
      t += TTL;
      expect((await n2.statuses(['a', 'b'])).size).toBe(0);
      expect(await n2.onlineCount()).toBe(0);
      expect(await n2.onlineUsers(10)).toEqual([]);
    });

    it("P6: a dead node's users go offline within the TTL; a user also connected to a live node stays online", async () => {
      await n1.set('only-on-dead', 'd1', 'online');
      await n1.set('both', 'b-dead', 'busy');
      await n2.set('both', 'b-live', 'online');
      await n2.set('only-on-live', 'l1', 'away');
      const live = [
        { userId: 'both', connectionId: 'b-live' },
        { userId: 'only-on-live', connectionId: 'l1' },
      ];
      // node 1 dies: from now on only node 2 refreshes its entries, every TTL / 3
      for (let i = 0; i < 4; i++) {
        t += TTL / 3;
        await n2.refresh(live);
      }
      expect(Object.fromEntries(await n3.statuses(['only-on-dead', 'both', 'only-on-live']))).toEqual({
        both: 'online',
        'only-on-live': 'away',
      });
      expect(await n3.onlineCount()).toBe(2);
      expect((await n3.onlineUsers(10)).find((u) => u.userId === 'both')).toEqual({
        userId: 'both',
        connections: 1,
        status: 'online',
      });
      // the dead node's entry no longer counts in before/after either
      expect(await n2.remove('both', 'b-live')).toEqual({ before: 'online', after: 'offline' });
    });

    it('P7: refresh never brings back a removed entry, and reports the entries it did not find', async () => {
      await n1.set('a', 'a1', 'online');
      await n1.set('b', 'b1', 'away');
      await n2.remove('a', 'a1');
      const missing = await n1.refresh([
        { userId: 'a', connectionId: 'a1' },
        { userId: 'b', connectionId: 'b1' },
        { userId: 'ghost', connectionId: 'g1' },
      ]);
      expect(missing).toEqual([
        { userId: 'a', connectionId: 'a1' },
        { userId: 'ghost', connectionId: 'g1' },
      ]);
      expect(Object.fromEntries(await n3.statuses(['a', 'b', 'ghost']))).toEqual({ b: 'away' });
      expect(await n3.onlineCount()).toBe(1);
      expect(await n1.refresh([])).toEqual([]);
    });

    it("P10: expire hands a dead node's users to exactly one caller, with their last refresh; never a user with a live entry", async () => {
      const t0 = t;
      await n1.set('dead-1', 'd1', 'online');
      await n1.set('dead-2', 'd2', 'busy');
      await n1.set('both', 'b-dead', 'online');
      await n2.set('both', 'b-live', 'away');
      expect(await n3.expire(100)).toEqual([]); // nothing has expired yet
      for (let i = 0; i < 4; i++) {
        t += TTL / 3;
        await n2.refresh([{ userId: 'both', connectionId: 'b-live' }]);
      }
      const swept = (await Promise.all(stores.map((s) => s.expire(100)))).flat();
      expect(swept.sort((a, b) => a.userId.localeCompare(b.userId))).toEqual([
        { userId: 'dead-1', lastSeen: t0 },
        { userId: 'dead-2', lastSeen: t0 },
      ]);
      expect(await n1.expire(100)).toEqual([]);
      expect(Object.fromEntries(await n3.statuses(['dead-1', 'dead-2', 'both']))).toEqual({ both: 'away' });
      expect(await n3.onlineCount()).toBe(1);
      // the dead node's entries are gone: a refresh from it (a node that only stalled) finds them missing
      expect(await n1.refresh([{ userId: 'dead-1', connectionId: 'd1' }])).toEqual([
        { userId: 'dead-1', connectionId: 'd1' },
      ]);
    });

    it('P10: a user who left is handed out a TTL later (their node may have stopped within the grace), unless back', async () => {
      await n1.set('left', 'l1', 'online');
      await n1.set('back', 'k1', 'online');
      await n1.set('two', 'w1', 'online');
      await n2.set('two', 'w2', 'away');
      await n1.remove('left', 'l1');
      await n1.remove('back', 'k1');
      await n1.remove('two', 'w1'); // still online through node 2
      t += TTL / 2;
      expect(await n2.expire(100)).toEqual([]);
      await n3.set('back', 'k2', 'busy'); // came back before the TTL
      t += TTL / 2 + 1;
      await n2.refresh([{ userId: 'two', connectionId: 'w2' }]);
      const swept = (await Promise.all(stores.map((s) => s.expire(100)))).flat();
      expect(swept).toEqual([{ userId: 'left', lastSeen: null }]);
      expect(Object.fromEntries(await n1.statuses(['left', 'back', 'two']))).toEqual({ back: 'busy', two: 'away' });
    });

    it('P10: a connection removed after its entry expired (a stalled node closing it late) is still handed out', async () => {
      await n1.set('late', 'z1', 'online');
      t += TTL + 1;
      await n1.remove('late', 'z1');
      t += TTL + 1;
      expect(await n3.expire(100)).toEqual([{ userId: 'late', lastSeen: null }]);
    });

    it('P11: the announced status is one for the cluster: each change is reported once, offline only with no live entry', async () => {
      await n1.set('u', 'c1', 'online');
      expect(await n1.swapAnnounced('u', 'online')).toBe('offline'); // node 1 announces "online"
      await n2.set('u', 'c2', 'busy');
      expect(await n2.swapAnnounced('u', 'busy')).toBe('online'); // node 2 announces "busy"
      expect(await n3.swapAnnounced('u', 'busy')).toBe('busy'); // nothing new to announce
      expect(await n1.swapAnnounced('u', 'offline')).toBeNull(); // refused: devices are connected
      await n1.remove('u', 'c1');
      await n2.remove('u', 'c2');
      const racing = await Promise.all([n1.swapAnnounced('u', 'offline'), n2.swapAnnounced('u', 'offline')]);
      expect(racing.sort()).toEqual(['busy', 'offline']); // exactly one node announces "offline"
      expect(await n3.swapAnnounced('u', 'online')).toBe('offline');
    });

    it('P11: a user whose entries expired can be announced offline', async () => {
      await n1.set('gone', 'g1', 'away');
      expect(await n1.swapAnnounced('gone', 'away')).toBe('offline');
      expect(await n2.swapAnnounced('gone', 'offline')).toBeNull();
      t += TTL + 1;
      expect(await n2.swapAnnounced('gone', 'offline')).toBe('away');
    });

    it('P10: expire takes at most `limit` users per call', async () => {
      for (let i = 0; i < 5; i++) await n1.set(`u${i}`, `c${i}`, 'online');
      await n1.remove('u4', 'c4');
      await n1.set('u5', 'c5', 'online');
      await n1.remove('u5', 'c5');
      t += TTL + 1;
      const first = await n2.expire(3);
      const second = await n3.expire(3);
      const rest = await n1.expire(3);
      expect([first.length, second.length, rest.length]).toEqual([3, 3, 0]);
      expect([...first, ...second].map((u) => u.userId).sort()).toEqual(['u0', 'u1', 'u2', 'u3', 'u4', 'u5']);
    });

    it('P8: batch queries answer for a thousand users at once', async () => {
      const ids = Array.from({ length: 1_000 }, (_, i) => `user-${i}`);
      const online = ids.filter((_, i) => i % 2 === 0);
      await Promise.all(online.map((id, i) => stores[i % 3]?.set(id, `c-${id}`, i % 3 === 0 ? 'busy' : 'online')));
      const got = await n2.statuses(ids);
      expect(got.size).toBe(online.length);
      for (const [i, id] of online.entries()) expect(got.get(id)).toBe(i % 3 === 0 ? 'busy' : 'online');
      expect(await n3.onlineCount()).toBe(online.length);
      expect(await n1.onlineUsers(2_000)).toHaveLength(online.length);
    });

    it('P9: concurrent changes of one user from every node end in the status of what remains', async () => {
      const ops: Promise<unknown>[] = [];
      for (let i = 0; i < 60; i++) ops.push((stores[i % 3] as PresenceStore).set('u', `c${i}`, 'online'));
      await Promise.all(ops);
      const removals: Promise<unknown>[] = [];
      for (let i = 0; i < 60; i++) if (i !== 17) removals.push((stores[i % 3] as PresenceStore).remove('u', `c${i}`));
      await Promise.all(removals);
      expect(Object.fromEntries(await n1.statuses(['u']))).toEqual({ u: 'online' });
      expect(await n3.onlineUsers(5)).toEqual([{ userId: 'u', connections: 1, status: 'online' }]);
      expect(await n2.remove('u', 'c17')).toEqual({ before: 'online', after: 'offline' });
    });
  });
}
