import { BoundedMap } from './bounded-map.js';

/** The message at a position: its id and who sent it. */
export interface IndexedMessage {
  id: string;
  senderId: string;
}

/**
 * Message ids and senders by (conversation, seq), for seeds whose receipts name a message id while Parley's
 * receipts name a position. Filled from what the node sees (messages it encodes, sends it acknowledges, receipts
 * it takes); bounded, so a position it never saw has no entry and its status is not announced.
 */
export class SeqIndex {
  private readonly messages = new BoundedMap<string, IndexedMessage>(200_000);

  remember(m: { conversationId: string; seq: number; id: string; senderId: string }): void {
    this.messages.set(`${m.conversationId}\u0000${m.seq}`, { id: m.id, senderId: m.senderId });
  }

  at(conversationId: string, seq: number): IndexedMessage | undefined {
    return this.messages.get(`${conversationId}\u0000${seq}`);
  }
}
