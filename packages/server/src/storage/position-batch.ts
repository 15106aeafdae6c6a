import type { PositionAdvance, PositionResult } from './records.js';
import type { ConversationRepo } from './store.js';

interface Entry {
  item: { conversationId: string; userId: string; deliveredSeq: number; readSeq: number };
  waiters: { resolve: (r: PositionResult) => void; reject: (e: unknown) => void }[];
}

/**
 * Coalesced position writes: every delivered/read move asked while no batch is being written goes to the store in
 * one `advancePositions` call, with one entry per (conversation, user) carrying the highest seqs asked (U1:
 * positions only move forward, so the highest covers the others). A thousand confirmations of one group message
 * are one write, not a thousand. Guarantees: each promise resolves only once a durable write covers it; the first
 * ask of a (conversation, user) in a batch gets the move (before -> after), later asks in the same batch get none
 * (after -> after), so each move is announced once; a failed batch rejects every ask in it.
 */
export class PositionBatch {
  private pending = new Map<string, Entry>();
  private running = false;
  private readonly runNow = () => void this.run();

  constructor(private readonly repo: Pick<ConversationRepo, 'advancePositions'>) {}

  advance(a: PositionAdvance): Promise<PositionResult> {
    return new Promise((resolve, reject) => {
      const key = `${a.conversationId}\u0000${a.userId}`;
      const entry = this.pending.get(key);
      if (entry) {
        entry.item.deliveredSeq = Math.max(entry.item.deliveredSeq, a.deliveredSeq ?? 0);
        entry.item.readSeq = Math.max(entry.item.readSeq, a.readSeq ?? 0);
        entry.waiters.push({ resolve, reject });
      } else {
        this.pending.set(key, {
          item: {
            conversationId: a.conversationId,
            userId: a.userId,
            deliveredSeq: a.deliveredSeq ?? 0,
            readSeq: a.readSeq ?? 0,
          },
          waiters: [{ resolve, reject }],
        });
      }
      if (!this.running) {
        this.running = true;
        setImmediate(this.runNow);
      }
    });
  }

  private async run(): Promise<void> {
    while (this.pending.size > 0) {
      const batch = [...this.pending.values()];
      this.pending = new Map();
      try {
        const results = await this.repo.advancePositions(batch.map((e) => e.item));
        for (const [i, e] of batch.entries()) {
          const r = results[i] as PositionResult;
          const [first, ...rest] = e.waiters;
          first?.resolve(r);
          const still: PositionResult = {
            delivered: { before: r.delivered.after, after: r.delivered.after },
            read: { before: r.read.after, after: r.read.after },
          };
          for (const w of rest) w.resolve(still);
        }
      } catch (err) {
        for (const e of batch) for (const w of e.waiters) w.reject(err);
      }
    }
    this.running = false;
  }
}
