import type { MessageRecord } from '../storage/records.js';
import type { ConversationRepo, MessageRepo } from '../storage/store.js';

export interface SyncPlanItem {
  conversationId: string;
  from: number;
  lastSeq: number;
  /** More than the replay limit was missed: the client must page history instead. */
  mustPage: boolean;
}

/**
 * Catch-up from the store, the source of truth (never a bounded cache). For each of the user's conversations the
 * client names the seq it holds; absent ones start at the user's read position (a new device gets the unread
 * backlog). Guarantees:
 * - C1: every message after the client's position is replayed, in seq order, or the client is told to page;
 * - C2: nothing is dropped silently: a backlog beyond the replay limit is reported as must_page.
 */
export class SyncService {
  constructor(
    private readonly conversations: ConversationRepo,
    private readonly messages: MessageRepo,
    private readonly replayLimit: number,
  ) {}

  async plan(me: string, positions: Record<string, number> = {}): Promise<SyncPlanItem[]> {
    const rows = await this.conversations.listUserConversations(me);
    const plan: SyncPlanItem[] = [];
    for (const row of rows) {
      const lastSeq = row.conversation.lastSeq;
      const held = positions[row.conversation.id];
      const from = Math.min(held ?? row.member.readSeq, lastSeq);
      if (from >= lastSeq) continue;
      plan.push({ conversationId: row.conversation.id, from, lastSeq, mustPage: lastSeq - from > this.replayLimit });
    }
    return plan;
  }

  /** Messages with after < seq <= upTo, at most `limit`, ascending. */
  async page(conversationId: string, after: number, upTo: number, limit: number): Promise<MessageRecord[]> {
    const page = await this.messages.history(conversationId, { after, before: upTo + 1, limit });
    return page.messages;
  }
}
