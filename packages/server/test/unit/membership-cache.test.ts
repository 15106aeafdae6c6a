import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MembershipCache } from '../../src/services/membership-cache.js';
import { createSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import type { ConversationRepo, Store } from '../../src/storage/store.js';

const T0 = 1_700_000_000_000;

describe('MembershipCache', () => {
  let dir: string;
  let store: Store;
  /** Conversation ids in the order listMembers reached the store. */
  let reads: string[];
  /** When set, the next listMembers call fails. */
  let failNext: boolean;
  let repo: ConversationRepo;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-cache-'));
    store = createSqliteStore({ path: join(dir, 'parley.db'), synchronous: 'normal' });
    for (const id of ['o', 'a', 'b', 'c']) await store.upsertUser({ id, username: id, displayName: id }, T0);
    reads = [];
    failNext = false;
    repo = {
      ...store,
      async listMembers(conversationId) {
        reads.push(conversationId);
        if (failNext) {
          failNext = false;
          throw new Error('database unavailable');
        }
        return store.listMembers(conversationId);
      },
    };
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const group = (members: string[]) =>
    store.createGroup({ name: 'g', description: '', avatarUrl: null, visibility: 'private' }, 'o', members, T0);

  it('reads through once and then answers from memory', async () => {
    const g = await group(['a', 'b']);
    const cache = new MembershipCache(repo);
    expect([...(await cache.members(g.id))].sort()).toEqual(['a', 'b', 'o']);
    expect([...(await cache.members(g.id))].sort()).toEqual(['a', 'b', 'o']);
    expect(reads).toEqual([g.id]);
  });

  it('concurrent lookups of the same conversation share one read', async () => {
    const g = await group(['a']);
    const cache = new MembershipCache(repo);
    const results = await Promise.all([cache.members(g.id), cache.members(g.id), cache.members(g.id)]);
    expect(reads).toEqual([g.id]);
    for (const r of results) expect([...r].sort()).toEqual(['a', 'o']);
  });

  it('keeps stale members until invalidated, then reads the new membership', async () => {
    const g = await group(['a']);
    const cache = new MembershipCache(repo);
    await cache.members(g.id);
    await store.addMembers(g.id, ['c'], 'member', T0);
    expect([...(await cache.members(g.id))].sort()).toEqual(['a', 'o']);
    cache.invalidate(g.id);
    expect([...(await cache.members(g.id))].sort()).toEqual(['a', 'c', 'o']);
    await store.removeMember(g.id, 'a');
    cache.invalidate(g.id);
    expect([...(await cache.members(g.id))].sort()).toEqual(['c', 'o']);
    expect(reads).toEqual([g.id, g.id, g.id]);
  });

  it('invalidating one conversation leaves the others cached', async () => {
    const g1 = await group(['a']);
    const g2 = await group(['b']);
    const cache = new MembershipCache(repo);
    await cache.members(g1.id);
    await cache.members(g2.id);
    cache.invalidate(g1.id);
    cache.invalidate('g:404');
    await cache.members(g1.id);
    await cache.members(g2.id);
    expect(reads).toEqual([g1.id, g2.id, g1.id]);
  });

  it('a failed read is not cached: the next lookup reads again', async () => {
    const g = await group(['a']);
    const cache = new MembershipCache(repo);
    failNext = true;
    await expect(cache.members(g.id)).rejects.toThrow('database unavailable');
    expect([...(await cache.members(g.id))].sort()).toEqual(['a', 'o']);
    expect(await cache.members(g.id)).toHaveLength(2);
    expect(reads).toEqual([g.id, g.id]);
  });

  it('an unknown conversation has no members', async () => {
    const cache = new MembershipCache(repo);
    expect(await cache.members('g:404')).toEqual([]);
  });

  it('is bounded: past maxEntries it starts over', async () => {
    const g1 = await group(['a']);
    const g2 = await group(['b']);
    const g3 = await group(['c']);
    const cache = new MembershipCache(repo, 2);
    await cache.members(g1.id);
    await cache.members(g2.id);
    await cache.members(g1.id); // cached
    expect(reads).toEqual([g1.id, g2.id]);
    await cache.members(g3.id); // full: starts over with g3 only
    await cache.members(g3.id);
    await cache.members(g1.id); // read again
    expect(reads).toEqual([g1.id, g2.id, g3.id, g1.id]);
  });
  it('remembers a direct conversation found open until it is invalidated or cleared; never a refusal', async () => {
    const cache = new MembershipCache(repo);
    let checks = 0;
    let refuse = false;
    const check = async () => {
      checks++;
      if (refuse) throw new Error('BLOCKED');
    };
    await cache.dmOpen('dm:a:b', check);
    await cache.dmOpen('dm:a:b', check);
    expect(checks).toBe(1);

    cache.invalidate('dm:a:b'); // a block or a friendship change
    refuse = true;
    await expect(cache.dmOpen('dm:a:b', check)).rejects.toThrow('BLOCKED');
    await expect(cache.dmOpen('dm:a:b', check)).rejects.toThrow('BLOCKED');
    expect(checks).toBe(3);

    refuse = false;
    await cache.dmOpen('dm:a:b', check);
    cache.clear(); // a bus gap
    await cache.dmOpen('dm:a:b', check);
    expect(checks).toBe(5);
  });
});
