import type { ConversationRepo } from '../storage/store.js';

/**
 * Member ids per conversation, read through to the store and dropped when a `members-changed` bus message says so.
 * Bounded: past `maxEntries` conversations it starts over, so memory stays flat.
 */
export class MembershipCache {
  private entries = new Map<string, Promise<string[]>>();

  constructor(
    private readonly repo: ConversationRepo,
    private readonly maxEntries = 50_000,
  ) {}

  members(conversationId: string): Promise<string[]> {
    let hit = this.entries.get(conversationId);
    if (!hit) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      const loading = this.repo.listMembers(conversationId).then((ms) => ms.map((m) => m.userId));
      // A failed read is not cached; only this read's own entry is dropped (a newer one may have replaced it).
      loading.catch(() => {
        if (this.entries.get(conversationId) === loading) this.entries.delete(conversationId);
      });
      this.entries.set(conversationId, loading);
      hit = loading;
    }
    return hit;
  }

  invalidate(conversationId: string): void {
    this.entries.delete(conversationId);
  }

  /** Drops every entry: after a bus gap, `members-changed` messages may have been lost. */
  clear(): void {
    this.entries.clear();
  }
}
