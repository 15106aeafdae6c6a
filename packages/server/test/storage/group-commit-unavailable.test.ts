import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { GroupCommit } from '../../src/storage/group-commit.js';
import type { AppendResult, NewMessage } from '../../src/storage/records.js';
import type { MessageRepo } from '../../src/storage/store.js';

const item = (n: number): NewMessage => ({
  conversationId: 'dm:1:2',
  senderId: '1',
  clientMsgId: `c${n}`,
  kind: 'text',
  text: `m${n}`,
  metadata: null,
  replyTo: null,
  createdAt: n,
});

/** A repo whose database is down for the first `down` calls. */
function flakyRepo(down: number) {
  const calls: number[] = [];
  const repo = {
    async appendMessages(items: readonly NewMessage[]): Promise<AppendResult[]> {
      calls.push(items.length);
      if (calls.length <= down) throw new AppError('UNAVAILABLE', 'The database is unreachable; retry');
      return items.map((m, i) => ({ message: { ...m, id: String(i), seq: i + 1, rev: i + 1 }, duplicate: false }));
    },
  } as unknown as MessageRepo;
  return { repo, calls };
}

describe('GroupCommit with an unreachable store', () => {
  it('D1: a batch failing with UNAVAILABLE fails every append at once with that retryable error, without item-by-item retries', async () => {
    const { repo, calls } = flakyRepo(1);
    const observed: [number, number][] = [];
    const gc = new GroupCommit(repo, (size, _s, written) => observed.push([size, written]));
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => gc.append(item(i))));
    expect(calls).toEqual([50]);
    for (const o of outcomes) {
      expect(o.status).toBe('rejected');
      expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    }
    expect(observed).toEqual([[50, 0]]);

    // the store is back: the next appends go through, in one batch
    const again = await Promise.all(Array.from({ length: 5 }, (_, i) => gc.append(item(i))));
    expect(again.map((r) => r.duplicate)).toEqual([false, false, false, false, false]);
    expect(calls).toEqual([50, 5]);
    await gc.drain();
  });
});
