import type { ResultData } from '@parley/protocol';
import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';
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
): Promise<{ result: ResultData['sync']; release: () => void }> {
  conn.holding ??= [];
  const replayedUpTo = new Map<string, number>();
  /** Lets live events through again, skipping messages the replay already sent. */
  const release = () => {
    const held = conn.holding ?? [];
    conn.holding = null;
    for (const event of held) {
      if (event.type === 'message.created') {
        const upTo = replayedUpTo.get(event.message.conversationId);
        if (upTo !== undefined && event.message.seq <= upTo) continue;
      }
      ctx.hub.write(conn, JSON.stringify(toCanonicalEvent(event)));
    }
  };
  try {
    const plan = await ctx.sync.plan(conn.userId as string, positions);
    const conversations: ResultData['sync']['conversations'] = [];
    for (const item of plan) {
      let replayed = 0;
      if (!item.mustPage) {
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
