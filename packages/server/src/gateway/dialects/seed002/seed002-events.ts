import type { Clock } from '../../../services/clock.js';
import type { DomainEvent } from '../../../services/events.js';
import { PositionMemory } from '../shared/position-memory.js';
import { naiveIsoSeconds } from '../shared/seed-time.js';
import { SeqIndex } from '../shared/seq-index.js';
import { socketIoFrame } from '../socketio/socket-io-transport.js';
import { renderSeed002Message } from './seed002-render.js';

/** At most this many statuses per receipt (the newest positions); older ones are implied. */
const MAX_STATUSES = 100;

/**
 * Seed 002's server events: `new_message`, and `message_status{message_id, status, timestamp}` derived from
 * receipts: a member's read position moving to N is "read" for every message up to N not yet announced, the
 * delivered position moving past it "delivered" for those after it (at most MAX_STATUSES per receipt). Receipts name positions and the seed names message ids: the id at a position is
 * the one this node saw there (SeqIndex); a position it never saw is not announced.
 */
export class Seed002Encoder {
  readonly index = new SeqIndex();
  private readonly positions = new PositionMemory();

  constructor(private readonly clock: Clock) {}

  encode(event: DomainEvent): string | null {
    if (event.type === 'message.created') {
      const m = event.message;
      this.index.remember(m.conversationId, m.seq, m.id);
      return socketIoFrame(['new_message', renderSeed002Message(m, event.sender, false)]);
    }
    if (event.type !== 'receipt.updated') return null;
    const { read, delivered } = this.positions.moves(event);
    const timestamp = naiveIsoSeconds(this.clock());
    const statuses: [string, unknown][] = [];
    const announce = (status: 'read' | 'delivered', from: number, to: number) => {
      for (let seq = Math.max(from, to - MAX_STATUSES) + 1; seq <= to; seq++) {
        const id = this.index.idAt(event.conversationId, seq);
        if (id !== undefined) statuses.push(['message_status', { message_id: id, status, timestamp }]);
      }
    };
    // each newly covered message once, with its strongest status: read up to the read position, delivered past it
    const readTo = event.readSeq ?? 0;
    if (delivered) announce('delivered', Math.max(delivered.from, readTo), delivered.to);
    if (read) announce('read', read.from, read.to);
    return statuses.length === 0 ? null : socketIoFrame(...statuses);
  }
}
