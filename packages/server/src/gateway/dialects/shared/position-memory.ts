import type { DomainEvent } from '../../../services/events.js';
import { BoundedMap } from './bounded-map.js';

type Receipt = Extract<DomainEvent, { type: 'receipt.updated' }>;

/** A position that moved: every seq with from < seq <= to is newly covered. */
export interface Move {
  from: number;
  to: number;
}

/**
 * Receipt events carry a member's positions, not what changed. Seeds that announce "read" and "delivered"
 * separately remember the last positions they encoded (node-local, bounded) to tell which one moved, and from
 * where. A position never seen before counts as moved from 0: re-announcing an older status is harmless,
 * missing one is not.
 */
export class PositionMemory {
  private readonly last = new BoundedMap<string, { delivered: number; read: number }>(100_000);

  moves(event: Receipt): { read: Move | null; delivered: Move | null } {
    const key = `${event.conversationId}\u0000${event.userId}`;
    const before = this.last.get(key) ?? { delivered: 0, read: 0 };
    const read = event.readSeq ?? 0;
    const delivered = event.deliveredSeq;
    this.last.set(key, { delivered: Math.max(before.delivered, delivered), read: Math.max(before.read, read) });
    return {
      read: read > before.read ? { from: before.read, to: read } : null,
      delivered: delivered > before.delivered ? { from: before.delivered, to: delivered } : null,
    };
  }
}
