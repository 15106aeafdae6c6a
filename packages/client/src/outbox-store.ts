/** A message waiting to be acknowledged by the server. */
export interface OutboxItem {
  clientMsgId: string;
  /** Null until known, for a message addressed to a user (its DM id is computed once the client knows its own id). */
  conversationId: string | null;
  toUserId: string | number | null;
  text: string;
  kind: string;
  metadata: Record<string, unknown> | null;
  replyTo: string | null;
  createdAt: number;
  /** Position in the outbox: items are sent in this order (createdAt can tie within a millisecond). */
  order: number;
  attempts: number;
  /** Set when the server refused it for good (e.g. MESSAGE_TOO_LONG): kept for the app to show, retry or discard. */
  failure: { code: string; message: string } | null;
}

/** Where the outbox persists, so queued messages survive a page reload or a process restart. */
export interface OutboxStore {
  load(): Promise<OutboxItem[]>;
  put(item: OutboxItem): Promise<void>;
  remove(clientMsgId: string): Promise<void>;
}

/** Keeps the outbox in memory only (the default in Node; pass your own store to persist it). */
export class MemoryOutboxStore implements OutboxStore {
  private items = new Map<string, OutboxItem>();
  async load(): Promise<OutboxItem[]> {
    return [...this.items.values()].sort((a, b) => a.order - b.order);
  }
  async put(item: OutboxItem): Promise<void> {
    this.items.set(item.clientMsgId, { ...item });
  }
  async remove(clientMsgId: string): Promise<void> {
    this.items.delete(clientMsgId);
  }
}
