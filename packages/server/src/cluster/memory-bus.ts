import type { Bus, BusMessage } from './bus.js';

/** The single-node bus: handlers run synchronously, in publish order. */
export class MemoryBus implements Bus {
  private handlers = new Set<(message: BusMessage) => void>();

  publish(message: BusMessage): void {
    for (const h of this.handlers) h(message);
  }

  subscribe(handler: (message: BusMessage) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Always: every node is in this process. */
  async ready(): Promise<void> {}

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
