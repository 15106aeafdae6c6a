import { CLOSE_CODES, shouldReconnect } from '@parley/protocol';
import type { Socket } from 'socket.io';
import type { Transport } from '../../transport.js';

/**
 * A Socket.IO socket as a Transport. A socket.io dialect encodes an event as the JSON text `[event, payload]`
 * (several events: one per line); this transport turns that text into Socket.IO EVENT packets for the main
 * namespace (`2` + JSON, Socket.IO protocol v5) and writes them to the engine directly, so an event is encoded
 * once per dialect however many sockets receive it, like every other connection of the hub.
 *
 * Guarantees:
 * - `bufferedAmount` counts what the client has not taken yet on either transport: bytes queued in the engine
 *   (all of them on HTTP long-polling until the client polls) plus what the WebSocket under it has not sent, so the
 *   hub's slow-consumer bound holds for polling clients too.
 * - A close the client should recover from (Parley's reconnect range, below 3500) ends the engine connection, which
 *   socket.io-client reports as "transport close" and reconnects by itself; a terminal close (3500 and above) is a
 *   server-side disconnect, after which socket.io-client stays disconnected.
 */
export class SocketIoTransport implements Transport {
  /** Bytes written to the engine since it last handed its queue to the transport. */
  private queuedBytes = 0;

  constructor(private readonly socket: Socket) {
    socket.conn.on('flush', this.flushed);
  }

  private readonly flushed = () => {
    this.queuedBytes = 0;
  };

  get open(): boolean {
    return this.socket.connected && this.socket.conn.readyState === 'open';
  }

  get bufferedAmount(): number {
    const ws = (this.socket.conn.transport as unknown as { socket?: { bufferedAmount?: unknown } }).socket;
    return this.queuedBytes + (typeof ws?.bufferedAmount === 'number' ? ws.bufferedAmount : 0);
  }

  write(frames: readonly (string | Buffer)[]): void {
    if (!this.open) return;
    for (const frame of frames) {
      const packets = packetsOf(frame);
      this.queuedBytes += (typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length) + packets.length;
      for (const packet of packets) this.socket.conn.write(packet);
    }
  }

  close(code: number): void {
    if (!shouldReconnect(code)) {
      this.socket.disconnect(true);
      return;
    }
    // A slow consumer's queue is dropped (it catches up from the store); otherwise what is queued is sent first.
    this.socket.conn.close(code === CLOSE_CODES.SLOW_CONSUMER);
  }

  /** Engine.IO runs its own heartbeat (ping / pong packets, timed from Parley's heartbeat settings). */
  ping(): void {}
}

/** The packets of one encoded frame, computed once per frame Buffer shared by every recipient. */
const packetCache = new WeakMap<Buffer, string[]>();

function packetsOf(frame: string | Buffer): string[] {
  if (typeof frame === 'string') return toPackets(frame);
  let packets = packetCache.get(frame);
  if (!packets) {
    packets = toPackets(frame.toString('utf8'));
    packetCache.set(frame, packets);
  }
  return packets;
}

function toPackets(text: string): string[] {
  return text.split('\n').map((line) => `2${line}`);
}

/** Encodes events for a Socket.IO dialect (JSON never holds a raw newline, so lines separate events). */
export function socketIoFrame(...events: [event: string, payload: unknown][]): string {
  return events.map((e) => JSON.stringify(e)).join('\n');
}
