import type { BusMessage } from '../cluster/bus.js';
import type { Connection } from './connection.js';
import type { Dialect } from './dialect.js';
import { replayedAlready } from './held-events.js';
import { firstDelivery } from './sent-messages.js';

type Deliver = Extract<BusMessage, { kind: 'deliver' }>;

/**
 * The node-local registry of connections (user -> devices) and the only writer to sockets.
 * - An event is encoded once per dialect, and the same Buffer is queued to every recipient socket (a dialect whose
 *   frame depends on who receives it renders those events per connection: Dialect.encodeFor).
 * - Frames due to one socket within a tick are written together (corked): one syscall per socket per tick.
 * - A socket whose unsent data exceeds the send-buffer limit is reported as a slow consumer (it is closed and
 *   catches up from the store after reconnecting), so one slow reader cannot grow memory or delay the others.
 * - A message published again (a retried send) reaches each connection at most once (SentMessages); the connection
 *   that sent it has it from its acknowledgement.
 * Order: frames reach each socket in the order they were queued.
 */
export class Hub {
  readonly all = new Set<Connection>();
  private byUser = new Map<string, Set<Connection>>();
  private dirty: Connection[] = [];
  private flushScheduled = false;
  /** Connections whose dialect hears every user's presence changes, not only their contacts' (Dialect.hearsAllPresence). */
  private readonly presenceListeners = new Set<Connection>();
  /** Transport connections opened but not yet connections of the hub (a Socket.IO handshake in progress). */
  private handshakes = 0;

  constructor(
    private readonly sendBufferBytes: number,
    private readonly onSlowConsumer: (conn: Connection) => void,
    private readonly onFramesOut: (n: number) => void,
    private readonly onEncodeError: (dialect: Dialect, err: unknown) => void = () => {},
  ) {}

  track(conn: Connection): void {
    this.all.add(conn);
  }

  /** Registers an authenticated connection under its user. */
  bind(conn: Connection): void {
    const userId = conn.userId as string;
    let set = this.byUser.get(userId);
    if (!set) {
      set = new Set();
      this.byUser.set(userId, set);
    }
    set.add(conn);
    if (conn.dialect.hearsAllPresence) this.presenceListeners.add(conn);
  }

  remove(conn: Connection): void {
    this.all.delete(conn);
    this.presenceListeners.delete(conn);
    if (conn.userId === null) return;
    const set = this.byUser.get(conn.userId);
    if (set?.delete(conn) && set.size === 0) this.byUser.delete(conn.userId);
  }

  connectionsOf(userId: string): ReadonlySet<Connection> | undefined {
    return this.byUser.get(userId);
  }

  /** Every open connection of this node, those still handshaking included. */
  get connectionCount(): number {
    return this.all.size + this.handshakes;
  }

  handshakeStarted(): void {
    this.handshakes++;
  }

  handshakeEnded(): void {
    this.handshakes--;
  }

  get userCount(): number {
    return this.byUser.size;
  }

  deliver(message: Deliver): void {
    const encoded = new Map<Dialect, Buffer | null>();
    for (const userId of message.to) {
      const conns = this.byUser.get(userId);
      if (!conns) continue;
      for (const conn of conns) this.deliverTo(conn, message, encoded);
    }
    const { event } = message;
    if (event.type !== 'presence.changed' || this.presenceListeners.size === 0) return;
    const reached = new Set(message.to);
    for (const conn of this.presenceListeners) {
      if (conn.userId !== event.userId && !reached.has(conn.userId as string)) this.deliverTo(conn, message, encoded);
    }
  }

  private deliverTo(conn: Connection, message: Deliver, encoded: Map<Dialect, Buffer | null>): void {
    if (!firstDelivery(conn, message.event) || conn.id === message.skipConnectionId) return;
    if (conn.holding !== null) {
      conn.holding.push(message.event);
      return;
    }
    if ((conn.replayedUpTo !== null || conn.replayedRev !== null) && replayedAlready(conn, message.event)) return;
    const frame = this.frameFor(conn, message.event, encoded);
    if (frame !== null) this.write(conn, frame);
  }

  /** The frame of an event for one connection: its own rendering if its dialect has one, else its dialect's, shared. */
  private frameFor(conn: Connection, event: Deliver['event'], encoded: Map<Dialect, Buffer | null>): Buffer | null {
    const { dialect } = conn;
    if (dialect.encodeFor !== undefined) {
      const own = this.encode(dialect, () => dialect.encodeFor?.(event, conn.userId as string));
      if (own !== undefined) return own;
    }
    let frame = encoded.get(dialect);
    if (frame === undefined) {
      frame = this.encode(dialect, () => dialect.encode(event)) ?? null;
      encoded.set(dialect, frame);
    }
    return frame;
  }

  /** One rendering of an event; an event a dialect cannot encode reaches none of its sockets, and no other's. */
  private encode(dialect: Dialect, render: () => string | null | undefined): Buffer | null | undefined {
    try {
      const text = render();
      return typeof text === 'string' ? Buffer.from(text) : text;
    } catch (err) {
      this.onEncodeError(dialect, err);
      return null;
    }
  }

  /** Stops holding a connection's events and queues the held ones to it, in order, in its dialect. */
  release(conn: Connection): void {
    const held = conn.holding ?? [];
    conn.holding = null;
    for (const event of held) {
      const frame = this.frameFor(conn, event, new Map());
      if (frame !== null) this.write(conn, frame);
    }
  }

  /** The connections of one device of a user on this node. */
  devicesConnections(userId: string, deviceId: string): Connection[] {
    return [...(this.byUser.get(userId) ?? [])].filter((c) => c.deviceId === deviceId);
  }

  /** Queues one frame to a socket; it is written with the others due this tick. */
  write(conn: Connection, frame: string | Buffer): void {
    if (conn.closed) return;
    conn.pending.push(frame);
    if (!conn.dirty) {
      conn.dirty = true;
      this.dirty.push(conn);
      // What the socket has not sent yet only shrinks until this tick's flush: read it once per tick.
      conn.pendingBytes = conn.transport.bufferedAmount;
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flushNow);
      }
    }
    conn.pendingBytes += frame.length;
    if (conn.pendingBytes > this.sendBufferBytes) {
      conn.pending = [];
      conn.pendingBytes = 0;
      this.onSlowConsumer(conn);
    }
  }

  private readonly flushNow = () => this.flush();

  /** Bytes given to this socket and not sent yet: what its transport holds plus what waits for this tick's write. */
  unsentBytes(conn: Connection): number {
    let bytes = conn.transport.bufferedAmount;
    for (const frame of conn.pending) bytes += typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
    return bytes;
  }

  /** Resolves true once at most `bytes` are unsent on the connection (C3), false if it closes first. */
  async drained(conn: Connection, bytes: number): Promise<boolean> {
    await new Promise((r) => setImmediate(r)); // lets this tick's write leave first
    for (let wait = 1; !conn.closed; wait = Math.min(wait * 2, 50)) {
      if (this.unsentBytes(conn) <= bytes) return true;
      await new Promise((r) => setTimeout(r, wait));
    }
    return false;
  }

  /** Writes every queued frame now. */
  flush(): void {
    this.flushScheduled = false;
    const dirty = this.dirty;
    this.dirty = [];
    let frames = 0;
    for (const conn of dirty) {
      conn.dirty = false;
      conn.pendingBytes = 0;
      const pending = conn.pending;
      if (pending.length === 0 || conn.closed || !conn.transport.open) {
        pending.length = 0;
        continue;
      }
      conn.transport.write(pending);
      frames += pending.length;
      pending.length = 0;
    }
    if (frames > 0) this.onFramesOut(frames);
  }
}
