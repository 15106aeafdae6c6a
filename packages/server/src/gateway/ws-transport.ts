import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Transport } from './transport.js';

/**
 * A raw WebSocket (`ws`). The frames due in one tick leave in one write: each is framed here (a text frame, no
 * mask, no compression: permessage-deflate is off) and the lot is written to the socket at once. A Buffer frame is
 * an event shared by every recipient: it is framed once, and the same framed Buffer is written to each socket.
 * When `ws` itself still holds frames (its sender busy), frames go through `ws.send` so order is kept.
 */
export class WsTransport implements Transport {
  private readonly socket: Socket | undefined;

  constructor(private readonly ws: WebSocket) {
    this.socket = (ws as unknown as { _socket?: Socket })._socket;
  }

  get open(): boolean {
    return this.ws.readyState === 1;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  write(frames: readonly (string | Buffer)[]): void {
    if (!this.open || frames.length === 0) return;
    const socket = this.socket;
    if (socket === undefined || !senderIdle(this.ws)) {
      socket?.cork();
      for (const frame of frames) this.ws.send(frame, { binary: false });
      socket?.uncork();
      return;
    }
    if (frames.length === 1) {
      socket.write(framed(frames[0] as string | Buffer));
      return;
    }
    const parts: Buffer[] = new Array(frames.length);
    let total = 0;
    for (let i = 0; i < frames.length; i++) {
      const part = framed(frames[i] as string | Buffer);
      parts[i] = part;
      total += part.length;
    }
    socket.write(Buffer.concat(parts, total));
  }

  close(code: number, reason: string): void {
    if (this.open) this.ws.close(code, reason);
  }

  ping(): void {
    if (this.open) this.ws.ping();
  }
}

/** True when `ws` holds no frame of its own (it queues only while compressing or reading a Blob). */
function senderIdle(ws: WebSocket): boolean {
  const sender = (ws as unknown as { _sender?: { _queue?: unknown[] } })._sender;
  return sender?._queue?.length === 0;
}

/** Shared event payloads, framed once however many sockets they go to; an entry lives as long as its payload. */
const framedPayloads = new WeakMap<Buffer, Buffer>();

function framed(frame: string | Buffer): Buffer {
  if (typeof frame === 'string') return textFrame(frame);
  let out = framedPayloads.get(frame);
  if (out === undefined) {
    out = textFrame(frame);
    framedPayloads.set(frame, out);
  }
  return out;
}

/** One unmasked, final text frame (RFC 6455 5.2) holding `payload`. */
export function textFrame(payload: string | Buffer): Buffer {
  const n = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const header = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const out = Buffer.allocUnsafe(header + n);
  out[0] = 0x81;
  if (n < 126) {
    out[1] = n;
  } else if (n < 65_536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  if (typeof payload === 'string') out.write(payload, header);
  else payload.copy(out, header);
  return out;
}
