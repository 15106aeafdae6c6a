import type { ConversationRepo } from '../storage/store.js';

/**
 * Member ids per conversation, read through to the store and dropped when a `members-changed` bus message says so;
 * and the direct conversations known to exist and to be open to messages (no block, the DM policy met), dropped
 * the same way when a block or a friendship changes. Bounded: past `maxEntries` conversations each map starts over,
 * so memory stays flat.
 */
export class MembershipCache {
  private entries = new Map<string, Promise<string[]>>();
  private openDms = new Map<string, Promise<void>>();
  /** Direct conversations known to exist: a DM, once created, is never deleted, so this is never invalidated. */
  private startedDms = new Set<string>();

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

  /** Resolves once `check` has passed for this direct conversation, running it only when not known to pass. */
  dmOpen(conversationId: string, check: () => Promise<void>): Promise<void> {
    let hit = this.openDms.get(conversationId);
    if (!hit) {
      if (this.openDms.size >= this.maxEntries) this.openDms.clear();
      const checking = check();
      // A refusal or a failed read is not remembered.
      checking.catch(() => {
        if (this.openDms.get(conversationId) === checking) this.openDms.delete(conversationId);
      });
      this.openDms.set(conversationId, checking);
      hit = checking;
    }
    return hit;
  }

  /** Whether the direct conversation exists, asking `exists` only until it does. */
  async dmStarted(conversationId: string, exists: () => Promise<boolean>): Promise<boolean> {
    if (this.startedDms.has(conversationId)) return true;
    if (!(await exists())) return false;
    if (this.startedDms.size >= this.maxEntries) this.startedDms.clear();
    this.startedDms.add(conversationId);
    return true;
  }

  invalidate(conversationId: string): void {
    this.entries.delete(conversationId);
    this.openDms.delete(conversationId);
  }

  /** Drops every entry: after a bus gap, `members-changed` messages may have been lost. */
  clear(): void {
    this.entries.clear();
    this.openDms.clear();
  }
}
