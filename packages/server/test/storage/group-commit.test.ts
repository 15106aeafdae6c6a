import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dmConversationId } from '@parley/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/storage/group-commit.js';
import type { AppendResult, NewMessage } from '../../src/storage/records.js';
import { createSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import type { MessageRepo, Store } from '../../src/storage/store.js';

const T0 = 1_700_000_000_000;

describe('GroupCommit over a SQLite store', () => {
  let dir: string;
  let store: Store;
  /** Sizes of the batches that reached the store, one entry per appendMessages call. */
  let calls: number[];
  let repo: MessageRepo;
  const dm = dmConversationId('a', 'b');
  let n = 0;

  const item = (extra: Partial<NewMessage> = {}): NewMessage => {
    n += 1;
    return {
      conversationId: dm,
      senderId: n % 2 === 0 ? 'a' : 'b',
      clientMsgId: null,
      kind: 'text',
      text: `m${n}`,
      metadata: null,
      replyTo: null,
      createdAt: T0 + n,
      ...extra,
    };
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-gc-'));
    store = createSqliteStore({ path: join(dir, 'parley.db'), synchronous: 'normal' });
    await store.upsertUser({ id: 'a', username: 'a', displayName: 'A' }, T0);
    await store.upsertUser({ id: 'b', username: 'b', displayName: 'B' }, T0);
    await store.ensureDm(dm, 'a', 'b', T0);
    calls = [];
    n = 0;
    repo = {
      ...store,
      appendMessages: (items) => {
        calls.push(items.length);
        return store.appendMessages(items);
      },
    };
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('appends made in one tick reach the store in one appendMessages call', async () => {
    const gc = new GroupCommit(repo);
    const items = Array.from({ length: 25 }, () => item());
    const results = await Promise.all(items.map((i) => gc.append(i)));
    expect(calls).toEqual([25]);
    expect(results).toHaveLength(25);
    expect((await store.history(dm, { limit: 100 })).messages).toHaveLength(25);
  });

  it('results come back in call order with consecutive seqs', async () => {
    const gc = new GroupCommit(repo);
    const items = Array.from({ length: 10 }, () => item());
    const results = await Promise.all(items.map((i) => gc.append(i)));
    expect(results.map((r) => r.message.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(results.map((r) => r.message.text)).toEqual(items.map((i) => i.text));
    expect(results.every((r) => !r.duplicate)).toBe(true);
    const stored = (await store.history(dm, { limit: 100 })).messages;
    expect(stored).toEqual(results.map((r) => r.message));
  });

  it('appends made while a batch is in flight go in the next batch, one batch at a time, still in order', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let inFlight = 0;
    let maxInFlight = 0;
    const gated: MessageRepo = {
      ...repo,
      async appendMessages(items) {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          await gate;
          return await repo.appendMessages(items);
        } finally {
          inFlight -= 1;
        }
      },
    };
    const gc = new GroupCommit(gated);
    const first = [gc.append(item()), gc.append(item())];
    await new Promise((r) => setImmediate(r));
    // the first batch is now waiting at the gate
    const second = [gc.append(item()), gc.append(item()), gc.append(item())];
    await new Promise((r) => setImmediate(r));
    release();
    const results = await Promise.all([...first, ...second]);
    expect(calls).toEqual([2, 3]);
    expect(maxInFlight).toBe(1);
    expect(results.map((r) => r.message.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('appends made in a later tick go in a later batch', async () => {
    const gc = new GroupCommit(repo);
    const a = await Promise.all([gc.append(item()), gc.append(item())]);
    const b = await Promise.all([gc.append(item())]);
    expect(calls).toEqual([2, 1]);
    expect([...a, ...b].map((r) => r.message.seq)).toEqual([1, 2, 3]);
  });

  it('splits a large tick into batches of at most maxBatch, preserving order', async () => {
    const gc = new GroupCommit(repo, () => {}, 4);
    const results = await Promise.all(Array.from({ length: 10 }, () => gc.append(item())));
    expect(calls).toEqual([4, 4, 2]);
    expect(results.map((r) => r.message.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('reports each batch size to the observer', async () => {
    const observed: number[] = [];
    const gc = new GroupCommit(repo, (size, seconds) => {
      expect(seconds).toBeGreaterThanOrEqual(0);
      observed.push(size);
    });
    await Promise.all([gc.append(item()), gc.append(item()), gc.append(item())]);
    await gc.drain();
    expect(observed).toEqual([3]);
  });

  it('drain() waits for everything queued', async () => {
    const gc = new GroupCommit(repo, () => {}, 3);
    const settled: number[] = [];
    for (let i = 0; i < 10; i++) {
      void gc.append(item()).then(
        (r) => settled.push(r.message.seq),
        () => settled.push(-1),
      );
    }
    await gc.drain();
    // every append has settled, so its row is in the store
    expect(settled).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await store.history(dm, { limit: 100 })).messages).toHaveLength(10);
    expect(calls).toEqual([3, 3, 3, 1]);
  });

  it('drain() resolves at once when nothing is queued', async () => {
    const gc = new GroupCommit(repo);
    await expect(gc.drain()).resolves.toBeUndefined();
    await gc.append(item());
    await expect(gc.drain()).resolves.toBeUndefined();
    expect(calls).toEqual([1]);
  });

  it('one bad item (missing conversation) fails only that item; the others succeed', async () => {
    const gc = new GroupCommit(repo);
    const good1 = gc.append(item({ text: 'good-1' }));
    const bad = gc.append(item({ conversationId: 'g:404', text: 'bad' }));
    const good2 = gc.append(item({ text: 'good-2' }));
    const outcomes = await Promise.allSettled([good1, bad, good2]);

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const ok = outcomes.filter((o): o is PromiseFulfilledResult<AppendResult> => o.status === 'fulfilled');
    expect(ok.map((o) => [o.value.message.text, o.value.message.seq])).toEqual([
      ['good-1', 1],
      ['good-2', 2],
    ]);
    // the whole batch was tried once, then item by item
    expect(calls).toEqual([3, 1, 1, 1]);
    expect((await store.history(dm, { limit: 10 })).messages.map((m) => m.text)).toEqual(['good-1', 'good-2']);

    // the queue keeps working afterwards
    const later = await gc.append(item({ text: 'later' }));
    expect(later.message.seq).toBe(3);
  });

  it('duplicates within one tick resolve to the stored original', async () => {
    const gc = new GroupCommit(repo);
    const [r1, r2] = await Promise.all([
      gc.append(item({ senderId: 'a', clientMsgId: 'same', text: 'first' })),
      gc.append(item({ senderId: 'a', clientMsgId: 'same', text: 'second' })),
    ]);
    expect(calls).toEqual([2]);
    expect(r1?.duplicate).toBe(false);
    expect(r2).toEqual({ message: r1?.message, duplicate: true });
    expect((await store.history(dm, { limit: 10 })).messages).toHaveLength(1);
  });
});
