import { io, type Socket } from 'socket.io-client';
import type { Payload } from './io-client.js';

/**
 * The standard socket.io-client 4 as seed 001's client runs it: reconnection on (its default), with short delays
 * for tests. Records every event, and each `connect` and `disconnect` reason.
 */
export class ReconnectingIo {
  readonly events: { name: string; payload: Payload }[] = [];
  readonly disconnects: string[] = [];
  connects = 0;
  readonly socket: Socket;

  constructor(url: string, token: string, transports?: string[]) {
    this.socket = io(url, {
      path: '/socket.io/',
      forceNew: true,
      auth: { token },
      reconnectionDelay: 100,
      reconnectionDelayMax: 300,
      randomizationFactor: 0,
      ...(transports ? { transports } : {}),
    });
    this.socket.onAny((name: string, payload: Payload) => this.events.push({ name, payload }));
    this.socket.on('connect', () => this.connects++);
    this.socket.on('disconnect', (reason) => this.disconnects.push(reason));
  }

  named(name: string): Payload[] {
    return this.events.filter((e) => e.name === name).map((e) => e.payload);
  }

  request(name: string, payload: unknown): Promise<Payload> {
    return this.socket.timeout(10_000).emitWithAck(name, payload) as Promise<Payload>;
  }

  close(): void {
    this.socket.disconnect();
  }
}
