import type { ChangesSince, MessageRecord } from '../storage/records.js';
import type { ConversationRepo, MessageRepo } from '../storage/store.js';

export interface SyncPlanItem {
  conversationId: string;
  from: number;
  lastSeq: number;
  /** More than the replay limit was missed: the client must page history instead. */
  mustPage: boolean;
  /** The revision the client holds (C5), or null when it named none: the replay is then by seq only. */
  fromRev: number | null;
  lastRev: number;
}

export interface SyncPlan {
  items: SyncPlanItem[];
  /** Every conversation of the user with its revision when planned. */
  revs: Record<string, number>;
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

  /**
   * C5: for a conversation whose revision the client names, the replay is every change after it (new messages,
   * changed messages in their current state, membership changes), or must_page past the replay limit.
   */
  async plan(me: string, positions: Record<string, number> = {}, revs: Record<string, number> = {}): Promise<SyncPlan> {
    const rows = await this.conversations.listUserConversations(me);
    const items: SyncPlanItem[] = [];
    const all: Record<string, number> = {};
    for (const row of rows) {
      const { id, lastSeq, lastRev } = row.conversation;
      all[id] = lastRev;
      const held = positions[id];
      const from = Math.min(held ?? row.member.readSeq, lastSeq);
      const heldRev = revs[id];
      if (heldRev !== undefined) {
        if (heldRev >= lastRev) continue;
        items.push({ conversationId: id, from, lastSeq, fromRev: heldRev, lastRev, mustPage: lastRev - heldRev > this.replayLimit });
        continue;
      }
      if (from >= lastSeq) continue;
      items.push({ conversationId: id, from, lastSeq, fromRev: null, lastRev, mustPage: lastSeq - from > this.replayLimit });
    }
    return { items, revs: all };
  }

  /** Everything of the conversation after `fromRev` (at most the replay limit, which the plan checked). */
  changes(conversationId: string, fromRev: number): Promise<ChangesSince> {
    return this.conversations.changesSince(conversationId, fromRev, this.replayLimit + 1);
  }

  /** Messages with after < seq <= upTo, at most `limit`, ascending. */
  async page(conversationId: string, after: number, upTo: number, limit: number): Promise<MessageRecord[]> {
    const page = await this.messages.history(conversationId, { after, before: upTo + 1, limit });
    return page.messages;
  }
}
