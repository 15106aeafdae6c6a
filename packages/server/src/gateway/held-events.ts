import type { DomainEvent } from '../services/events.js';
import type { Connection } from './connection.js';
import type { Hub } from './hub.js';

/** From now on, live events for this connection wait (in order) instead of being written. */
export function holdLiveEvents(conn: Connection): void {
  conn.holding ??= [];
}

/**
 * Writes the held events in the order they came and lets live events through again. Messages a replay already
 * sent (seq at most `replayedUpTo` of their conversation) are skipped, so none arrives twice.
 */
export function releaseHeld(
  hub: Hub,
  conn: Connection,
  encode: (event: DomainEvent) => string | null,
  replayedUpTo?: ReadonlyMap<string, number>,
): void {
  const held = conn.holding ?? [];
  conn.holding = null;
  for (const event of held) {
    if (event.type === 'message.created' && replayedUpTo !== undefined) {
      const upTo = replayedUpTo.get(event.message.conversationId);
      if (upTo !== undefined && event.message.seq <= upTo) continue;
    }
    const frame = encode(event);
    if (frame !== null) hub.write(conn, frame);
  }
}
