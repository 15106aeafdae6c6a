import { parseConversationId } from '@parley/protocol';
import type { Bus } from '../cluster/bus.js';
import type { PositionResult } from '../storage/records.js';
import type { MessageRepo, UserRepo } from '../storage/store.js';

interface Due {
  conversationId: string;
  userId: string;
  from: number;
  deliveredSeq: number;
  readSeq: number;
}

/**
 * Sends `receipt.updated` for position moves, coalesced per turn: one event per (conversation, user) with their
 * latest positions, however many moves the turn saw. R5: in a DM it goes to the peer; in a group to the senders of
 * the messages the move covers (looked up once per range per turn), so a 1,000-member group does not fan out every
 * confirmation to everyone. R6: a user with read receipts off shows a delivered position, never a read one.
 */
export class ReceiptAnnouncer {
  private due = new Map<string, Due>();
  private scheduled = false;
  private readonly flushNow = () => void this.flush();

  constructor(
    private readonly messages: Pick<MessageRepo, 'sendersBetween'>,
    private readonly users: Pick<UserRepo, 'getUsers'>,
    private readonly bus: Bus,
    /** Told when a turn's receipts could not be sent (the positions are stored; clients re-read them). */
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Announces the move if it moved anything. */
  moved(conversationId: string, userId: string, r: PositionResult): void {
    const deliveredMoved = r.delivered.after > r.delivered.before;
    const readMoved = r.read.after > r.read.before;
    if (!deliveredMoved && !readMoved) return;
    // the messages the move covers: after the lowest position that moved
    const from = readMoved ? Math.min(r.read.before, r.delivered.before) : r.delivered.before;
    const key = `${conversationId}\u0000${userId}`;
    const d = this.due.get(key);
    if (d) {
      d.from = Math.min(d.from, from);
      d.deliveredSeq = Math.max(d.deliveredSeq, r.delivered.after);
      d.readSeq = Math.max(d.readSeq, r.read.after);
    } else {
      this.due.set(key, { conversationId, userId, from, deliveredSeq: r.delivered.after, readSeq: r.read.after });
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const due = [...this.due.values()];
    this.due.clear();
    try {
      const optedOut = new Set(
        (await this.users.getUsers([...new Set(due.map((d) => d.userId))])).filter((u) => !u.readReceipts).map((u) => u.id),
      );
      const senders = new Map<string, Promise<string[]>>();
      for (const d of due) {
        const parsed = parseConversationId(d.conversationId);
        let to: string[];
        if (parsed?.kind === 'dm') to = parsed.users.filter((u) => u !== d.userId);
        else {
          const upTo = Math.max(d.deliveredSeq, d.readSeq);
          const range = `${d.conversationId}\u0000${d.from}\u0000${upTo}`;
          let s = senders.get(range);
          if (!s) {
            s = this.messages.sendersBetween(d.conversationId, d.from, upTo);
            senders.set(range, s);
          }
          to = (await s).filter((u) => u !== d.userId);
        }
        if (to.length === 0) continue;
        this.bus.publish({
          kind: 'deliver',
          to,
          event: {
            type: 'receipt.updated',
            conversationId: d.conversationId,
            userId: d.userId,
            deliveredSeq: d.deliveredSeq,
            readSeq: optedOut.has(d.userId) ? null : d.readSeq,
          },
        });
      }
    } catch (err) {
      // best effort: positions are stored; receipts are re-read with `receipts.get` / history after a reconnect
      this.onError(err);
    }
  }
}
