import { BoundedMap } from './bounded-map.js';

/**
 * Message ids by (conversation, seq), for seeds whose receipts name a message id while Parley's receipts name a
 * position. Filled from what the node sees (messages it encodes, sends it acknowledges, receipts it takes);
 * bounded, so a position it never saw has no id and its status is not announced.
 */
export class SeqIndex {
  private readonly ids = new BoundedMap<string, string>(200_000);

  remember(conversationId: string, seq: number, messageId: string): void {
    this.ids.set(`${conversationId}\u0000${seq}`, messageId);
  }

  idAt(conversationId: string, seq: number): string | undefined {
    return this.ids.get(`${conversationId}\u0000${seq}`);
  }
}
