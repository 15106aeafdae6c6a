import type { ResultData } from '@parley/protocol';
import type { SyncPlanItem } from '../../services/sync-service.js';
import { renderMessage } from '../../wire/render.js';
import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';
import { holdLiveEvents, releaseHeld } from '../held-events.js';
import { catchUpPieceBytes, PacedWriter } from '../paced-writer.js';
import { changeFrames } from './canonical-changes.js';
import { toCanonicalEvent } from './canonical-events.js';

/** Messages read from the store at a time; what is written at a time is bounded in bytes by the PacedWriter. */
const PAGE = 200;

export interface SyncRun {
  result: ResultData['sync'];
  /** Writes the held live events (call right after writing the result). */
  release: () => void;
}

/**
 * Runs a catch-up on one connection (C1, C2, C3): replays missed messages from the store as msg.new frames, in
 * seq order per conversation, in pieces the socket can take, while live events for this connection are held back
 * (from before this call if the connection start held them, C4). The caller writes the result, then calls
 * `release`: a client sees exactly the replayed messages, the result, then live events; per conversation every
 * message after its position, in seq order, with no gap and none twice. For a conversation whose revision the
 * client names (C5), the replay is every change after it instead (new messages, changed messages in their current
 * state, membership changes), in revision order. `positions` and `revs` are read inside, so a refused request also
 * lets the held events go.
 */
export async function runSync(
  ctx: GatewayContext,
  conn: Connection,
  positions: () => Record<string, number> | undefined,
  revs: () => Record<string, number> | undefined = () => undefined,
): Promise<SyncRun> {
  holdLiveEvents(conn);
  conn.syncing = true;
  const replayedUpTo = new Map<string, number>();
  const replayedRev = new Map<string, number>();
  const release = () => {
    conn.syncing = false;
    releaseHeld(ctx.hub, conn, encode, replayedUpTo, replayedRev);
  };
  try {
    const plan = await ctx.sync.plan(conn.userId as string, positions(), revs());
    const writer = new PacedWriter(ctx.hub, conn, catchUpPieceBytes(ctx.config.limits.sendBufferBytes));
    const conversations: ResultData['sync']['conversations'] = [];
    for (const item of plan.items) {
      let replayed = 0;
      if (!item.mustPage && item.fromRev !== null) {
        const done = await replayChanges(ctx, writer, item, item.fromRev);
        replayed = done.replayed;
        replayedRev.set(item.conversationId, done.upToRev);
      } else if (!item.mustPage) {
        const done = await replayConversation(ctx, writer, item);
        replayed = done.replayed;
        replayedUpTo.set(item.conversationId, done.upTo);
      }
      conversations.push({
        conversation_id: item.conversationId,
        from: item.from,
        last_seq: item.lastSeq,
        from_rev: item.fromRev,
        last_rev: item.lastRev,
        replayed,
        must_page: item.mustPage,
      });
    }
    const { totalUnread } = await ctx.conversations.list(conn.userId as string);
    return { result: { conversations, total_unread: totalUnread, revs: plan.revs }, release };
  } catch (err) {
    release();
    throw err;
  }
}

/**
 * Replays one conversation's items after `item.from` up to `item.lastSeq`, in order, in pieces the socket can
 * take; returns how many were written and the position reached (short of lastSeq only if the connection closed).
 */
async function replayConversation(
  ctx: GatewayContext,
  writer: PacedWriter,
  item: SyncPlanItem,
): Promise<{ replayed: number; upTo: number }> {
  let upTo = item.from;
  let replayed = 0;
  while (upTo < item.lastSeq) {
    const page = await ctx.sync.page(item.conversationId, upTo, item.lastSeq, PAGE);
    if (page.length === 0) break;
    for (const m of page) {
      if (!(await writer.write(JSON.stringify({ type: 'msg.new', message: renderMessage(m) })))) {
        return { replayed, upTo };
      }
      replayed++;
      upTo = m.seq;
    }
  }
  return { replayed, upTo };
}

/**
 * C5: replays one conversation's changes after the client's revision, in revision order, in pieces the socket can
 * take; returns how many messages were written and the revision the replay covers (everything at or below it is
 * in it, or superseded by a newer state that is).
 */
async function replayChanges(
  ctx: GatewayContext,
  writer: PacedWriter,
  item: SyncPlanItem,
  fromRev: number,
): Promise<{ replayed: number; upToRev: number }> {
  const changes = await ctx.sync.changes(item.conversationId, fromRev);
  let replayed = 0;
  for (const frame of changeFrames(changes, item.from)) {
    if (!(await writer.write(JSON.stringify(frame)))) return { replayed, upToRev: fromRev };
    if (frame.type === 'msg.new' || frame.type === 'msg.updated') replayed++;
  }
  return { replayed, upToRev: changes.lastRev };
}

function encode(event: Parameters<typeof toCanonicalEvent>[0]): string {
  return JSON.stringify(toCanonicalEvent(event));
}
