import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dmConversationId } from '@parley/protocol';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SQLITE_MIGRATIONS } from '../../src/storage/sqlite/migrations.js';
import { createSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import type { Store } from '../../src/storage/store.js';
import { registerStoreContract } from './store-contract.js';

registerStoreContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-store-'));
  const store = createSqliteStore({ path: join(dir, 'parley.db'), synchronous: 'normal' });
  return {
    store,
    async cleanup() {
      await store.close().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite store: the database file', () => {
  const T0 = 1_700_000_000_000;
  let dir: string;
  let path: string;
  const open: Store[] = [];
  const openStore = (synchronous: 'full' | 'normal' = 'full') => {
    const s = createSqliteStore({ path, synchronous });
    open.push(s);
    return s;
  };
  const migrationRows = () => {
    const db = new Database(path, { readonly: true });
    try {
      return db.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version').all() as {
        version: number;
        applied_at: number;
      }[];
    } finally {
      db.close();
    }
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-sqlite-'));
    path = join(dir, 'nested', 'dir', 'parley.db');
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates missing parent directories and records one schema_migrations row per migration', async () => {
    const s = openStore();
    await s.ping();
    expect(s.kind).toBe('sqlite');
    await s.close();
    const rows = migrationRows();
    expect(rows.map((r) => r.version)).toEqual(SQLITE_MIGRATIONS.map((_, i) => i + 1));
  });

  it('reopening the same file does not re-run migrations', async () => {
    const s1 = openStore();
    await s1.upsertUser({ id: 'a', username: 'a', displayName: 'A' }, T0);
    await s1.close();
    const first = migrationRows();

    for (let i = 0; i < 3; i++) {
      const s = openStore();
      await s.ping();
      expect(await s.getUser('a')).not.toBeNull();
      await s.close();
    }
    const after = migrationRows();
    expect(after).toEqual(first);
    expect(after).toHaveLength(SQLITE_MIGRATIONS.length);
  });

  it('refuses a database whose schema is newer than this build', async () => {
    const s = openStore();
    await s.close();
    const db = new Database(path);
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
      SQLITE_MIGRATIONS.length + 1,
      T0,
    );
    db.close();
    expect(() => createSqliteStore({ path, synchronous: 'full' })).toThrow(/newer/);
  });

  it('the data survives close and reopen, and seqs, group ids and dedup continue where they were', async () => {
    const s1 = openStore('full');
    await s1.createUserWithLogin({ id: 'a', username: 'alice', displayName: 'Alice' }, 'hash', T0);
    await s1.upsertUser({ id: 'b', username: 'bob', displayName: 'Bob' }, T0);
    await s1.addFriendship('a', 'b', T0);
    await s1.saveRefreshToken('tok', 'a', 'dev-1', T0 + 1_000_000);
    const dm = dmConversationId('a', 'b');
    await s1.ensureDm(dm, 'a', 'b', T0);
    const g = await s1.createGroup(
      { name: 'G', description: '', avatarUrl: null, visibility: 'public' },
      'a',
      ['b'],
      T0,
    );
    const written = await s1.appendMessages([
      {
        conversationId: dm,
        senderId: 'a',
        clientMsgId: 'c1',
        kind: 'text',
        text: 'one',
        metadata: { x: 1 },
        replyTo: null,
        createdAt: T0 + 1,
      },
      {
        conversationId: dm,
        senderId: 'b',
        clientMsgId: null,
        kind: 'text',
        text: 'two',
        metadata: null,
        replyTo: null,
        createdAt: T0 + 2,
      },
    ]);
    await s1.advanceReadSeq(dm, 'b', 2);
    await s1.close();

    const s2 = openStore('full');
    expect(await s2.getUser('a')).toMatchObject({ username: 'alice', displayName: 'Alice' });
    expect(await s2.getLogin('alice')).toEqual({ userId: 'a', passwordHash: 'hash' });
    expect(await s2.areFriends('b', 'a')).toBe(true);
    expect(await s2.getConversation(g.id)).toEqual(g);
    expect((await s2.history(dm, { limit: 10 })).messages).toEqual(written.map((r) => r.message));
    expect(await s2.getMember(dm, 'b')).toMatchObject({ readSeq: 2 });
    expect(await s2.consumeRefreshToken('tok', T0)).toEqual({ userId: 'a', deviceId: 'dev-1' });

    const dup = await s2.appendMessages([
      {
        conversationId: dm,
        senderId: 'a',
        clientMsgId: 'c1',
        kind: 'text',
        text: 'again',
        metadata: null,
        replyTo: null,
        createdAt: T0 + 3,
      },
    ]);
    expect(dup[0]).toEqual({ message: written[0]?.message, duplicate: true });
    const next = await s2.appendMessages([
      {
        conversationId: dm,
        senderId: 'a',
        clientMsgId: 'c2',
        kind: 'text',
        text: 'three',
        metadata: null,
        replyTo: null,
        createdAt: T0 + 4,
      },
    ]);
    expect(next[0]?.message.seq).toBe(3);
    const g2 = await s2.createGroup(
      { name: 'G2', description: '', avatarUrl: null, visibility: 'private' },
      'b',
      [],
      T0,
    );
    expect(g2.id).toBe('g:2');
    await s2.close();

    // a refresh token consumed before the restart stays consumed
    const s3 = openStore('normal');
    expect(await s3.consumeRefreshToken('tok', T0)).toBeNull();
    expect((await s3.getConversation(dm))?.lastSeq).toBe(3);
  });
});
