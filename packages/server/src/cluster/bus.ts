import type { DomainEvent } from '../services/events.js';

/** A message on the bus: deliver an event to users' devices, or tell every node that a conversation's members changed. */
export type BusMessage =
  | {
      kind: 'deliver';
      /** User ids whose connected devices receive the event. */
      to: string[];
      event: DomainEvent;
      /** A connection that already has the result (the sender's own), skipped on delivery. */
      skipConnectionId?: string;
    }
  | { kind: 'members-changed'; conversationId: string }
  /** Every node closes the device's connections with 3503. */
  | { kind: 'device-revoked'; userId: string; deviceId: string }
  /**
   * Messages may have been lost on their way (a networked bus lost its connection): each node that receives this
   * drops what it caches from bus messages and closes the connections of `userIds` (all, when null) with a
   * reconnect code, so their clients catch up from the store. Raised by the bus itself, never by services.
   */
  | { kind: 'gap'; userIds: string[] | null };

/**
 * Carries messages to every node (this one included). Guarantees:
 * - a node's own messages reach its own subscribers synchronously, inside publish();
 * - messages published by one node are received by each subscriber in publish order, each once;
 * - delivery to other nodes is at-most-once, but never silently lossy: a node that may have missed messages (or
 *   whose messages may not have reached the others) gets a `gap` message once the bus works again, and its clients
 *   recover through catch-up from the store, the source of truth.
 */
export interface Bus {
  publish(message: BusMessage): void;
  subscribe(handler: (message: BusMessage) => void): () => void;
  /**
   * Resolves once this node receives the other nodes' messages. A node listens only after it (bounded by a
   * timeout): a client it accepted earlier would be closed by the bus's first `gap` right after its hello.
   */
  ready(): Promise<void>;
  close(): Promise<void>;
}
