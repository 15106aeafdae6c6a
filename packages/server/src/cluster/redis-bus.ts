import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Bus, BusMessage } from './bus.js';
import { connectRedis, type RedisSettings } from './redis-connection.js';

interface Envelope {
  /** The publishing node's instance id: a node skips its own messages (it delivered them in publish()). */
  n: string;
  m: BusMessage;
}

/** Past this many users whose messages were dropped, a gap names everyone rather than a list. */
const MAX_GAP_USERS = 10_000;

/**
 * The bus across nodes over Redis pub/sub, one channel per deployment (`<prefix>bus`). Guarantees:
 * - one PUBLISH per message whatever its number of recipients, every node subscribed receives it once;
 * - the messages published in one tick go out in one pipeline, in publish order, on one connection, so each
 *   subscriber receives one node's messages in publish order;
 * - this node's own messages reach its subscribers synchronously (never through Redis);
 * - loss is signalled, not silent: when the subscription comes back after a disconnect this node raises a local
 *   `gap` (null: it may have missed anything); when publishes were dropped (Redis unreachable) it publishes a
 *   `gap` naming the recipients of what was dropped, as soon as Redis takes publishes again.
 * Pub/sub rather than streams: see docs/operations.md ("Cluster mode").
 */
export class RedisBus implements Bus {
  private readonly id = randomUUID();
  private readonly channel: string;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly handlers = new Set<(message: BusMessage) => void>();
  private queue: string[] = [];
  private flushScheduled = false;
  /** Recipients of dropped messages not yet announced in a gap; null = everyone. */
  private lost: Set<string> | null | undefined;
  private closed = false;
  private subscribed = false;
  private onSubscribed: (() => void)[] = [];
  /** Counters, for metrics and tests. */
  readonly stats = { published: 0, pipelines: 0, dropped: 0, received: 0, gaps: 0 };

  constructor(settings: RedisSettings) {
    this.channel = `${settings.prefix}bus`;
    this.pub = connectRedis(settings.url, 'parley-bus-pub');
    this.sub = connectRedis(settings.url, 'parley-bus-sub');
    this.sub.on('message', (channel: string, payload: string) => {
      if (channel === this.channel) this.receive(payload);
    });
    this.sub.on('ready', () => {
      this.sub.subscribe(this.channel).then(
        () => {
          // Subscribed (again): whatever was published while we were not may be lost to this node. The first
          // time too: a node may have accepted clients before Redis was reachable.
          this.subscribed = true;
          this.stats.gaps++;
          this.deliver({ kind: 'gap', userIds: null });
          for (const resolve of this.onSubscribed.splice(0)) resolve();
        },
        () => this.sub.disconnect(true),
      );
    });
    this.sub.on('close', () => {
      this.subscribed = false;
    });
    this.pub.on('ready', () => {
      if (this.lost !== undefined) this.schedule();
    });
  }

  publish(message: BusMessage): void {
    this.deliver(message);
    if (this.closed || message.kind === 'gap') return;
    this.queue.push(JSON.stringify({ n: this.id, m: message } satisfies Envelope));
    this.schedule();
  }

  subscribe(handler: (message: BusMessage) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Resolves once this node is subscribed (the bus works without waiting; tests wait to count deliveries). */
  ready(): Promise<void> {
    if (this.subscribed) return Promise.resolve();
    return new Promise((resolve) => this.onSubscribed.push(resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flush();
    this.handlers.clear();
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
    this.pub.disconnect();
    this.sub.disconnect();
  }

  private deliver(message: BusMessage): void {
    for (const h of this.handlers) h(message);
  }

  private receive(payload: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch {
      return;
    }
    if (envelope.n === this.id) return;
    this.stats.received++;
    this.deliver(envelope.m);
  }

  private schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (this.lost !== undefined) {
      // Announce the loss before anything newer, so receivers catch up no later than they see new messages.
      const gap: BusMessage = { kind: 'gap', userIds: this.lost === null ? null : [...this.lost] };
      batch.unshift(JSON.stringify({ n: this.id, m: gap } satisfies Envelope));
      this.lost = undefined;
    }
    if (batch.length === 0) return;
    const pipeline = this.pub.pipeline();
    for (const payload of batch) pipeline.publish(this.channel, payload);
    this.stats.pipelines++;
    pipeline.exec().then(
      (results) => {
        const failed = (results ?? []).flatMap(([err], i) => (err ? [batch[i] as string] : []));
        this.stats.published += batch.length - failed.length;
        if (failed.length > 0) this.dropped(failed);
      },
      () => this.dropped(batch),
    );
  }

  /** Remembers whom dropped messages concerned; the next successful flush announces them in a gap. */
  private dropped(payloads: string[]): void {
    this.stats.dropped += payloads.length;
    if (this.closed) return;
    for (const payload of payloads) {
      const m = (JSON.parse(payload) as Envelope).m;
      if (this.lost === null) break;
      if (m.kind === 'deliver') {
        this.lost ??= new Set();
        for (const u of m.to) this.lost.add(u);
        if (this.lost.size > MAX_GAP_USERS) this.lost = null;
      } else if (m.kind === 'gap' && m.userIds !== null) {
        this.lost ??= new Set();
        for (const u of m.userIds) this.lost.add(u);
        if (this.lost.size > MAX_GAP_USERS) this.lost = null;
      } else {
        // members-changed, device-revoked or an unbounded gap: every node must drop its caches.
        this.lost = null;
      }
    }
    // Announced on the publisher's next 'ready', or shortly if it never went down (the command itself failed).
    if (this.pub.status === 'ready') setTimeout(() => this.schedule(), 100).unref();
  }
}
