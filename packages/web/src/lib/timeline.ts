import type { TimelineEntry } from '@parley/client';

/** A row of the message list: a day separator, or a message with whether to show its sender's name. */
export type Row =
  | { type: 'day'; key: string; label: string }
  | { type: 'entry'; key: string; entry: TimelineEntry; senderId: string; showSender: boolean };

export const entryTime = (e: TimelineEntry): string =>
  e.kind === 'message' ? e.message.created_at : new Date(e.item.createdAt).toISOString();

export const entrySender = (e: TimelineEntry, me: string): string =>
  e.kind === 'message' ? String(e.message.sender_id) : me;

/** Day separators between days; a sender's name on the first of a run of their messages (groups). */
export function rows(
  entries: readonly TimelineEntry[],
  me: string,
  dayKey: (iso: string) => string,
  dayLabel: (iso: string) => string,
): Row[] {
  const out: Row[] = [];
  let lastDay: string | null = null;
  let lastSender: string | null = null;
  for (const entry of entries) {
    const time = entryTime(entry);
    const day = dayKey(time);
    if (day !== lastDay) {
      out.push({ type: 'day', key: `day-${day}`, label: dayLabel(time) });
      lastDay = day;
      lastSender = null;
    }
    const senderId = entrySender(entry, me);
    // keyed by client_msg_id when there is one, so a bubble keeps its element from "sending" to "sent"
    const clientId = entry.kind === 'message' ? entry.message.client_msg_id : entry.item.clientMsgId;
    const key =
      clientId && senderId === me ? `c-${clientId}` : `m-${entry.kind === 'message' ? entry.message.seq : ''}`;
    out.push({ type: 'entry', key, entry, senderId, showSender: senderId !== lastSender && senderId !== me });
    lastSender = senderId;
  }
  return out;
}
