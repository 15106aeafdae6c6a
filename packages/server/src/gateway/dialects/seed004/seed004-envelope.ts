import { unixSeconds } from '../shared/seed-time.js';

/** Every seed 004 frame, both ways: `{type, message_id, timestamp, data}`; ids are strings, timestamp in seconds. */
export function envelope(type: string, messageId: string, atMs: number, data: unknown): string {
  return JSON.stringify({ type, message_id: messageId, timestamp: unixSeconds(atMs), data });
}

/** Seed 004's `msg_type`: 1 is text; any other number n is stored as kind "msg_type_<n>" and given back as n. */
export function kindOfMsgType(msgType: number): string {
  return msgType === 1 ? 'text' : `msg_type_${msgType}`;
}

export function msgTypeOfKind(kind: string): number {
  if (kind === 'text') return 1;
  const m = /^msg_type_(\d{1,9})$/.exec(kind);
  return m ? Number(m[1]) : 0;
}
