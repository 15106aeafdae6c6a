import type { WireMessage } from '@parley/protocol';

/**
 * Messages held per conversation, keyed by seq: each message is kept once whatever how often it arrives
 * (live, replayed by sync, or as the sender's own acknowledgement), and listed in seq order. A later state of a
 * held message (a higher `rev`: deleted, edited...) replaces it; an older or equal one changes nothing (C5).
 */
export class MessageStore {
  private byConversation = new Map<string, Map<number, WireMessage>>();
  private sorted = new Map<string, WireMessage[]>();
  private newest = new Map<string, number>();

  /** Adds a message; false when this conversation already holds that seq (a duplicate). */
  add(m: WireMessage): boolean {
    let conv = this.byConversation.get(m.conversation_id);
    if (!conv) {
      conv = new Map();
      this.byConversation.set(m.conversation_id, conv);
    }
    const held = conv.get(m.seq);
    if (held) {
      if ((m.rev ?? 0) > (held.rev ?? 0)) this.replace(conv, m);
      return false;
    }
    conv.set(m.seq, m);
    this.sorted.delete(m.conversation_id);
    if (m.seq > (this.newest.get(m.conversation_id) ?? 0)) this.newest.set(m.conversation_id, m.seq);
    return true;
  }

  /**
   * Applies a newer state of a message: 'updated' when it replaced the copy held, 'stale' when the copy held is as
   * new, 'absent' when no copy is held (nothing to update: history is paged on demand).
   */
  update(m: WireMessage): 'updated' | 'stale' | 'absent' {
    const conv = this.byConversation.get(m.conversation_id);
    const held = conv?.get(m.seq);
    if (!conv || !held) return 'absent';
    if ((m.rev ?? 0) <= (held.rev ?? 0)) return 'stale';
    this.replace(conv, m);
    return 'updated';
  }

  get(conversationId: string, seq: number): WireMessage | undefined {
    return this.byConversation.get(conversationId)?.get(seq);
  }

  private replace(conv: Map<number, WireMessage>, m: WireMessage): void {
    conv.set(m.seq, m);
    this.sorted.delete(m.conversation_id);
  }

  /** The highest seq held for a conversation, or null when it holds none. */
  newestSeq(conversationId: string): number | null {
    return this.newest.get(conversationId) ?? null;
  }

  has(conversationId: string, seq: number): boolean {
    return this.byConversation.get(conversationId)?.has(seq) ?? false;
  }

  /** The conversation's messages in seq order. */
  list(conversationId: string): readonly WireMessage[] {
    let list = this.sorted.get(conversationId);
    if (!list) {
      list = [...(this.byConversation.get(conversationId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
      this.sorted.set(conversationId, list);
    }
    return list;
  }

  /**
   * Per conversation, the seq a sync continues from: the end of the unbroken run that starts at the oldest
   * message held (older history is paged on demand; a hole after it is refilled by the sync).
   */
  positions(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [conv, msgs] of this.byConversation) {
      let seq = Number.POSITIVE_INFINITY;
      for (const k of msgs.keys()) if (k < seq) seq = k;
      while (msgs.has(seq + 1)) seq++;
      out[conv] = seq;
    }
    return out;
  }

  /** The lowest seq held for a conversation (to page older history from), or null. */
  oldest(conversationId: string): number | null {
    const list = this.list(conversationId);
    return list.length > 0 ? (list[0] as WireMessage).seq : null;
  }

  conversations(): string[] {
    return [...this.byConversation.keys()];
  }
}
