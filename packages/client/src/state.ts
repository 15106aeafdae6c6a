import type {
  ServerEvent,
  WireConversation,
  WireMessage,
  WireNotification,
  WirePresence,
  WireUserId,
} from '@parley/protocol';
import type { ParleyClient } from './client.js';
import type { OutboxItem } from './outbox-store.js';

export type MessageStatus = 'sending' | 'sent' | 'delivered' | 'read' | 'failed';

/** A line of a conversation as an app shows it: stored messages, then own messages still in the outbox. */
export type TimelineEntry =
  | { kind: 'message'; message: WireMessage; status: MessageStatus | null }
  | { kind: 'pending'; item: OutboxItem; status: 'sending' | 'failed' };

interface Positions {
  delivered: number;
  read: number | null;
}

/**
 * What a chat UI renders, kept current from the client's events: conversations with unread counts, messages
 * per conversation, presence, typing, receipts, notifications. No UI framework: `subscribe` a listener, read
 * the getters. Unread counts come from the server (conv.list, conv.read) and are estimated in between.
 */
export class ChatState {
  readonly conversations = new Map<string, WireConversation>();
  readonly presence = new Map<string, WirePresence>();
  readonly notifications: WireNotification[] = [];
  notificationsUnread = 0;
  totalUnread = 0;
  private typingUntil = new Map<string, Map<string, number>>();
  private receipts = new Map<string, Map<string, Positions>>();
  private listeners = new Set<() => void>();
  private scheduled = false;
  private typingTimer: ReturnType<typeof setInterval> | null = null;
  private offs: (() => void)[] = [];

  constructor(readonly client: ParleyClient) {
    this.offs.push(
      client.on('synced', () => void this.refresh()),
      client.on('message', (m) => this.onMessage(m)),
      client.on('message-updated', (m) => this.onMessageUpdated(m)),
      client.on('event', (e) => this.onEvent(e)),
      client.on('outbox', () => this.changed()),
      client.on('state', () => this.changed()),
    );
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    for (const off of this.offs) off();
    if (this.typingTimer) clearInterval(this.typingTimer);
  }

  /** Reloads the conversation list (with unread counts and peer presence) from the server. */
  async refresh(): Promise<void> {
    const { conversations, total_unread } = await this.client.request('conv.list');
    this.conversations.clear();
    for (const c of conversations) {
      this.conversations.set(c.id, c);
      if (c.peer) this.presence.set(String(c.peer.id), c.peer.presence);
    }
    this.totalUnread = total_unread;
    this.changed();
  }

  /** Conversations by last activity, newest first. */
  conversationList(): WireConversation[] {
    return [...this.conversations.values()].sort((a, b) => (a.last_activity_at < b.last_activity_at ? 1 : -1));
  }

  timeline(conversationId: string): TimelineEntry[] {
    const out: TimelineEntry[] = this.client.messages
      .list(conversationId)
      .map((message) => ({ kind: 'message', message, status: this.statusOf(message) }));
    for (const item of this.client.outbox.list()) {
      if (item.conversationId === conversationId) {
        out.push({ kind: 'pending', item, status: item.failure ? 'failed' : 'sending' });
      }
    }
    return out;
  }

  /** For the user's own messages: sent, delivered (a recipient device has it) or read; null for others'. */
  statusOf(message: WireMessage): MessageStatus | null {
    if (String(message.sender_id) !== String(this.client.userId)) return null;
    const positions = [...(this.receipts.get(message.conversation_id)?.entries() ?? [])].filter(
      ([user]) => user !== String(message.sender_id),
    );
    if (positions.some(([, p]) => p.read !== null && p.read >= message.seq)) return 'read';
    if (positions.some(([, p]) => p.delivered >= message.seq)) return 'delivered';
    return 'sent';
  }

  /** "Read by N of M" for a group message. */
  readBy(message: WireMessage): { read: number; of: number } {
    const others = [...(this.receipts.get(message.conversation_id)?.entries() ?? [])].filter(
      ([user]) => user !== String(message.sender_id),
    );
    return { read: others.filter(([, p]) => p.read !== null && p.read >= message.seq).length, of: others.length };
  }

  /** Users typing in a conversation now. */
  typing(conversationId: string): string[] {
    const now = Date.now();
    return [...(this.typingUntil.get(conversationId)?.entries() ?? [])]
      .filter(([, until]) => until > now)
      .map(([u]) => u);
  }

  /** Loads every member's delivered/read positions (then kept current by receipt events). */
  async loadReceipts(conversationId: string): Promise<void> {
    const { receipts } = await this.client.request('receipts.get', { conversation_id: conversationId });
    const map = new Map<string, Positions>();
    for (const r of receipts) map.set(String(r.user_id), { delivered: r.delivered_seq, read: r.read_seq });
    this.receipts.set(conversationId, map);
    this.changed();
  }

  presenceOf(userId: WireUserId): WirePresence | undefined {
    return this.presence.get(String(userId));
  }

  private onMessage(m: WireMessage): void {
    const c = this.conversations.get(m.conversation_id);
    if (!c) {
      void this.refresh().catch(() => {});
      return;
    }
    if (m.seq > c.last_seq) {
      c.last_seq = m.seq;
      c.last_message = m;
      c.last_activity_at = m.created_at;
      if (String(m.sender_id) !== String(this.client.userId) && m.seq > c.read_seq) {
        c.unread_count++;
        this.totalUnread++;
      } else if (String(m.sender_id) === String(this.client.userId)) {
        this.totalUnread -= c.unread_count;
        c.unread_count = 0;
        c.read_seq = m.seq;
      }
    }
    this.clearTyping(m.conversation_id, String(m.sender_id));
    this.changed();
  }

  /** A held message changed (C5): the timeline reads the new state; the list shows it if it is the last message. */
  private onMessageUpdated(m: WireMessage): void {
    const c = this.conversations.get(m.conversation_id);
    if (c?.last_message && c.last_message.seq === m.seq) c.last_message = m;
    this.changed();
  }

  private onEvent(e: ServerEvent): void {
    switch (e.type) {
      case 'conv.read': {
        const c = this.conversations.get(e.conversation_id);
        if (c) {
          c.read_seq = e.read_seq;
          c.unread_count = e.unread_count;
        }
        this.totalUnread = e.total_unread;
        break;
      }
      case 'presence':
        this.presence.set(String(e.user_id), { user_id: e.user_id, status: e.status, last_seen: e.last_seen });
        break;
      case 'typing':
        this.setTyping(e.conversation_id, String(e.user_id), e.state === 'start' ? Date.now() + e.expires_in_ms : 0);
        break;
      case 'receipt': {
        let map = this.receipts.get(e.conversation_id);
        if (!map) {
          map = new Map();
          this.receipts.set(e.conversation_id, map);
        }
        map.set(String(e.user_id), { delivered: e.delivered_seq, read: e.read_seq });
        break;
      }
      case 'notification':
        this.notifications.unshift(e.notification);
        this.notificationsUnread++;
        break;
      case 'notif.read':
        for (const n of this.notifications)
          if (e.ids === null || e.ids.includes(n.id)) n.read_at ??= new Date().toISOString();
        this.notificationsUnread = e.unread_count;
        break;
      case 'group.updated': {
        const c = this.conversations.get(e.group.conversation_id);
        if (c) c.group = e.group;
        break;
      }
      case 'conv.member':
      case 'friend':
        void this.refresh().catch(() => {});
        return;
      default:
        return;
    }
    this.changed();
  }

  private setTyping(conversationId: string, userId: string, until: number): void {
    let map = this.typingUntil.get(conversationId);
    if (!map) {
      map = new Map();
      this.typingUntil.set(conversationId, map);
    }
    if (until === 0) map.delete(userId);
    else map.set(userId, until);
    this.typingTimer ??= setInterval(() => this.expireTyping(), 1000);
  }

  private clearTyping(conversationId: string, userId: string): void {
    this.typingUntil.get(conversationId)?.delete(userId);
  }

  private expireTyping(): void {
    const now = Date.now();
    let any = false;
    for (const map of this.typingUntil.values()) {
      for (const [user, until] of map) {
        if (until <= now) {
          map.delete(user);
          any = true;
        }
      }
    }
    if (any) this.changed();
  }

  /** Notifies listeners once per tick however many changes happened. */
  private changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      for (const l of [...this.listeners]) l();
    });
  }
}
