import type { ParleyClient } from '@parley/client';

interface PagerState {
  loading: boolean;
  hasMore: boolean;
  loaded: boolean;
}

const PAGE = 30;

/** Older history per conversation, a page at a time (the first when a window opens, more as the user scrolls up). */
export class HistoryPager {
  private states = new Map<string, PagerState>();

  constructor(
    private readonly client: ParleyClient,
    private readonly changed: () => void,
  ) {}

  state(conversationId: string): PagerState {
    return this.states.get(conversationId) ?? { loading: false, hasMore: true, loaded: false };
  }

  /** The first page, once per conversation (held messages may already cover it). */
  async loadFirst(conversationId: string): Promise<void> {
    const s = this.state(conversationId);
    if (s.loaded || s.loading) return;
    const held = this.client.messages.list(conversationId).length;
    if (held >= PAGE || this.client.messages.oldest(conversationId) === 1) {
      this.states.set(conversationId, { loading: false, loaded: true, hasMore: this.hasOlder(conversationId) });
      this.changed();
      return;
    }
    await this.page(conversationId);
  }

  /** The page before the oldest message held; no-op while one loads or when the start was reached. */
  async loadOlder(conversationId: string): Promise<void> {
    const s = this.state(conversationId);
    if (s.loading || !s.hasMore) return;
    await this.page(conversationId);
  }

  /** The server said more was missed than it replays: fetch the gap after `from`, page by page. */
  async fillGap(conversationId: string, from: number): Promise<void> {
    let after = from;
    for (let i = 0; i < 50; i++) {
      const page = await this.client.history(conversationId, { after, limit: 100 });
      const last = page.messages.at(-1);
      if (!page.has_more || !last) break;
      after = last.seq;
    }
    this.changed();
  }

  private hasOlder(conversationId: string): boolean {
    const oldest = this.client.messages.oldest(conversationId);
    return oldest !== null && oldest > 1;
  }

  private async page(conversationId: string): Promise<void> {
    const before = this.client.messages.oldest(conversationId);
    this.states.set(conversationId, { ...this.state(conversationId), loading: true });
    this.changed();
    try {
      const page = await this.client.history(conversationId, {
        ...(before !== null ? { before } : {}),
        limit: PAGE,
      });
      this.states.set(conversationId, {
        loading: false,
        loaded: true,
        hasMore: page.has_more && this.hasOlder(conversationId),
      });
    } catch {
      this.states.set(conversationId, { ...this.state(conversationId), loading: false }); // retried on next open
    }
    this.changed();
  }
}
