import {
  CLOSE_CODES,
  dmConversationId,
  type DeviceDescriptor,
  type HelloEvent,
  type ResultData,
  type ServerEvent,
  type WireMessage,
  type WireSyncConversation,
} from '@parley/protocol';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import type { ConnectionState, StateChange } from './connection-state.js';
import { Emitter } from './emitter.js';
import { ParleyError } from './errors.js';
import { MessageStore } from './message-store.js';
import { RevTracker } from './rev-tracker.js';
import { Outbox } from './outbox.js';
import { MemoryOutboxStore, type OutboxItem, type OutboxStore } from './outbox-store.js';
import { RequestTracker } from './requests.js';
import { resolveToken, type TokenSource, tokenExpiry } from './token.js';
import { globalWebSocketFactory, OPEN, type WebSocketFactory, type WebSocketLike } from './transport.js';

export interface ParleyClientOptions {
  /** The canonical endpoint, e.g. `wss://chat.example.com/v1/ws`. */
  url: string;
  token: TokenSource;
  /** A WebSocket constructor (Node: `import WebSocket from 'ws'`); the global one by default. */
  WebSocket?: new (
    url: string,
  ) => unknown;
  device?: DeviceDescriptor;
  outboxStore?: OutboxStore;
  backoff?: BackoffOptions;
  /** Ping interval; the server's `heartbeat_ms` when it says one. A silent connection is dropped after two. */
  heartbeatMs?: number;
  requestTimeoutMs?: number;
  /** Renew the token this long before it expires (default 60 s). */
  refreshBeforeExpiryMs?: number;
  /** Confirm receipt of incoming messages (msg.delivered) automatically (default true). */
  deliveryReceipts?: boolean;
}

export interface ClientEvents {
  state: StateChange;
  hello: HelloEvent;
  /** A message this client had not seen, live or from catch-up: each message is emitted exactly once. */
  message: WireMessage;
  /** A message this client holds changed (deleted, edited...): its new state, emitted once per change (C5). */
  'message-updated': WireMessage;
  /** Every other server push (receipts, presence, typing, notifications, read positions...). */
  event: ServerEvent;
  /** More was missed than the server replays: page history after `from` for this conversation. */
  'must-page': WireSyncConversation;
  /** The outbox changed (queued, acknowledged, failed). */
  outbox: readonly OutboxItem[];
  /** A message of the outbox was acknowledged. */
  sent: { clientMsgId: string; message: WireMessage };
  /** A catch-up finished. */
  synced: ResultData['sync'];
  error: ParleyError;
}

export type SendTarget = { conversationId: string } | { toUserId: string | number };

export interface SendOptions {
  kind?: string;
  metadata?: Record<string, unknown>;
  replyTo?: string;
}

const TERMINAL = new Set<number>([
  CLOSE_CODES.AUTH_FAILED,
  CLOSE_CODES.AUTH_TIMEOUT,
  CLOSE_CODES.DEVICE_REVOKED,
  CLOSE_CODES.TOO_MANY_DEVICES,
]);

/**
 * The Parley client. Guarantees to the application:
 * - every message it writes is delivered exactly once, in order per conversation, however the connection
 *   fails: the outbox resends with the same client_msg_id until acknowledged;
 * - every message of its conversations is emitted once (`message`), in order, after any disconnect: it catches
 *   up from the positions it holds and dedupes by seq;
 * - it reconnects with exponential backoff and full jitter, except after a terminal close (revoked device,
 *   forged token, auth timeout), and renews the token before it expires.
 */
export class ParleyClient extends Emitter<ClientEvents> {
  readonly messages = new MessageStore();
  /** Per conversation, the change revision applied so far (C5). */
  readonly revs = new RevTracker();
  readonly outbox: Outbox;
  state: ConnectionState = 'idle';
  hello: HelloEvent | null = null;

  private readonly factory: WebSocketFactory;
  private readonly requests = new RequestTracker('c');
  private ws: WebSocketLike | null = null;
  private token: string | null = null;
  private attempt = 0;
  private lastFrameAt = 0;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pendingDelivered = new Map<string, number>();
  private deliveredScheduled = false;
  private restored: Promise<void>;
  private counter = 0;
  /**
   * From hello until a catch-up completes, messages are held, then emitted in seq order (no overtaking). A
   * connection lost mid-catch-up keeps them held until the next one completes.
   */
  private catchingUp = false;
  private heldBack: WireMessage[] = [];
  /** The sync sent inside the auth frame of the current connection (C4), answered after hello and the replay. */
  private startSync: Promise<ResultData['sync']> | null = null;

  constructor(private readonly options: ParleyClientOptions) {
    super();
    const WS = options.WebSocket as (new (url: string) => WebSocketLike) | undefined;
    this.factory = WS ? (url) => new WS(url) : globalWebSocketFactory();
    this.outbox = new Outbox(options.outboxStore ?? new MemoryOutboxStore());
    this.restored = this.outbox.restore().then(() => this.emit('outbox', this.outbox.list()));
  }

  /** Connects (and keeps reconnecting until `disconnect()` or a terminal close). */
  connect(): void {
    if (this.state === 'connecting' || this.state === 'connected') return;
    this.attempt = 0;
    void this.open();
  }

  /** Closes for good (no reconnect). Queued messages stay in the outbox for the next `connect()`. */
  disconnect(): void {
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    this.requests.failAll();
    this.outbox.releaseAll();
    ws?.close(1000, 'client disconnect');
    this.setState('disconnected', { reason: 'client disconnect' });
  }

  get userId(): string | number | null {
    return this.hello?.user.id ?? null;
  }

  /**
   * Queues a message and sends it as soon as possible; resolves once it is safely in the outbox (persisted),
   * with its client_msg_id. Follow its fate with `sent`, `outbox` events or `statusOf`.
   */
  async send(target: SendTarget, text: string, options: SendOptions = {}): Promise<string> {
    await this.restored;
    const toUserId = 'toUserId' in target ? target.toUserId : null;
    const me = this.userId;
    const item: OutboxItem = {
      clientMsgId: this.newClientMsgId(),
      conversationId:
        'conversationId' in target
          ? target.conversationId
          : me !== null
            ? dmConversationId(String(me), String(toUserId))
            : null,
      toUserId,
      text,
      kind: options.kind ?? 'text',
      metadata: options.metadata ?? null,
      replyTo: options.replyTo ?? null,
      createdAt: Date.now(),
      order: 0,
      attempts: 0,
      failure: null,
    };
    await this.outbox.add(item);
    this.emit('outbox', this.outbox.list());
    this.flush();
    return item.clientMsgId;
  }

  /** Puts a failed message back in line. */
  async retry(clientMsgId: string): Promise<void> {
    await this.outbox.retry(clientMsgId);
    this.emit('outbox', this.outbox.list());
    this.flush();
  }

  async discard(clientMsgId: string): Promise<void> {
    await this.outbox.discard(clientMsgId);
    this.emit('outbox', this.outbox.list());
  }

  /** Sends a request and resolves with its result; rejects with a ParleyError (code, retryable). */
  request<T extends keyof ResultData>(type: T, payload: Record<string, unknown> = {}): Promise<ResultData[T]> {
    if (!this.ws || this.ws.readyState !== OPEN || this.state !== 'connected') {
      return Promise.reject(new ParleyError({ code: 'DISCONNECTED', message: 'Not connected', retryable: true }));
    }
    const { id, result } = this.requests.open<ResultData[T]>(type, this.options.requestTimeoutMs ?? 10_000);
    this.ws.send(JSON.stringify({ type, id, ...payload }));
    return result;
  }

  /** Loads older (or, with `after`, newer) history into the message store; returns the page. */
  async history(conversationId: string, query: { before?: number; after?: number; limit?: number } = {}) {
    const page = await this.request('msg.history', { conversation_id: conversationId, ...query });
    for (const m of page.messages) this.accept(m);
    return page;
  }

  markRead(conversationId: string, seq: number) {
    return this.request('conv.read', { conversation_id: conversationId, seq });
  }

  /** Tells the conversation's members this user is typing (or stopped). Dropped silently when offline. */
  typing(conversationId: string, state: 'start' | 'stop' = 'start', context?: string): void {
    this.notify({ type: 'typing', conversation_id: conversationId, state, ...(context ? { context } : {}) });
  }

  setPresence(status: 'online' | 'away' | 'busy') {
    return this.request('presence.set', { status });
  }

  private async open(): Promise<void> {
    this.clearTimers();
    this.setState('connecting');
    let token: string;
    try {
      token = await resolveToken(this.options.token);
    } catch {
      return this.scheduleReconnect('token provider failed');
    }
    if (this.state !== 'connecting') return;
    this.token = token;
    let ws: WebSocketLike;
    try {
      ws = this.factory(this.options.url);
    } catch {
      return this.scheduleReconnect('could not open a socket');
    }
    this.ws = ws;
    ws.onopen = () => {
      this.lastFrameAt = Date.now();
      // C4: the catch-up starts with the auth frame, so nothing live can slip in between hello and the replay.
      const sync = this.requests.open<ResultData['sync']>('sync', this.options.requestTimeoutMs ?? 10_000);
      sync.result.catch(() => {}); // settled by catchUp once hello arrives, or failed with the connection
      this.startSync = sync.result;
      ws.send(
        JSON.stringify({
          type: 'auth',
          token,
          ...(this.options.device ? { device: this.options.device } : {}),
          sync: { id: sync.id, positions: this.messages.positions(), revs: this.revs.positions() },
        }),
      );
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.lastFrameAt = Date.now();
      let frame: ServerEvent;
      try {
        frame = JSON.parse(String(ev.data)) as ServerEvent;
      } catch {
        return;
      }
      this.dispatch(frame);
    };
    ws.onerror = () => {};
    ws.onclose = (ev) => {
      if (this.ws === ws) this.closed(ev.code, ev.reason);
    };
  }

  private dispatch(frame: ServerEvent): void {
    switch (frame.type) {
      case 'hello':
        return this.welcomed(frame);
      case 'result':
      case 'pong':
        if (frame.id !== undefined) this.requests.settle(String(frame.id), frame);
        return;
      case 'error':
        if (frame.id !== undefined && this.requests.settle(String(frame.id), frame)) return;
        this.emit('error', new ParleyError(frame));
        return;
      case 'msg.new':
        this.receive(frame.message);
        return;
      case 'msg.updated': {
        this.changed(frame.message.conversation_id, frame.message.rev);
        const applied = this.messages.update(frame.message);
        if (applied === 'updated') this.emit('message-updated', frame.message);
        // a message this client never got (it holds a later one only): it is new here, in its current state
        else if (applied === 'absent') this.receive(frame.message);
        this.emit('event', frame);
        return;
      }
      case 'conv.member':
        if (frame.rev > 0) this.changed(frame.conversation_id, frame.rev);
        this.emit('event', frame);
        return;
      default:
        this.emit('event', frame);
    }
  }

  private welcomed(hello: HelloEvent): void {
    this.hello = hello;
    this.attempt = 0;
    for (const item of this.outbox.list()) {
      if (item.conversationId === null && item.toUserId !== null) {
        this.outbox.resolveConversation(item.toUserId, dmConversationId(String(hello.user.id), String(item.toUserId)));
      }
    }
    this.catchingUp = true;
    this.setState('connected');
    this.emit('hello', hello);
    this.startHeartbeat(this.options.heartbeatMs ?? hello.heartbeat_ms);
    this.scheduleRefresh();
    const started = this.startSync;
    this.startSync = null;
    void this.catchUp(started ?? undefined);
    this.flush();
  }

  /**
   * C1: asks for everything after the positions held (or awaits the sync that went with the auth frame). Messages
   * arriving meanwhile (replayed or live) are held and emitted afterwards in seq order per conversation;
   * must_page conversations are announced.
   */
  private async catchUp(started?: Promise<ResultData['sync']>): Promise<void> {
    try {
      const result = await (started ??
        this.request('sync', { positions: this.messages.positions(), revs: this.revs.positions() }));
      for (const [conversationId, rev] of Object.entries(result.revs ?? {})) {
        const c = result.conversations.find((x) => x.conversation_id === conversationId);
        if (!c?.must_page) this.revs.caughtUp(conversationId, rev);
      }
      this.releaseHeld();
      for (const c of result.conversations) if (c.must_page) this.emit('must-page', c);
      this.emit('synced', result);
    } catch (err) {
      // Dropped mid-sync: keep holding (what is held may sit above a gap the next sync fills), unless the server
      // refused the sync itself, in which case waiting would only stall the app.
      if ((err as ParleyError).code !== 'DISCONNECTED') this.releaseHeld();
    }
  }

  private releaseHeld(): void {
    this.catchingUp = false;
    const held = this.heldBack.sort((a, b) =>
      a.conversation_id === b.conversation_id ? a.seq - b.seq : a.conversation_id < b.conversation_id ? -1 : 1,
    );
    this.heldBack = [];
    for (const m of held) this.emit('message', m);
  }

  /** Keeps a message once; emits it now, or after the catch-up if one is running. */
  private accept(m: WireMessage): void {
    if (!this.messages.add(m)) return;
    if (this.catchingUp) this.heldBack.push(m);
    else this.emit('message', m);
  }

  /**
   * A change of a conversation seen live. One that skips ahead of the revisions applied means a change was lost on
   * the way (a bus miss): catch up from the store, as for a seq gap. A conversation no catch-up named yet (new
   * since the last one) gets one too, which names its revision.
   */
  private changed(conversationId: string, rev: number | undefined): void {
    if (rev === undefined) return;
    const seen = this.revs.seen(conversationId, rev);
    if ((seen === 'gap' || seen === 'unknown') && !this.catchingUp && this.state === 'connected') {
      this.catchingUp = true;
      void this.catchUp();
    }
  }

  private receive(m: WireMessage): void {
    // A conversation's very first change seen live (a new DM or group's first message): nothing came before it, so
    // its revisions are tracked from here, with no catch-up (which would hold back the messages that follow).
    if (m.seq === 1 && m.rev === 1 && this.revs.positions()[m.conversation_id] === undefined) {
      this.revs.caughtUp(m.conversation_id, 0);
    }
    this.changed(m.conversation_id, m.rev);
    if (this.messages.has(m.conversation_id, m.seq)) {
      // replayed in a newer state than held (a catch-up carries current states)
      if (this.messages.update(m) === 'updated') this.emit('message-updated', m);
      return;
    }
    const newest = this.messages.newestSeq(m.conversation_id);
    if (!this.catchingUp && newest !== null && m.seq > newest + 1) {
      // A live event skipped ahead: one was lost on the way (a bus miss). Hold this one and catch up from the store.
      this.catchingUp = true;
      void this.catchUp();
    }
    this.accept(m);
    if ((this.options.deliveryReceipts ?? true) && String(m.sender_id) !== String(this.userId)) {
      const prev = this.pendingDelivered.get(m.conversation_id) ?? 0;
      if (m.seq > prev) this.pendingDelivered.set(m.conversation_id, m.seq);
      if (!this.deliveredScheduled) {
        this.deliveredScheduled = true;
        setTimeout(() => this.sendDelivered(), 50);
      }
    }
  }

  private sendDelivered(): void {
    this.deliveredScheduled = false;
    for (const [conversationId, seq] of this.pendingDelivered) {
      this.notify({ type: 'msg.delivered', conversation_id: conversationId, seq });
    }
    this.pendingDelivered.clear();
  }

  /** Sends what the outbox has due: per conversation, the oldest pending message, one at a time. */
  private flush(): void {
    if (this.state !== 'connected') return;
    for (const item of this.outbox.due()) {
      const attempt = this.outbox.markInFlight(item.clientMsgId);
      const target =
        item.conversationId !== null ? { conversation_id: item.conversationId } : { to_user_id: item.toUserId };
      this.request('msg.send', {
        ...target,
        client_msg_id: item.clientMsgId,
        text: item.text,
        kind: item.kind,
        ...(item.metadata ? { metadata: item.metadata } : {}),
        ...(item.replyTo ? { reply_to: item.replyTo } : {}),
      }).then(
        async (r) => {
          await this.outbox.acknowledge(item.clientMsgId);
          this.changed(r.message.conversation_id, r.message.rev);
          this.accept(r.message);
          this.emit('sent', { clientMsgId: item.clientMsgId, message: r.message });
          this.emit('outbox', this.outbox.list());
          this.flush();
        },
        async (err: ParleyError) => {
          if (err.code === 'DISCONNECTED') return this.outbox.release(item.clientMsgId, attempt); // resent on reconnect
          if (err.retryable) {
            this.outbox.release(item.clientMsgId, attempt);
            const delay = err.retryAfterMs ?? backoffDelay(item.attempts, { baseMs: 250, capMs: 10_000 });
            this.retryTimer ??= setTimeout(() => {
              this.retryTimer = null;
              this.flush();
            }, delay);
            return;
          }
          await this.outbox.fail(item.clientMsgId, { code: err.code, message: err.message });
          this.emit('error', err);
          this.emit('outbox', this.outbox.list());
          this.flush();
        },
      );
    }
  }

  private closed(code: number, reason: string): void {
    this.ws = null;
    this.stopHeartbeat();
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.requests.failAll();
    this.outbox.releaseAll();
    if (this.state === 'disconnected') return;
    if (code === CLOSE_CODES.TOKEN_EXPIRED || code === CLOSE_CODES.AUTH_FAILED) {
      // A token provider may have a fresh token; a fixed token that failed will fail again.
      if (typeof this.options.token !== 'function') {
        return this.setState('disconnected', { code, reason: reason || 'authentication failed' });
      }
      if (code === CLOSE_CODES.AUTH_FAILED && this.attempt > 0) {
        return this.setState('disconnected', { code, reason: reason || 'authentication failed' });
      }
      return this.scheduleReconnect(reason, code);
    }
    if (TERMINAL.has(code)) return this.setState('disconnected', { code, reason });
    this.scheduleReconnect(reason, code);
  }

  private scheduleReconnect(reason: string, code?: number): void {
    const max = this.options.backoff?.maxAttempts ?? Number.POSITIVE_INFINITY;
    if (this.attempt >= max) return this.setState('disconnected', { reason: 'gave up reconnecting' });
    const delay = backoffDelay(this.attempt++, this.options.backoff);
    this.setState('reconnecting', { reason, ...(code !== undefined ? { code } : {}), retryInMs: delay });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.open();
    }, delay);
  }

  /** Pings every interval; a connection silent for two intervals is dead even if TCP says otherwise. */
  private startHeartbeat(intervalMs: number): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      const ws = this.ws;
      if (!ws) return;
      if (Date.now() - this.lastFrameAt > 2 * intervalMs) {
        this.ws = null;
        try {
          ws.close(4000, 'heartbeat timeout');
        } catch {
          // already closing
        }
        this.closed(CLOSE_CODES.HEARTBEAT_TIMEOUT, 'no frame from the server within two heartbeat intervals');
        return;
      }
      if (ws.readyState === OPEN) ws.send(JSON.stringify({ type: 'ping' }));
    }, intervalMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  /** Renews the token before it expires, on the live connection (an `auth` frame for the same user). */
  private scheduleRefresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    if (typeof this.options.token !== 'function' || this.token === null) return;
    const exp = tokenExpiry(this.token);
    if (exp === null) return;
    const delay = Math.max(1000, exp - Date.now() - (this.options.refreshBeforeExpiryMs ?? 60_000));
    this.refreshTimer = setTimeout(async () => {
      try {
        const token = await resolveToken(this.options.token);
        if (this.state !== 'connected') return;
        await this.request('auth' as 'ping', { token });
        this.token = token;
        this.scheduleRefresh();
      } catch {
        // the server closes with 3501 at expiry; the reconnect asks the provider again
      }
    }, delay);
  }

  private notify(frame: Record<string, unknown>): void {
    if (this.ws && this.ws.readyState === OPEN && this.state === 'connected') this.ws.send(JSON.stringify(frame));
  }

  private setState(state: ConnectionState, extra: Omit<StateChange, 'state' | 'previous'> = {}): void {
    const previous = this.state;
    this.state = state;
    if (previous !== state || extra.reason) this.emit('state', { state, previous, ...extra });
  }

  private clearTimers(): void {
    this.stopHeartbeat();
    for (const t of [this.reconnectTimer, this.refreshTimer, this.retryTimer]) if (t) clearTimeout(t);
    this.reconnectTimer = this.refreshTimer = this.retryTimer = null;
  }

  private newClientMsgId(): string {
    const random =
      globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    return `${random}-${++this.counter}`;
  }
}
