import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/**
 * A minimal WebSocket client for load generation: it counts the frames it receives straight from the byte stream
 * (reading only each frame's header) and hands over only the frames it is asked to look at (every one, or one in
 * `sampleEvery`), so one load-generator core can count far more frames per second than a client library that parses
 * every frame. Control frames are handled (ping -> pong). Frames it sends are masked with a zero key (allowed by
 * RFC 6455; the server's work is the same).
 */
export interface RawWsOptions {
  host: string;
  port: number;
  path: string;
  localAddress?: string;
  headers?: Record<string, string>;
  /** 0: look at no data frame; 1: every one; n: one in n (counting still sees all). */
  sampleEvery?: number;
  onFrame?: (payload: Buffer, ws: RawWs) => void;
  onClose?: (ws: RawWs) => void;
  /**
   * Called for every data frame with its first `peekBytes` bytes (fewer when the frame is shorter), as
   * buf[start, end): a view into the received chunk when the prefix lies within one chunk (no copy), else a small
   * copy. Lets a receiver learn a frame's kind and a few fields cheaply without capturing the frame. The chunk is
   * never reused by the socket, so a receiver may keep a reference to the last one it was shown.
   */
  onPeek?: (buf: Buffer, start: number, end: number, ws: RawWs) => void;
  peekBytes?: number;
}

const OP_TEXT = 1;
const OP_CLOSE = 8;
const OP_PING = 9;

export class RawWs {
  readonly socket: Socket;
  open = false;
  closed = false;
  /** Data frames received (text and binary), counted from headers. */
  frames = 0;
  bytes = 0;
  /** Close code received from the server, if any. */
  closeCode: number | null = null;

  private handshake: Buffer | null = Buffer.alloc(0);
  private readonly header = Buffer.alloc(14);
  private headerLen = 0;
  /** Payload bytes of the current frame still to come. */
  private need = 0;
  private capture: Buffer | null = null;
  private captureLen = 0;
  private captureOp = 0;
  private sampleEvery: number;
  private sampleCountdown: number;
  private readonly ready: Promise<void>;
  private readonly peekBytes: number;
  /** The prefix of the current frame being collected across chunks for onPeek, when it was split. */
  private prefix: Buffer | null = null;
  private prefixLen = 0;
  /** The current frame is a data frame not captured whole (so onPeek is due from the byte stream). */
  private peekDue = false;

  constructor(private readonly opts: RawWsOptions) {
    this.sampleEvery = opts.sampleEvery ?? 1;
    this.peekBytes = opts.onPeek ? (opts.peekBytes ?? 128) : 0;
    this.sampleCountdown = this.sampleEvery > 1 ? 1 + Math.floor(Math.random() * this.sampleEvery) : 1;
    this.socket = connect({
      host: opts.host,
      port: opts.port,
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    });
    this.socket.setNoDelay(true);
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', () => {
        const key = randomBytes(16).toString('base64');
        let req =
          `GET ${opts.path} HTTP/1.1\r\nHost: ${opts.host}:${opts.port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n`;
        for (const [k, v] of Object.entries(opts.headers ?? {})) req += `${k}: ${v}\r\n`;
        this.socket.write(`${req}\r\n`);
      });
      const fail = (err: Error) => {
        if (!this.open) reject(err);
      };
      this.socket.once('error', fail);
      this.socket.on('data', (chunk: Buffer) => {
        if (this.handshake !== null) {
          const all = this.handshake.length === 0 ? chunk : Buffer.concat([this.handshake, chunk]);
          const end = all.indexOf('\r\n\r\n');
          if (end < 0) {
            this.handshake = all;
            return;
          }
          const status = all.subarray(0, all.indexOf('\r\n')).toString();
          this.handshake = null;
          if (!/^HTTP\/1\.1 101/.test(status)) {
            reject(new Error(`upgrade refused: ${status}`));
            this.socket.destroy();
            return;
          }
          this.open = true;
          resolve();
          if (all.length > end + 4) this.feed(all.subarray(end + 4));
          return;
        }
        this.feed(chunk);
      });
      this.socket.on('close', () => {
        this.closed = true;
        this.open = false;
        reject(new Error('closed before upgrade'));
        opts.onClose?.(this);
      });
    });
    this.ready.catch(() => {});
  }

  /** Resolves once the upgrade completed. */
  opened(): Promise<void> {
    return this.ready;
  }

  setSampleEvery(n: number): void {
    this.sampleEvery = n;
    this.sampleCountdown = n > 1 ? 1 + Math.floor(Math.random() * n) : 1;
  }

  /** Sends one text frame. */
  send(text: string): void {
    if (!this.open) return;
    this.socket.write(encodeClientFrame(text));
  }

  /** Sends several text frames in one write. */
  sendMany(texts: string[]): void {
    if (!this.open || texts.length === 0) return;
    this.socket.write(
      texts.length === 1 ? encodeClientFrame(texts[0] as string) : Buffer.concat(texts.map(encodeClientFrame)),
    );
  }

  close(): void {
    if (this.closed) return;
    this.socket.destroy();
  }

  private feed(chunk: Buffer): void {
    this.bytes += chunk.length;
    let pos = 0;
    const len = chunk.length;
    while (pos < len) {
      if (this.need > 0) {
        const take = Math.min(this.need, len - pos);
        if (this.prefix !== null) this.fillPrefix(chunk, pos, take);
        if (this.capture !== null) {
          chunk.copy(this.capture, this.captureLen, pos, pos + take);
          this.captureLen += take;
        }
        this.need -= take;
        pos += take;
        if (this.need === 0 && this.capture !== null) this.finishCapture();
        continue;
      }
      // Fast path: a whole small header in this chunk.
      if (this.headerLen === 0 && len - pos >= 2) {
        const b0 = chunk[pos] as number;
        const b1 = (chunk[pos + 1] as number) & 0x7f;
        if (b1 < 126) {
          pos += 2;
          this.startFrame(b0 & 0x0f, b1);
          if (this.peekDue) this.peekAt(chunk, pos, b1);
          continue;
        }
        const hl = b1 === 126 ? 4 : 10;
        if (len - pos >= hl) {
          const plen = b1 === 126 ? chunk.readUInt16BE(pos + 2) : Number(chunk.readBigUInt64BE(pos + 2));
          pos += hl;
          this.startFrame(b0 & 0x0f, plen);
          if (this.peekDue) this.peekAt(chunk, pos, plen);
          continue;
        }
      }
      // Slow path: a header split across chunks.
      this.header[this.headerLen++] = chunk[pos++] as number;
      if (this.headerLen < 2) continue;
      const b1 = (this.header[1] as number) & 0x7f;
      const hl = b1 < 126 ? 2 : b1 === 126 ? 4 : 10;
      if (this.headerLen < hl) continue;
      const plen = b1 < 126 ? b1 : b1 === 126 ? this.header.readUInt16BE(2) : Number(this.header.readBigUInt64BE(2));
      this.headerLen = 0;
      this.startFrame((this.header[0] as number) & 0x0f, plen);
      if (this.peekDue) this.peekAt(chunk, pos, plen);
    }
  }

  /** onPeek for a frame whose payload starts at chunk[pos]: a view when its prefix is all here, else collected. */
  private peekAt(chunk: Buffer, pos: number, plen: number): void {
    this.peekDue = false;
    const want = plen < this.peekBytes ? plen : this.peekBytes;
    if (chunk.length - pos >= want) {
      this.opts.onPeek?.(chunk, pos, pos + want, this);
      return;
    }
    this.prefix = Buffer.allocUnsafe(want);
    this.prefixLen = 0;
  }

  private fillPrefix(chunk: Buffer, pos: number, take: number): void {
    const prefix = this.prefix as Buffer;
    const n = Math.min(take, prefix.length - this.prefixLen);
    chunk.copy(prefix, this.prefixLen, pos, pos + n);
    this.prefixLen += n;
    if (this.prefixLen === prefix.length) {
      this.prefix = null;
      this.opts.onPeek?.(prefix, 0, prefix.length, this);
    }
  }

  private startFrame(op: number, plen: number): void {
    let look = false;
    if (op >= 8) {
      look = true;
    } else if (op !== 0) {
      this.frames++;
      if (this.sampleEvery === 1) look = true;
      else if (this.sampleEvery > 1 && --this.sampleCountdown === 0) {
        this.sampleCountdown = this.sampleEvery;
        look = true;
      }
    }
    if (look) {
      this.capture = Buffer.allocUnsafe(plen);
      this.captureLen = 0;
      this.captureOp = op;
      this.need = plen;
      if (plen === 0) this.finishCapture();
    } else {
      this.capture = null;
      this.need = plen;
      if (this.peekBytes > 0 && op !== 0) this.peekDue = true;
    }
  }

  private finishCapture(): void {
    const payload = this.capture as Buffer;
    const op = this.captureOp;
    this.capture = null;
    if (op === OP_PING) {
      this.socket.write(Buffer.concat([Buffer.from([0x8a, 0x80 | payload.length, 0, 0, 0, 0]), payload]));
      return;
    }
    if (op === OP_CLOSE) {
      this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.socket.end(Buffer.from([0x88, 0x82, 0, 0, 0, 0, payload[0] ?? 3, payload[1] ?? 0xe8]));
      return;
    }
    if (op === OP_TEXT || op === 2) {
      if (this.peekBytes > 0) this.opts.onPeek?.(payload, 0, Math.min(payload.length, this.peekBytes), this);
      this.opts.onFrame?.(payload, this);
    }
  }
}

/** A masked (zero key) text frame. */
export function encodeClientFrame(text: string): Buffer {
  const n = Buffer.byteLength(text);
  const hl = n < 126 ? 6 : n < 65536 ? 8 : 14;
  const buf = Buffer.allocUnsafe(hl + n);
  buf[0] = 0x80 | OP_TEXT;
  if (n < 126) {
    buf[1] = 0x80 | n;
  } else if (n < 65536) {
    buf[1] = 0x80 | 126;
    buf.writeUInt16BE(n, 2);
  } else {
    buf[1] = 0x80 | 127;
    buf.writeBigUInt64BE(BigInt(n), 2);
  }
  buf.writeUInt32BE(0, hl - 4);
  buf.write(text, hl);
  return buf;
}
