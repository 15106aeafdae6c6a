import { AppError } from '../../errors.js';
import type { Obj } from '../../validation/validate.js';
import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';
import { releaseHeld } from '../held-events.js';
import { toCanonicalEvent } from './canonical-events.js';
import { parsePositions } from './sync-positions.js';

/**
 * C4, the start of a canonical connection. Live events are held from the moment the connection is bound to its
 * user until `hello` is written, so `hello` is the first frame; then until the client's first frame: a `sync`
 * (or the `sync` inside the `auth` frame) replays and lets them follow its result, so the frames between a
 * `sync` and its result are exactly the replay; any other frame, or none within PARLEY_START_HOLD_MS, lets them
 * through first, in order.
 */

/** A sync carried by the first `auth` frame: `{ id, positions? }`. */
export interface StartSync {
  id: string | number;
  positions: Record<string, number> | undefined;
  /** C5: the change revisions the client applied. */
  revs: Record<string, number> | undefined;
}

/** Reads `auth.sync`; VALIDATION_FAILED (field `sync` or `sync.positions`) when malformed. */
export function parseStartSync(value: unknown): StartSync | undefined {
  if (value === undefined) return undefined;
  const o = value as Obj;
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !validId(o.id)) {
    throw new AppError('VALIDATION_FAILED', 'sync must be { id, positions }', { field: 'sync' });
  }
  return {
    id: o.id as string | number,
    positions: parsePositions(o.positions, 'sync.positions'),
    revs: parsePositions(o.revs, 'sync.revs'),
  };
}

/** After `hello`: the held events wait for the client's first frame, at most PARLEY_START_HOLD_MS. */
export function awaitFirstFrame(ctx: GatewayContext, conn: Connection): void {
  if (conn.holding === null || conn.closed) return;
  conn.startHold = setTimeout(() => {
    conn.startHold = null;
    releaseStartHold(ctx, conn);
  }, ctx.config.startHoldMs);
  conn.startHold.unref?.();
}

/** True for the client's first frame after `hello` while the held events wait for it (and stops waiting). */
export function takeStartHold(conn: Connection): boolean {
  if (conn.startHold === null) return false;
  clearTimeout(conn.startHold);
  conn.startHold = null;
  return true;
}

/** Lets the held events through, in order, unless a sync owns them (they then follow its result). */
export function releaseStartHold(ctx: GatewayContext, conn: Connection): void {
  if (conn.syncing || conn.holding === null) return;
  releaseHeld(ctx.hub, conn, (event) => JSON.stringify(toCanonicalEvent(event)));
}

/** Whether a frame's text is a `sync` request (which then takes over the held events). */
export function isSyncFrame(text: string): boolean {
  try {
    const f = JSON.parse(text) as unknown;
    return f !== null && typeof f === 'object' && (f as Obj).type === 'sync';
  } catch {
    return false;
  }
}

function validId(id: unknown): boolean {
  return (
    (typeof id === 'string' && id.length > 0 && id.length <= 128) || (typeof id === 'number' && Number.isFinite(id))
  );
}
