import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TurnWrites } from '../../src/storage/sqlite/turn-writes.js';

/** The small writes of one event-loop turn share one transaction (one fsync); none is lost to another's failure. */
describe('TurnWrites', () => {
  let dir: string;
  let db: Database.Database;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-turn-'));
    db = new Database(join(dir, 't.db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE seen (id TEXT PRIMARY KEY, at INTEGER NOT NULL)');
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits the writes of one turn in one transaction, in call order, each promise after its commit', async () => {
    const turn = new TurnWrites(db);
    const transactions = vi.spyOn(db, 'transaction');
    const upsert = db.prepare(
      'INSERT INTO seen (id, at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at',
    );
    const writes = Array.from({ length: 200 }, (_, i) => turn.run(() => upsert.run(`u${i % 150}`, i).changes));
    expect(db.prepare('SELECT COUNT(*) AS n FROM seen').get()).toEqual({ n: 0 }); // nothing before the turn ends
    expect(await Promise.all(writes)).toEqual(Array(200).fill(1));
    expect(transactions).toHaveBeenCalledTimes(1);
    // a later write of the same row won: call order
    expect(db.prepare("SELECT at FROM seen WHERE id = 'u10'").get()).toEqual({ at: 160 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM seen').get()).toEqual({ n: 150 });
  });

  it('a write that throws fails alone: the others of its turn are committed', async () => {
    const turn = new TurnWrites(db);
    const insert = db.prepare('INSERT INTO seen (id, at) VALUES (?, ?)');
    const results = await Promise.allSettled([
      turn.run(() => insert.run('a', 1)),
      turn.run(() => insert.run('a', 2)), // primary key violation
      turn.run(() => insert.run('b', 3)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(db.prepare('SELECT id, at FROM seen ORDER BY id').all()).toEqual([
      { id: 'a', at: 1 },
      { id: 'b', at: 3 },
    ]);
  });

  it('flush() commits what is queued at once (the store calls it before closing)', async () => {
    const turn = new TurnWrites(db);
    const done = turn.run(() => db.prepare('INSERT INTO seen (id, at) VALUES (?, ?)').run('z', 9));
    turn.flush();
    expect(db.prepare("SELECT at FROM seen WHERE id = 'z'").get()).toEqual({ at: 9 });
    await done;
  });
});
