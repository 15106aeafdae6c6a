import type { RawWs } from './raw-ws.js';
import { hasPrefix, type Target } from './targets.js';

/**
 * Receivers that confirm as `@parley/client` does (packages/client/src/client.ts `receive` / `sendDelivered`): after
 * a message arrives, one `msg.delivered` per conversation at most every `delayMs` (50 by default) carrying the highest
 * seq received; readers (a share of the receivers, as an app showing the conversation would) also send `conv.read`
 * with that seq at the same moment. It stays cheap: every frame's first bytes are compared with the message prefix
 * (RawWs onPeek, no copy), the last message seen is remembered by reference, and only that one is parsed (its
 * conversation id and seq) when the confirmation is due. Each receiver in these scenarios is in one conversation, so
 * the last message is the highest; a receiver in several would confirm only the one of its last message per period.
 */
export interface Confirming {
  ws: RawWs;
  /** Messages received (counted from every frame's prefix). */
  msgs: number;
  /** Receipt events received. */
  receipts: number;
  reader: boolean;
  lastBuf: Buffer | null;
  lastStart: number;
  lastEnd: number;
  scheduled: boolean;
  confirmed: Map<string, number> | null;
}

export function confirming(ws: RawWs, reader: boolean): Confirming {
  return {
    ws,
    msgs: 0,
    receipts: 0,
    reader,
    lastBuf: null,
    lastStart: 0,
    lastEnd: 0,
    scheduled: false,
    confirmed: null,
  };
}

export class Confirmer<C extends Confirming = Confirming> {
  delivered = 0;
  reads = 0;
  /** Confirmations due whose message prefix could not be read (should stay 0). */
  unparsed = 0;
  errorFrames = 0;
  firstError: string | null = null;
  /** Called for each receipt event when set (buf[start, end) is the frame's first bytes). */
  onReceipt: ((c: C, buf: Buffer, start: number, end: number) => void) | null = null;
  private readId = 0;
  private readonly flushOne = (c: C) => this.flush(c);

  constructor(
    private readonly t: Target,
    readonly enabled: boolean,
    private readonly delayMs = 50,
  ) {}

  peek(c: C, buf: Buffer, start: number, end: number): void {
    const t = this.t;
    if (hasPrefix(buf, start, end, t.message)) {
      c.msgs++;
      if (!this.enabled) return;
      c.lastBuf = buf;
      c.lastStart = start;
      c.lastEnd = end;
      if (!c.scheduled) {
        c.scheduled = true;
        setTimeout(this.flushOne, this.delayMs, c);
      }
      return;
    }
    if (hasPrefix(buf, start, end, t.receipt)) {
      c.receipts++;
      this.onReceipt?.(c, buf, start, end);
      return;
    }
    if (t.error !== null && hasPrefix(buf, start, end, t.error)) {
      this.errorFrames++;
      this.firstError ??= buf.toString('utf8', start, end);
    }
  }

  private flush(c: C): void {
    c.scheduled = false;
    const buf = c.lastBuf;
    c.lastBuf = null;
    if (buf === null || !c.ws.open) return;
    const pos = this.t.position(buf, c.lastStart, c.lastEnd);
    if (pos === null) {
      this.unparsed++;
      return;
    }
    const [conv, seq] = pos;
    c.confirmed ??= new Map();
    if (seq <= (c.confirmed.get(conv) ?? 0)) return;
    c.confirmed.set(conv, seq);
    this.delivered++;
    if (c.reader) {
      this.reads++;
      c.ws.sendMany([this.t.delivered(conv, seq), this.t.read(conv, seq, `r${++this.readId}`)]);
    } else c.ws.send(this.t.delivered(conv, seq));
  }
}
