import type { WireMessage } from '@parley/protocol';

/** Room left in a reply's byte budget for the frame around the messages (type, id, has_more). */
const ENVELOPE_BYTES = 512;

/**
 * The most a history reply may take: half of PARLEY_SEND_BUFFER_BYTES. It is written once at most a quarter is
 * unsent, so it never passes the limit by itself.
 */
export function historyReplyBytes(sendBufferBytes: number): number {
  return Math.floor(sendBufferBytes / 2);
}

/**
 * C3: a `msg.history` page over the WebSocket holds at most `budget` bytes of frame (and always at least one
 * message). Messages are dropped on the side away from the cursor, the newest for a page read forward (`after`),
 * the oldest otherwise, so the page stays contiguous with the cursor and `has_more` is true when any was dropped.
 */
export function boundHistoryPage(
  messages: WireMessage[],
  hasMore: boolean,
  forward: boolean,
  budget: number,
): { messages: WireMessage[]; has_more: boolean } {
  let room = budget - ENVELOPE_BYTES;
  let kept = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[forward ? i : messages.length - 1 - i] as WireMessage;
    room -= Buffer.byteLength(JSON.stringify(m)) + 1;
    if (room < 0 && kept > 0) break;
    kept++;
  }
  if (kept === messages.length) return { messages, has_more: hasMore };
  const page = forward ? messages.slice(0, kept) : messages.slice(messages.length - kept);
  return { messages: page, has_more: true };
}
