import { type DomainEvent, revOf } from '../services/events.js';
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
  replayedRev?: ReadonlyMap<string, number>,
): void {
  const held = conn.holding ?? [];
  conn.holding = null;
  if (replayedUpTo !== undefined && replayedUpTo.size > 0) conn.replayedUpTo = new Map(replayedUpTo);
  if (replayedRev !== undefined && replayedRev.size > 0) conn.replayedRev = new Map(replayedRev);
  for (const event of held) {
    if (replayedAlready(conn, event)) continue;
    const frame = encode(event);
    if (frame !== null) hub.write(conn, frame);
  }
}

/**
 * True for a live event a replay on this connection already covered: a message at or below the seq replayed, or
 * (C5) a change at or below the revision replayed. Per conversation events come in seq and revision order.
 */
export function replayedAlready(conn: Connection, event: DomainEvent): boolean {
  return replayedByRev(conn, event) || replayedBySeq(conn, event);
}

function replayedByRev(conn: Connection, event: DomainEvent): boolean {
  const replayed = conn.replayedRev;
  const change = replayed === null ? null : revOf(event);
  if (replayed === null || change === null) return false;
  const upTo = replayed.get(change.conversationId);
  if (upTo === undefined) return false;
  if (change.rev <= upTo) return true;
  replayed.delete(change.conversationId);
  if (replayed.size === 0) conn.replayedRev = null;
  return false;
}

function replayedBySeq(conn: Connection, event: DomainEvent): boolean {
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
