/**
 * Delivery and read receipts for the two reference servers, kept in memory (they store nothing): a seq per
 * conversation, each member's delivered / read position, and receipts sent as Parley sends them (R5): in a DM to the
 * peer, in a group to the senders of the messages the move covers; coalesced per event-loop turn, one receipt per
 * (conversation, member) with its latest positions. What it costs the references is the routing work of receipts,
 * without their durability.
 */
const RING = 4096;

interface Conv {
  seq: number;
  /** Sender of each of the last RING seqs. */
  senders: string[];
  /** Every user who ever sent here (to stop a range walk early once all are found). */
  distinct: Set<string>;
}

interface Due {
  conv: string;
  user: string;
  to: Set<string>;
  delivered: number;
  read: number;
}

export interface Receipt {
  conv: string;
  user: number;
  delivered: number;
  read: number;
}

export class RefReceipts {
  private readonly convs = new Map<string, Conv>();
  private readonly positions = new Map<string, { delivered: number; read: number }>();
  private due = new Map<string, Due>();
  private scheduled = false;

  /** `send(users, receipt)`: hands one receipt to the sockets of those users. */
  constructor(private readonly send: (to: Iterable<string>, r: Receipt) => void) {}

  /** The DM conversation of two users. */
  static dm(a: string, b: string): string {
    return a < b ? `d:${a}:${b}` : `d:${b}:${a}`;
  }

  /** Assigns the next seq of a conversation to a message. */
  message(conv: string, sender: string): number {
    let c = this.convs.get(conv);
    if (!c) {
      c = { seq: 0, senders: new Array(RING), distinct: new Set() };
      this.convs.set(conv, c);
    }
    c.seq++;
    c.senders[c.seq % RING] = sender;
    c.distinct.add(sender);
    return c.seq;
  }

  /** Moves a member's positions forward (clamped to the last seq); returns the read position. */
  move(user: string, conv: string, seq: number, read: boolean): number {
    const c = this.convs.get(conv);
    if (!c) return 0;
    const key = `${user}\u0000${conv}`;
    let p = this.positions.get(key);
    if (!p) {
      p = { delivered: 0, read: 0 };
      this.positions.set(key, p);
    }
    const upTo = Math.min(seq, c.seq);
    const from = read ? Math.min(p.read, p.delivered) : p.delivered;
    let moved = false;
    if (upTo > p.delivered) {
      p.delivered = upTo;
      moved = true;
    }
    if (read && upTo > p.read) {
      p.read = upTo;
      moved = true;
    }
    if (!moved) return p.read;
    let d = this.due.get(key);
    if (!d) {
      d = { conv, user, to: new Set(), delivered: 0, read: 0 };
      this.due.set(key, d);
    }
    d.delivered = p.delivered;
    d.read = p.read;
    if (conv.startsWith('d:')) {
      const [, a, b] = conv.split(':');
      d.to.add((a === user ? b : a) as string);
    } else {
      // The senders of (from, upTo], walking back until every sender this conversation has had is found.
      const all = c.distinct.size;
      for (let s = upTo; s > from && s > c.seq - RING && d.to.size < all; s--) {
        const sender = c.senders[s % RING] as string;
        d.to.add(sender);
      }
      d.to.delete(user);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return p.read;
  }

  private flush(): void {
    this.scheduled = false;
    const due = this.due;
    this.due = new Map();
    for (const d of due.values()) {
      if (d.to.size === 0) continue;
      this.send(d.to, { conv: d.conv, user: Number(d.user), delivered: d.delivered, read: d.read });
    }
  }
}
