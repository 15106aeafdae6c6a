import type { DeviceStatus } from '@parley/protocol';
import type { DomainEvent } from '../services/events.js';
import type { Dialect } from './dialect.js';
import type { SentMessages } from './sent-messages.js';
import type { Transport } from './transport.js';

/** One WebSocket connection (one device). Plain fields, no closures: tens of thousands of these stay small. */
export class Connection {
  userId: string | null = null;
  deviceId: string | null = null;
  tokenExpiresAt: number | null = null;
  /** Last frame or pong of any kind (heartbeat). */
  lastSeenAt: number;
  /** Last frame that shows the user is active (anything but ping): drives automatic away. */
  lastActivityAt: number;
  status: DeviceStatus = 'online';
  /** True when the client set its state itself: automatic away leaves it alone. */
  statusManual = false;
  /** While a sync runs, live events for this connection wait here, to follow the replay in order. */
  holding: DomainEvent[] | null = null;
  /** C4: pending from `hello` until the client's first frame: the held events wait for a `sync` (timer to give up). */
  startHold: ReturnType<typeof setTimeout> | null = null;
  /** A sync's replay owns the held events: they follow its result. */
  syncing = false;
  /** Per conversation, the last seq a replay sent, until a live message beyond it arrives (none comes twice). */
  replayedUpTo: Map<string, number> | null = null;
  /** C5: per conversation, the change revision a replay on this connection covered (later live changes at or below it are skipped). */
  replayedRev: Map<string, number> | null = null;
  /** The messages this connection was given, so a message published again reaches it once (made on first use). */
  sent: SentMessages | null = null;
  pinged = false;
  /** Requests awaiting their reply (sends awaiting their ack): past the window, the socket is not read. */
  unanswered = 0;
  readPaused = false;
  /** Frames waiting for the window to open again. */
  windowWaiters: (() => void)[] = [];
  closed = false;
  /** Frames due to this socket, written together once per tick. */
  pending: (string | Buffer)[] = [];
  pendingBytes = 0;
  dirty = false;
  /** Frames of this connection are handled in order: each waits for the previous one. */
  chain: Promise<void> = Promise.resolve();
  /** Per-dialect state (e.g. a seed's device id). */
  state: Record<string, unknown> = {};

  constructor(
    readonly id: string,
    readonly transport: Transport,
    /**
     * Who encodes this connection's events. Fixed once the client is identified; a path shared by several seed
     * protocols (/ws: seeds 000 and 004) opens with a dialect that hands the connection over on its first frame.
     */
    public dialect: Dialect,
    readonly openedAt: number,
    readonly ip: string,
  ) {
    this.lastSeenAt = openedAt;
    this.lastActivityAt = openedAt;
  }
}
