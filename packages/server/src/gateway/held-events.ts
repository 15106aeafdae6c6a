import type { DomainEvent } from '../services/events.js';
import type { Connection } from './connection.js';
import type { Hub } from './hub.js';

/** From now on, live events for this connection wait (in order) instead of being written. */
export function holdLiveEvents(conn: Connection): void {
  conn.holding ??= [];
}

/**
 * Writes the held events in the order they came and lets live events through again. Messages a replay already
 * sent (seq at most `replayedUpTo` of their conversation) are skipped, now and when they are published later
 * (a message can be read from the store before its live event is delivered), so none arrives twice.
 */
export function releaseHeld(
  hub: Hub,
  conn: Connection,
  encode: (event: DomainEvent) => string | null,
  replayedUpTo?: ReadonlyMap<string, number>,
): void {
  const held = conn.holding ?? [];
  conn.holding = null;
  if (replayedUpTo !== undefined && replayedUpTo.size > 0) conn.replayedUpTo = new Map(replayedUpTo);
  for (const event of held) {
    if (replayedAlready(conn, event)) continue;
    const frame = encode(event);
    if (frame !== null) hub.write(conn, frame);
  }
}

/** True for a live message a replay on this connection already sent. Per conversation events come in seq order. */
export function replayedAlready(conn: Connection, event: DomainEvent): boolean {
  const replayed = conn.replayedUpTo;
  if (replayed === null || event.type !== 'message.created') return false;
  const { conversationId, seq } = event.message;
  const upTo = replayed.get(conversationId);
  if (upTo === undefined) return false;
  if (seq <= upTo) return true;
  replayed.delete(conversationId);
  if (replayed.size === 0) conn.replayedUpTo = null;
  return false;
}
