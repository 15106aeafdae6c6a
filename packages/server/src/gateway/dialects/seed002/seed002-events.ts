import type { Clock } from '../../../services/clock.js';
import type { DomainEvent } from '../../../services/events.js';
import { PositionMemory } from '../shared/position-memory.js';
import { naiveIsoSeconds } from '../shared/seed-time.js';
import { SeqIndex } from '../shared/seq-index.js';
import { socketIoFrame } from '../socketio/socket-io-transport.js';
import { renderSeed002Message } from './seed002-render.js';

/** At most this many statuses per receipt (the newest positions); older ones are implied. */
const MAX_STATUSES = 100;

type Receipt = Extract<DomainEvent, { type: 'receipt.updated' }>;
interface Status {
  senderId: string;
  payload: { message_id: string; status: 'read' | 'delivered'; timestamp: string };
}

/**
 * Seed 002's server events: `new_message`, and `message_status{message_id, status, timestamp}` derived from
 * receipts: a member's read position moving to N is "read" for every message up to N not yet announced, the
 * delivered position moving past it "delivered" for those after it (at most MAX_STATUSES per receipt). A status
 * goes only to the user who sent that message (the seed's receipts answer "did they get mine?"). Receipts name
 * positions and the seed names message ids: the message at a position is the one this node saw there (SeqIndex);
 * a position it never saw is not announced.
 */
export class Seed002Encoder {
  readonly index = new SeqIndex();
  private readonly positions = new PositionMemory();
  /** The statuses of each receipt event, worked out once however many recipients it has. */
  private readonly statuses = new WeakMap<Receipt, Status[]>();

  constructor(private readonly clock: Clock) {}

  /** The frame for every recipient alike: `new_message` (receipts are per recipient: `encodeFor`). */
  encode(event: DomainEvent): string | null {
    if (event.type !== 'message.created') return null;
    const m = event.message;
    this.index.remember(m);
    return socketIoFrame(['new_message', renderSeed002Message(m, event.sender, false)]);
  }

  /** A receipt's `message_status` frame for one recipient: the statuses of their own messages; undefined otherwise. */
  encodeFor(event: DomainEvent, userId: string): string | null | undefined {
    if (event.type !== 'receipt.updated') return undefined;
    let all = this.statuses.get(event);
    if (all === undefined) {
      all = this.statusesOf(event);
      this.statuses.set(event, all);
    }
    const own = all.filter((s) => s.senderId === userId && s.senderId !== event.userId);
    return own.length === 0 ? null : socketIoFrame(...own.map((s): [string, unknown] => ['message_status', s.payload]));
  }

  /** The frame of an event for one recipient. */
  frameFor(event: DomainEvent, userId: string): string | null {
    const own = this.encodeFor(event, userId);
    return own === undefined ? this.encode(event) : own;
  }

  private statusesOf(event: Receipt): Status[] {
    const { read, delivered } = this.positions.moves(event);
    const timestamp = naiveIsoSeconds(this.clock());
    const statuses: Status[] = [];
    const announce = (status: 'read' | 'delivered', from: number, to: number) => {
      for (let seq = Math.max(from, to - MAX_STATUSES) + 1; seq <= to; seq++) {
        const m = this.index.at(event.conversationId, seq);
        if (m !== undefined) statuses.push({ senderId: m.senderId, payload: { message_id: m.id, status, timestamp } });
      }
    };
    // each newly covered message once, with its strongest status: read up to the read position, delivered past it
    const readTo = event.readSeq ?? 0;
    if (delivered) announce('delivered', Math.max(delivered.from, readTo), delivered.to);
    if (read) announce('read', read.from, read.to);
    return statuses;
  }
}
