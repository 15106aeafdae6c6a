import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PositionBatch } from '../../src/storage/position-batch.js';
import type { PositionAdvance } from '../../src/storage/records.js';
import { createSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import type { Store } from '../../src/storage/store.js';

const T0 = 1_700_000_000_000;

/** Delivered/read confirmations are coalesced: many asks, one write, one entry per member with the highest seqs. */
describe('PositionBatch over a SQLite store', () => {
  let dir: string;
  let store: Store;
  /** Every advancePositions call that reached the store. */
  let writes: PositionAdvance[][];
  let batch: PositionBatch;
  let group: string;
  const members = Array.from({ length: 200 }, (_, i) => `m${i}`);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-pb-'));
    store = createSqliteStore({ path: join(dir, 'parley.db'), synchronous: 'normal' });
    for (const u of ['owner', ...members]) await store.upsertUser({ id: u, username: u, displayName: u }, T0);
    group = (await store.createGroup({ name: 'g', description: '', avatarUrl: null, visibility: 'private' }, 'owner', members, T0)).id;
    const base = { conversationId: group, senderId: 'owner', clientMsgId: null, kind: 'text', metadata: null, replyTo: null };
    await store.appendMessages([1, 2, 3].map((i) => ({ ...base, text: `t${i}`, createdAt: T0 + i })));
    writes = [];
    batch = new PositionBatch({
      advancePositions: (items) => {
        writes.push([...items]);
        return store.advancePositions(items);
      },
    });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('U1: every member confirming the same messages twice in one turn is one write with one entry per member', async () => {
    const asks = members.flatMap((userId) => [
      batch.advance({ conversationId: group, userId, deliveredSeq: 2 }),
      batch.advance({ conversationId: group, userId, deliveredSeq: 3 }),
    ]);
    const results = await Promise.all(asks);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toHaveLength(members.length);
    expect(writes[0]?.every((w) => w.deliveredSeq === 3)).toBe(true);
    // the first ask of each member carries the move, the second none: a move is announced once
    for (let i = 0; i < members.length; i++) {
      expect(results[2 * i]?.delivered).toEqual({ before: 0, after: 3 });
      expect(results[2 * i + 1]?.delivered).toEqual({ before: 3, after: 3 });
    }
    for (const m of members.slice(0, 5)) expect(await store.getMember(group, m)).toMatchObject({ deliveredSeq: 3 });
  });

  it('U1: a read and a delivery of one member in one batch write the read, which drags delivery along', async () => {
    const [d, r] = await Promise.all([
      batch.advance({ conversationId: group, userId: 'm1', deliveredSeq: 3 }),
      batch.advance({ conversationId: group, userId: 'm1', readSeq: 2 }),
    ]);
    expect(writes).toEqual([[{ conversationId: group, userId: 'm1', deliveredSeq: 3, readSeq: 2 }]]);
    expect(d).toEqual({ delivered: { before: 0, after: 3 }, read: { before: 0, after: 2 } });
    expect(r?.read).toEqual({ before: 2, after: 2 });
    expect(await store.unreadCount(group, 'm1')).toBe(1);
  });

  it('asks made while a write is in flight form the next write; none is lost', async () => {
    const first = batch.advance({ conversationId: group, userId: 'm1', deliveredSeq: 1 });
    await new Promise((r) => setImmediate(r)); // the first write is now in flight
    const later = [2, 3].map((seq) => batch.advance({ conversationId: group, userId: 'm1', deliveredSeq: seq }));
    await Promise.all([first, ...later]);
    expect(writes.map((w) => w.map((x) => x.deliveredSeq))).toEqual([[1], [3]]);
    expect(await store.getMember(group, 'm1')).toMatchObject({ deliveredSeq: 3 });
  });

  it('a failed write rejects every ask in it, and the next batch works', async () => {
    await store.close();
    const failing = batch.advance({ conversationId: group, userId: 'm1', deliveredSeq: 1 });
    await expect(failing).rejects.toThrow();
    store = createSqliteStore({ path: join(dir, 'parley.db'), synchronous: 'normal' });
    expect((await batch.advance({ conversationId: group, userId: 'm1', deliveredSeq: 2 })).delivered.after).toBe(2);
  });
});
