import type { ResultData } from '@parley/protocol';
import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';
import { changeFrames, revOf } from './canonical-changes.js';
import { toCanonicalEvent } from './canonical-events.js';
import { renderMessage } from '../../wire/render.js';

const PAGE = 200;

/**
 * Runs a catch-up on one connection (C1, C2): replays missed messages from the store as msg.new frames, in seq
 * order per conversation, a page at a time (yielding between pages so the socket drains and a slow reader is
 * detected), while live events for this connection are held back; then releases the held events, skipping
 * messages the replay already sent. The caller writes the result, then calls `release`: a client sees the
 * replayed messages, the result, then live events; per conversation every message after its position, in seq
 * order, with no gap.
 */
export async function runSync(
  ctx: GatewayContext,
  conn: Connection,
  positions: Record<string, number> | undefined,
  revs?: Record<string, number>,
): Promise<{ result: ResultData['sync']; release: () => void }> {
  conn.holding ??= [];
  const replayedUpTo = new Map<string, number>();
  const replayedRev = new Map<string, number>();
  /** Lets live events through again, skipping what the replay already sent (by seq, or by revision: C5). */
  const release = () => {
    const held = conn.holding ?? [];
    conn.holding = null;
    for (const event of held) {
      const change = revOf(event);
      const upToRev = change ? replayedRev.get(change.conversationId) : undefined;
      if (change && upToRev !== undefined && change.rev <= upToRev) continue;
      if (event.type === 'message.created') {
        const upTo = replayedUpTo.get(event.message.conversationId);
        if (upTo !== undefined && event.message.seq <= upTo) continue;
      }
      ctx.hub.write(conn, JSON.stringify(toCanonicalEvent(event)));
    }
  };
  try {
    const plan = await ctx.sync.plan(conn.userId as string, positions, revs);
    const conversations: ResultData['sync']['conversations'] = [];
    for (const item of plan.items) {
      let replayed = 0;
      if (!item.mustPage && item.fromRev !== null) {
        const changes = await ctx.sync.changes(item.conversationId, item.fromRev);
        for (const frame of changeFrames(changes, item.from)) {
          ctx.hub.write(conn, JSON.stringify(frame));
          if (frame.type === 'msg.new' || frame.type === 'msg.updated') replayed++;
        }
        // what the replay read is at least as new as lastRev: held changes up to it are in it
        replayedRev.set(item.conversationId, changes.lastRev);
        await new Promise((r) => setImmediate(r));
      } else if (!item.mustPage) {
        let cursor = item.from;
        while (cursor < item.lastSeq && !conn.closed) {
          const page = await ctx.sync.page(item.conversationId, cursor, item.lastSeq, PAGE);
          if (page.length === 0) break;
          for (const m of page) ctx.hub.write(conn, JSON.stringify({ type: 'msg.new', message: renderMessage(m) }));
          replayed += page.length;
          cursor = (page[page.length - 1] as { seq: number }).seq;
          await new Promise((r) => setImmediate(r));
        }
        replayedUpTo.set(item.conversationId, cursor);
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
