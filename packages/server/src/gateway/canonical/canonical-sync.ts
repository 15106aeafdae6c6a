import type { ResultData } from '@parley/protocol';
import type { SyncPlanItem } from '../../services/sync-service.js';
import { renderMessage } from '../../wire/render.js';
import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';
import { holdLiveEvents, releaseHeld } from '../held-events.js';
import { catchUpPieceBytes, PacedWriter } from '../paced-writer.js';
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
 * message after its position, in seq order, with no gap and none twice. `positions` is read inside, so a refused
 * request also lets the held events go.
 */
export async function runSync(
  ctx: GatewayContext,
  conn: Connection,
  positions: () => Record<string, number> | undefined,
): Promise<SyncRun> {
  holdLiveEvents(conn);
  conn.syncing = true;
  const replayedUpTo = new Map<string, number>();
  const release = () => {
    conn.syncing = false;
    releaseHeld(ctx.hub, conn, encode, replayedUpTo);
  };
  try {
    const plan = await ctx.sync.plan(conn.userId as string, positions());
    const writer = new PacedWriter(ctx.hub, conn, catchUpPieceBytes(ctx.config.limits.sendBufferBytes));
    const conversations: ResultData['sync']['conversations'] = [];
    for (const item of plan) {
      let replayed = 0;
      if (!item.mustPage) {
        const done = await replayConversation(ctx, writer, item);
        replayed = done.replayed;
        replayedUpTo.set(item.conversationId, done.upTo);
      }
      conversations.push({
        conversation_id: item.conversationId,
        from: item.from,
        last_seq: item.lastSeq,
        replayed,
        must_page: item.mustPage,
      });
    }
    const { totalUnread } = await ctx.conversations.list(conn.userId as string);
    return { result: { conversations, total_unread: totalUnread }, release };
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

function encode(event: Parameters<typeof toCanonicalEvent>[0]): string {
  return JSON.stringify(toCanonicalEvent(event));
}
