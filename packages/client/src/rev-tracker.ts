/**
 * Per conversation, the change revision up to which this client has applied every change (C5): what a catch-up
 * continues from. Revisions seen out of order wait in a set until the ones below them arrive; one that skips
 * ahead of the run reports a gap (a change was lost on the way), which a catch-up fills.
 */
export class RevTracker {
  private applied = new Map<string, number>();
  private ahead = new Map<string, Set<number>>();

  /**
   * Records a change seen live: 'old' (applied before), 'next' (extends the run), 'gap' (skips ahead), or
   * 'unknown' (a conversation no catch-up has named yet: one names its revision).
   */
  seen(conversationId: string, rev: number): 'old' | 'next' | 'gap' | 'unknown' {
    const at = this.applied.get(conversationId);
    if (at === undefined) return 'unknown';
    if (rev <= at) return 'old';
    if (rev === at + 1) {
      let next = rev;
      const ahead = this.ahead.get(conversationId);
      while (ahead?.delete(next + 1)) next++;
      this.applied.set(conversationId, next);
      return 'next';
    }
    let ahead = this.ahead.get(conversationId);
    if (!ahead) {
      ahead = new Set();
      this.ahead.set(conversationId, ahead);
    }
    ahead.add(rev);
    return 'gap';
  }

  /** A catch-up applied everything up to `rev`. */
  caughtUp(conversationId: string, rev: number): void {
    const at = this.applied.get(conversationId) ?? 0;
    let next = Math.max(at, rev);
    const ahead = this.ahead.get(conversationId);
    if (ahead) {
      for (const r of [...ahead]) if (r <= next) ahead.delete(r);
      while (ahead.delete(next + 1)) next++;
    }
    this.applied.set(conversationId, next);
  }

  /** The revisions a sync continues from. */
  positions(): Record<string, number> {
    return Object.fromEntries(this.applied);
  }
}
