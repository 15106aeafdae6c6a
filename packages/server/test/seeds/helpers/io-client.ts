import { io, type Socket } from 'socket.io-client';
import { until } from './seed-script.js';

export type Payload = Record<string, unknown>;

/** A socket.io-client 4 socket that records every event it receives, for tests. */
export class IoClient {
  readonly events: { name: string; payload: Payload }[] = [];

  private constructor(readonly socket: Socket) {
    socket.onAny((name: string, payload: Payload) => this.events.push({ name, payload }));
  }

  /** Connects (default transports: HTTP long-polling, then the WebSocket upgrade) and waits for `connect`. */
  static async connect(
    url: string,
    options: { auth?: Payload; query?: Record<string, string>; transports?: string[] } = {},
  ): Promise<IoClient> {
    const socket = io(url, { path: '/socket.io/', reconnection: false, forceNew: true, ...options });
    const client = new IoClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => reject(err));
    });
    return client;
  }

  /** The payloads of the events received with this name. */
  named(name: string): Payload[] {
    return this.events.filter((e) => e.name === name).map((e) => e.payload);
  }

  /** The first event with this name (already received or still to come) that matches. */
  async next(name: string, match: (p: Payload) => boolean = () => true, timeoutMs = 5000): Promise<Payload> {
    await until(() => this.named(name).some(match), `event ${name}`, timeoutMs);
    return this.named(name).find(match) as Payload;
  }

  request(name: string, payload: unknown): Promise<Payload> {
    return this.socket.timeout(5000).emitWithAck(name, payload) as Promise<Payload>;
  }

  close(): void {
    this.socket.disconnect();
  }
}

/** The connect_error a handshake gets, or null when it connects. */
export function connectError(url: string, options: { auth?: Payload }): Promise<Error & { data?: unknown }> {
  const socket = io(url, { path: '/socket.io/', reconnection: false, forceNew: true, ...options });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.disconnect();
      reject(new Error('connected'));
    });
    socket.once('connect_error', (err) => {
      socket.disconnect();
      resolve(err as Error & { data?: unknown });
    });
  });
}
