import type { MessageRecord } from '../../../storage/records.js';
import type { Connection } from '../../connection.js';
import { holdLiveEvents, releaseHeld } from '../../held-events.js';
import { catchUpPieceBytes, PacedWriter } from '../../paced-writer.js';
import { peopleOf } from '../shared/people.js';
import type { SeedContext } from '../seed-context.js';
import { socketIoFrame } from '../socketio/socket-io-transport.js';
import type { Seed002Encoder } from './seed002-events.js';
import { renderSeed002Message } from './seed002-render.js';

const PAGE = 200;

/**
 * Seed 002's offline messages, pushed on register: a catch-up from the store (the sync service) starting at the
 * user's delivered positions, so every message no device of theirs confirmed arrives as `new_message` with
 * `offline: true`, in order per conversation. A backlog beyond PARLEY_SYNC_REPLAY_LIMIT is cut to its newest
 * messages. Live events are held back meanwhile and follow, without repeating what the catch-up sent (the same
 * hold and release as the canonical sync), and the push is paced to what the socket drains (C3): a device far
 * behind is never closed as a slow consumer by its own offline push.
 */
export async function pushOfflineMessages(
  ctx: SeedContext,
  conn: Connection,
  encoder: Seed002Encoder,
): Promise<number> {
  const me = conn.userId as string;
  holdLiveEvents(conn);
  const sentUpTo = new Map<string, number>();
  const writer = new PacedWriter(ctx.hub, conn, catchUpPieceBytes(ctx.config.limits.sendBufferBytes));
  let pushed = 0;
  try {
    const rows = await ctx.store.listUserConversations(me);
    const delivered = Object.fromEntries(rows.map((r) => [r.conversation.id, r.member.deliveredSeq]));
    for (const item of (await ctx.sync.plan(me, delivered)).items) {
      let cursor = item.mustPage ? item.lastSeq - ctx.config.syncReplayLimit : item.from;
      while (cursor < item.lastSeq && !conn.closed) {
        const page: MessageRecord[] = await ctx.sync.page(item.conversationId, cursor, item.lastSeq, PAGE);
        if (page.length === 0) break;
        const { users } = await peopleOf(
          ctx,
          page.map((m) => m.senderId),
        );
        for (const m of page) {
          encoder.index.remember(m);
          const frame = socketIoFrame(['new_message', renderSeed002Message(m, users.get(m.senderId), true)]);
          if (!(await writer.write(frame))) return pushed;
          pushed++;
          cursor = m.seq;
        }
      }
      sentUpTo.set(item.conversationId, cursor);
    }
    return pushed;
  } finally {
    releaseHeld(ctx.hub, conn, (event) => encoder.frameFor(event, me), sentUpTo);
  }
}
