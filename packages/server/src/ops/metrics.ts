import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one server instance (its own registry: two instances in one process never mix). */
export class Metrics {
  readonly registry = new Registry();
  readonly connections: Gauge;
  readonly framesIn: Counter<'dialect'>;
  readonly framesOut: Counter;
  readonly messagesStored: Counter;
  readonly storeBatchSeconds: Histogram;
  readonly storeBatchSize: Histogram;
  readonly errors: Counter<'code'>;

  constructor(connectionCount: () => number, onlineUsers: () => number) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'parley_' });
    this.connections = new Gauge({
      name: 'parley_connections',
      help: 'Open WebSocket connections on this node',
      registers,
      collect() {
        this.set(connectionCount());
      },
    });
    new Gauge({
      name: 'parley_online_users',
      help: 'Users with at least one connection on this node',
      registers,
      collect() {
        this.set(onlineUsers());
      },
    });
    this.framesIn = new Counter({
      name: 'parley_frames_in_total',
      help: 'WebSocket frames received',
      labelNames: ['dialect'],
      registers,
    });
    this.framesOut = new Counter({ name: 'parley_frames_out_total', help: 'WebSocket frames sent', registers });
    this.messagesStored = new Counter({
      name: 'parley_messages_stored_total',
      help: 'Messages durably stored',
      registers,
    });
    this.storeBatchSeconds = new Histogram({
      name: 'parley_store_batch_seconds',
      help: 'Time to durably store one group-commit batch of messages',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.storeBatchSize = new Histogram({
      name: 'parley_store_batch_size',
      help: 'Messages per group-commit batch',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000],
      registers,
    });
    this.errors = new Counter({
      name: 'parley_errors_total',
      help: 'Refusals sent, by error code',
      labelNames: ['code'],
      registers,
    });
  }
}
