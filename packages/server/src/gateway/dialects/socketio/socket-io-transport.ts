import type { Socket } from 'socket.io';
import type { Transport } from '../../transport.js';

/**
 * A Socket.IO socket as a Transport. A socket.io dialect encodes an event as the JSON text `[event, payload]`
 * (several events: one per line); this transport turns that text into Socket.IO EVENT packets for the main
 * namespace (`2` + JSON, Socket.IO protocol v5) and writes them to the engine directly, so an event is encoded
 * once per dialect however many sockets receive it, like every other connection of the hub.
 */
export class SocketIoTransport implements Transport {
  constructor(private readonly socket: Socket) {}

  get open(): boolean {
    return this.socket.connected && this.socket.conn.readyState === 'open';
  }

  /** What the WebSocket under the engine has not sent yet (0 while on HTTP long-polling). */
  get bufferedAmount(): number {
    const ws = (this.socket.conn.transport as unknown as { socket?: { bufferedAmount?: unknown } }).socket;
    return typeof ws?.bufferedAmount === 'number' ? ws.bufferedAmount : 0;
  }

  write(frames: readonly (string | Buffer)[]): void {
    if (!this.open) return;
    for (const frame of frames) for (const packet of packetsOf(frame)) this.socket.conn.write(packet);
  }

  close(): void {
    this.socket.disconnect(true);
  }

  /** Engine.IO runs its own heartbeat (ping / pong packets); nothing to add. */
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
