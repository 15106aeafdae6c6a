import { dmConversationId } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { POSTGRES_MIGRATIONS } from '../../src/storage/postgres/migrations.js';
import { createPostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { SQLITE_MIGRATIONS } from '../../src/storage/sqlite/migrations.js';
import type { AppendResult, NewMessage } from '../../src/storage/records.js';
import type { Store } from '../../src/storage/store.js';
import { ChaosProxy } from '../helpers/chaos-proxy.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { registerStoreContract } from './store-contract.js';

/** The same contract as SQLite, against the machine's PostgreSQL: a fresh database per run, a schema per test. */
let database: TestDatabase;
let schemas = 0;
const freshUrl = () => database.schemaUrl(`s_${++schemas}`);

beforeAll(async () => {
  database = await createTestDatabase();
}, 60_000);
afterAll(async () => {
  await database?.drop();
}, 60_000);

registerStoreContract('postgres', async () => {
  const store = await createPostgresStore({ url: await freshUrl(), poolMax: 4, timeoutMs: 10_000 });
  return {
    store,
    async cleanup() {
      await store.close().catch(() => {});
    },
  };
});

describe('PostgreSQL store: several processes at once', () => {
  const T0 = 1_700_000_000_000;
  const open = (url: string, poolMax = 4) => createPostgresStore({ url, poolMax, timeoutMs: 15_000 });
  const text = (conversationId: string, senderId: string, clientMsgId: string | null, at: number): NewMessage => ({
    conversationId,
    senderId,
    clientMsgId,
    kind: 'text',
    text: `${senderId} ${clientMsgId ?? ''}`,
    metadata: null,
    replyTo: null,
    createdAt: at,
  });

  it('has the same schema versions as SQLite, and nodes starting together migrate once', async () => {
    expect(POSTGRES_MIGRATIONS.length).toBe(SQLITE_MIGRATIONS.length);
    const url = await freshUrl();
    const stores = await Promise.all([open(url), open(url), open(url), open(url)]);
    const schema = `s_${schemas}`;
    const rows = await database.query<{ version: number }>(
      `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
    );
    expect(rows.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((_, i) => i + 1));
    for (const s of stores) await s.close();
    // a database newer than this build is refused
    await database.query(`INSERT INTO ${schema}.schema_migrations (version, applied_at) VALUES ($1, 0)`, [
      POSTGRES_MIGRATIONS.length + 1,
    ]);
    await expect(open(url)).rejects.toThrow(/newer/);
  }, 60_000);

  it('D2 D3: writers in four pools (as four processes) racing on one conversation keep seq gap-free and each client id once', async () => {
    const url = await freshUrl();
    const stores: Store[] = await Promise.all([open(url), open(url), open(url), open(url)]);
    const [first] = stores as [Store];
    for (const u of ['a', 'b', 'c']) await first.upsertUser({ id: u, username: u, displayName: u }, T0);
    const dm = dmConversationId('a', 'b');
    await first.ensureDm(dm, 'a', 'b', T0);
    const g = await first.createGroup(
      { name: 'race', description: '', avatarUrl: null, visibility: 'private' },
      'a',
      ['b', 'c'],
      T0,
    );

    // Every store sends the same 150 client ids (retries landing on other nodes) plus 30 of its own without ids,
    // in batches that mix both conversations, all at once.
    const sends = stores.map(async (s, node) => {
      const results: AppendResult[] = [];
      for (let batch = 0; batch < 15; batch++) {
        const items: NewMessage[] = [];
        for (let i = 0; i < 10; i++) {
          const n = batch * 10 + i;
          const sender = ['a', 'b', 'c'][n % 3] as string;
          const conv = sender === 'c' || n % 2 === 0 ? g.id : dm;
          items.push(text(conv, sender, `cm-${n}`, T0 + n));
        }
        for (let i = 0; i < 2; i++) items.push(text(g.id, 'c', null, T0 + batch));
        results.push(...(await s.appendMessages(items)));
        if (node === batch % 4) await new Promise((r) => setImmediate(r));
      }
      return results;
    });
    const all = (await Promise.all(sends)).flat();

    const fresh = all.filter((r) => !r.duplicate);
    const keyed = fresh.filter((r) => r.message.clientMsgId !== null);
    expect(keyed).toHaveLength(150); // each client id stored exactly once, whoever won
    expect(fresh).toHaveLength(150 + 4 * 15 * 2);
    // every duplicate returned the original the winner stored
    const winner = new Map(keyed.map((r) => [r.message.clientMsgId, r.message]));
    for (const r of all.filter((x) => x.duplicate)) expect(r.message).toEqual(winner.get(r.message.clientMsgId));

    for (const conv of [dm, g.id]) {
      const page = await first.history(conv, { limit: 1_000 });
      expect(page.messages.map((m) => m.seq)).toEqual(page.messages.map((_, i) => i + 1));
      expect((await first.getConversation(conv))?.lastSeq).toBe(page.messages.length);
      const ids = page.messages.map((m) => m.clientMsgId).filter((x) => x !== null);
      expect(new Set(ids).size).toBe(ids.length);
    }
    const total = (await first.history(dm, { limit: 1_000 })).messages.length;
    expect(total + (await first.history(g.id, { limit: 1_000 })).messages.length).toBe(fresh.length);
    for (const s of stores) await s.close();
  }, 120_000);

  it('U1: read and delivery positions moved from four pools at once only move forward and account for every step', async () => {
    const url = await freshUrl();
    const stores: Store[] = await Promise.all([open(url), open(url), open(url), open(url)]);
    const [first] = stores as [Store];
    for (const u of ['a', 'b']) await first.upsertUser({ id: u, username: u, displayName: u }, T0);
    const dm = dmConversationId('a', 'b');
    await first.ensureDm(dm, 'a', 'b', T0);
    await first.appendMessages(Array.from({ length: 300 }, (_, i) => text(dm, 'a', null, T0 + i)));

    const moves = await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const s = stores[i % 4] as Store;
        const seq = 1 + ((i * 37) % 320); // some beyond the last seq: clamped
        return i % 3 === 0 ? s.advanceDeliveredSeq(dm, 'b', seq) : s.advanceReadSeq(dm, 'b', seq);
      }),
    );
    const member = await first.getMember(dm, 'b');
    expect(member?.readSeq).toBe(300);
    expect(member?.deliveredSeq).toBe(300);
    for (const m of moves) expect(m.after).toBeGreaterThanOrEqual(m.before);
    // every read move saw the position the previous one left: the steps add up exactly (no lost update)
    const reads = moves.filter((_, i) => i % 3 !== 0);
    expect(reads.reduce((sum, m) => sum + (m.after - m.before), 0)).toBe(300);
    for (const s of stores) await s.close();
  }, 60_000);

  it('an unreachable database fails calls with UNAVAILABLE, stores nothing half, and the store recovers by itself', async () => {
    const url = new URL(await freshUrl());
    const proxy = new ChaosProxy(5432);
    const port = await proxy.start();
    url.host = `127.0.0.1:${port}`;
    const store = await createPostgresStore({ url: url.toString(), poolMax: 2, timeoutMs: 2_000 });
    try {
      for (const u of ['a', 'b']) await store.upsertUser({ id: u, username: u, displayName: u }, T0);
      const dm = dmConversationId('a', 'b');
      await store.ensureDm(dm, 'a', 'b', T0);
      await store.appendMessages([text(dm, 'a', 'before', T0)]);

      // a big batch goes out on a connection that then goes silent and is cut: it must fail as a whole
      const batch = Array.from({ length: 2_000 }, (_, i) => text(dm, i % 2 ? 'a' : 'b', `cut-${i}`, T0 + i));
      proxy.blackhole();
      const inFlight = store.appendMessages(batch);
      await new Promise((r) => setTimeout(r, 50));
      proxy.cutAll();
      const failure = await inFlight.then(
        () => null,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(AppError);
      expect(failure).toMatchObject({ code: 'UNAVAILABLE', retryable: true });

      // while the database is unreachable, calls fail fast with UNAVAILABLE
      proxy.retarget(1); // nothing listens on port 1
      await expect(store.getUser('a')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      await expect(store.appendMessages([text(dm, 'a', 'during', T0)])).rejects.toMatchObject({
        code: 'UNAVAILABLE',
      });

      // back: the pool reconnects by itself; nothing of the failed batch was stored, and its retry stores it once
      proxy.retarget(5432);
      expect((await store.history(dm, { limit: 5_000 })).messages.map((m) => m.clientMsgId)).toEqual(['before']);
      const retried = await store.appendMessages(batch);
      expect(retried.every((r) => !r.duplicate)).toBe(true);
      const page = await store.history(dm, { limit: 5_000 });
      expect(page.messages.map((m) => m.seq)).toEqual(page.messages.map((_, i) => i + 1));
      expect(page.messages).toHaveLength(1 + 2_000);
      expect(await store.getConversation(dm)).toMatchObject({ lastSeq: 2_001 });
    } finally {
      await store.close();
      await proxy.stop();
    }
  }, 60_000);
});
