import type { DomainEvent } from '../services/events.js';
import type { Connection } from './connection.js';

/** The newest seqs of a conversation a connection remembers being sent (a retried send comes within seconds). */
const WINDOW = 256;
/** Conversations a connection remembers; the one least recently sent to is forgotten first. */
const CONVERSATIONS = 64;

/** Per conversation: the highest seq sent, and which of the WINDOW seqs up to it were sent (bit seq % WINDOW). */
interface Window {
  top: number;
  bits: Uint32Array;
}

/**
 * The messages one connection was already given. A message is published again when its send is retried (D2: the
 * node that stored it may have died before publishing), and this lets every connection get it at most once while
 * it is remembered: the last WINDOW seqs of the last CONVERSATIONS conversations (a sliding window, as IPsec's
 * anti-replay window, RFC 4303 §3.4.3). A message older than that, or of a forgotten conversation, goes through
 * again: nothing a connection was not given is ever withheld, so delivery stays at-least-once.
 */
export class SentMessages {
  private readonly windows = new Map<string, Window>();

  /** True the first time a message is offered to this connection, false for a message it was given already. */
  firstTime(conversationId: string, seq: number): boolean {
    let w = this.windows.get(conversationId);
    if (w === undefined) {
      w = { top: 0, bits: new Uint32Array(WINDOW / 32) };
      if (this.windows.size >= CONVERSATIONS) this.windows.delete(this.windows.keys().next().value as string);
    } else {
      this.windows.delete(conversationId); // re-inserted below: most recently used last
    }
    this.windows.set(conversationId, w);
    if (seq > w.top) {
      for (let s = Math.max(w.top + 1, seq - WINDOW + 1); s <= seq; s++) clear(w, s);
      w.top = seq;
    } else if (seq <= w.top - WINDOW) {
      return true; // older than the window: not known, so not withheld
    } else if (isSet(w, seq)) {
      return false;
    }
    set(w, seq);
    return true;
  }
}

/** False for a `message.created` this connection was already given; true for every other event. */
export function firstDelivery(conn: Connection, event: DomainEvent): boolean {
  if (event.type !== 'message.created') return true;
  conn.sent ??= new SentMessages();
  return conn.sent.firstTime(event.message.conversationId, event.message.seq);
}

const slot = (seq: number) => seq % WINDOW;
const isSet = (w: Window, seq: number) => ((w.bits[slot(seq) >>> 5] as number) & (1 << (slot(seq) & 31))) !== 0;
function set(w: Window, seq: number): void {
  w.bits[slot(seq) >>> 5] = (w.bits[slot(seq) >>> 5] as number) | (1 << (slot(seq) & 31));
}
function clear(w: Window, seq: number): void {
  w.bits[slot(seq) >>> 5] = (w.bits[slot(seq) >>> 5] as number) & ~(1 << (slot(seq) & 31));
}
