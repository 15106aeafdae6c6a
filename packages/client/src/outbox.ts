import type { OutboxItem, OutboxStore } from './outbox-store.js';

/**
 * Messages not yet acknowledged, in the order they were written. Guarantees:
 * - every item keeps its client_msg_id for life, so resending it can never create a second message (D2);
 * - per conversation, one item is in flight at a time and the next is sent only after the previous is
 *   acknowledged, so the server stores them in the order they were written;
 * - items are persisted before `add` resolves and removed only once acknowledged.
 */
export class Outbox {
  private items: OutboxItem[] = [];
  /** client_msg_id -> the attempt in flight; a late outcome of an older attempt must not touch a newer one. */
  private inFlight = new Map<string, number>();

  constructor(private readonly store: OutboxStore) {}

  async restore(): Promise<void> {
    const saved = await this.store.load();
    const known = new Set(this.items.map((i) => i.clientMsgId));
    this.items.push(...saved.filter((i) => !known.has(i.clientMsgId)));
    this.items.sort((a, b) => a.order - b.order);
  }

  /** Appends an item (its `order` is set here: after every item already queued or restored). */
  async add(item: OutboxItem): Promise<void> {
    item.order = this.items.reduce((max, i) => Math.max(max, i.order), 0) + 1;
    this.items.push(item);
    await this.store.put(item);
  }

  /** Items to transmit now: the first pending item of each conversation with nothing in flight. */
  due(): OutboxItem[] {
    const busy = new Set<string>();
    for (const i of this.items) if (this.inFlight.has(i.clientMsgId)) busy.add(keyOf(i));
    const out: OutboxItem[] = [];
    for (const i of this.items) {
      const key = keyOf(i);
      if (i.failure || busy.has(key)) continue;
      busy.add(key);
      out.push(i);
    }
    return out;
  }

  /** Marks the item sent; returns the attempt number to hand back to `release`. */
  markInFlight(clientMsgId: string): number {
    const item = this.get(clientMsgId);
    const attempt = item ? ++item.attempts : 0;
    this.inFlight.set(clientMsgId, attempt);
    return attempt;
  }

  /** That attempt's outcome is unknown or retryable: the item will be sent again (same client_msg_id). */
  release(clientMsgId: string, attempt: number): void {
    if (this.inFlight.get(clientMsgId) === attempt) this.inFlight.delete(clientMsgId);
  }

  releaseAll(): void {
    this.inFlight.clear();
  }

  async acknowledge(clientMsgId: string): Promise<void> {
    this.inFlight.delete(clientMsgId);
    this.items = this.items.filter((i) => i.clientMsgId !== clientMsgId);
    await this.store.remove(clientMsgId);
  }

  async fail(clientMsgId: string, failure: { code: string; message: string }): Promise<void> {
    this.inFlight.delete(clientMsgId);
    const item = this.get(clientMsgId);
    if (!item) return;
    item.failure = failure;
    await this.store.put(item);
  }

  /** Puts a failed item back in line (the user pressed retry). */
  async retry(clientMsgId: string): Promise<void> {
    const item = this.get(clientMsgId);
    if (!item?.failure) return;
    item.failure = null;
    await this.store.put(item);
  }

  async discard(clientMsgId: string): Promise<void> {
    await this.acknowledge(clientMsgId);
  }

  /** Fills in the conversation of items addressed to a user, once the DM id is known. */
  resolveConversation(toUserId: string | number, conversationId: string): void {
    for (const i of this.items)
      if (i.conversationId === null && String(i.toUserId) === String(toUserId)) i.conversationId = conversationId;
  }

  get(clientMsgId: string): OutboxItem | undefined {
    return this.items.find((i) => i.clientMsgId === clientMsgId);
  }

  list(): readonly OutboxItem[] {
    return this.items;
  }

  get size(): number {
    return this.items.length;
  }
}

const keyOf = (i: OutboxItem) => i.conversationId ?? `user:${String(i.toUserId)}`;
