import WebSocket from 'ws';

interface OutboxItem {
  clientMsgId: string;
  target: { conversation_id?: string; to_user_id?: string | number };
  text: string;
}

export interface HeldMessage {
  id: string;
  seq: number;
  conversation_id: string;
  client_msg_id: string | null;
  sender_id: string | number;
  text: string;
}

/**
 * What a correct client does, reduced to its core for the fault tests: an outbox retried blindly after every
 * reconnect with the same client_msg_id, catch-up with the positions it holds, dedupe by (conversation, seq), and
 * delivery confirmed as @parley/client does it (one `msg.delivered` per conversation at most every 50 ms while
 * messages arrive, fire and forget). Counts what it saw, so a test can tell at-least-once delivery from loss or
 * corruption.
 */
export class ReliableClient {
  /** conversation -> seq -> message. */
  readonly held = new Map<string, Map<number, HeldMessage>>();
  readonly outbox: OutboxItem[] = [];
  readonly acked = new Map<string, { id: string; seq: number; conversation_id: string }>();
  duplicatesSeen = 0;
  reconnects = 0;
  /** A different message seen at a seq already held: must stay 0. */
  conflicts = 0;
  private ws: WebSocket | null = null;
  private ready = false;
  private stopped = false;
  private nextId = 1;
  private counter = 0;
  private readonly toConfirm = new Map<string, number>();
  /** The id of the sync awaiting its result: a correct client runs one catch-up at a time. */
  private syncing: string | null = null;
  private confirmScheduled = false;

  constructor(
    private readonly url: string,
    private readonly token: string,
    readonly name: string,
    private readonly deviceId: string,
  ) {}

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.ws?.terminate();
  }

  /** Queues a message; it is sent now if connected, else after the next reconnect. */
  send(target: OutboxItem['target'], text: string): string {
    const item = { clientMsgId: `${this.name}-${++this.counter}`, target, text };
    this.outbox.push(item);
    if (this.ready) this.transmit(item);
    return item.clientMsgId;
  }

  /** Highest seq held with no gap below it, per conversation. */
  positions(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [conv, msgs] of this.held) {
      let seq = 0;
      while (msgs.has(seq + 1)) seq++;
      out[conv] = seq;
    }
    return out;
  }

  /** Reads a conversation's read position forward (fire and forget: may be lost on a cut, as in life). */
  markRead(conversationId: string, seq: number): void {
    if (this.ready)
      this.ws?.send(
        JSON.stringify({ type: 'conv.read', id: `r${this.nextId++}`, conversation_id: conversationId, seq }),
      );
  }

  /** Confirms delivery of everything held (a confirmation lost to a cut is never re-sent by itself). */
  confirmHeld(): void {
    for (const [conversationId, seq] of Object.entries(this.positions())) {
      if (this.ready && seq > 0) {
        this.ws?.send(
          JSON.stringify({ type: 'msg.delivered', id: `d${this.nextId++}`, conversation_id: conversationId, seq }),
        );
      }
    }
  }

  /** Asks the server to replay anything missed (as after a reconnect), unless a catch-up is already running. */
  resync(): void {
    if (this.ready && this.syncing === null) this.sync();
  }

  private sync(): void {
    this.syncing = `y${this.nextId++}`;
    this.ws?.send(JSON.stringify({ type: 'sync', id: this.syncing, positions: this.positions() }));
  }

  private connect(): void {
    if (this.stopped) return;
    this.ready = false;
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', token: this.token, device: { id: this.deviceId } })));
    ws.on('message', (data) => this.onFrame(JSON.parse(data.toString())));
    ws.on('error', () => {});
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.ready = false;
      this.syncing = null;
      if (this.stopped) return;
      this.reconnects++;
      setTimeout(() => this.connect(), 5 + Math.random() * 30);
    });
  }

  private onFrame(f: Record<string, unknown>): void {
    switch (f.type) {
      case 'hello':
        this.ready = true;
        this.sync();
        for (const item of this.outbox) this.transmit(item); // blind retry, in order
        return;
      case 'msg.new': {
        const m = f.message as HeldMessage;
        this.hold(m);
        if (m.seq > (this.toConfirm.get(m.conversation_id) ?? 0)) this.toConfirm.set(m.conversation_id, m.seq);
        if (!this.confirmScheduled) {
          this.confirmScheduled = true;
          setTimeout(() => this.confirmDelivered(), 50);
        }
        return;
      }
      case 'error':
        if (f.id === this.syncing) this.syncing = null;
        return;
      case 'result': {
        if (f.id === this.syncing) this.syncing = null;
        const data = f.data as { message?: HeldMessage } | undefined;
        if (data?.message && typeof f.id === 'string' && f.id.startsWith('s')) {
          const m = data.message;
          this.hold(m);
          if (m.client_msg_id) {
            this.acked.set(m.client_msg_id, { id: m.id, seq: m.seq, conversation_id: m.conversation_id });
            const i = this.outbox.findIndex((o) => o.clientMsgId === m.client_msg_id);
            if (i >= 0) this.outbox.splice(i, 1);
          }
        }
        return;
      }
    }
  }

  private confirmDelivered(): void {
    this.confirmScheduled = false;
    for (const [conversationId, seq] of this.toConfirm) {
      if (this.ready) {
        this.ws?.send(
          JSON.stringify({ type: 'msg.delivered', id: `d${this.nextId++}`, conversation_id: conversationId, seq }),
        );
      }
    }
    this.toConfirm.clear();
  }

  private hold(m: HeldMessage): void {
    let conv = this.held.get(m.conversation_id);
    if (!conv) {
      conv = new Map();
      this.held.set(m.conversation_id, conv);
    }
    const existing = conv.get(m.seq);
    if (existing) {
      if (existing.id !== m.id) this.conflicts++;
      else this.duplicatesSeen++;
      return;
    }
    conv.set(m.seq, m);
  }

  private transmit(item: OutboxItem): void {
    this.ws?.send(
      JSON.stringify({
        type: 'msg.send',
        id: `s${this.nextId++}`,
        client_msg_id: item.clientMsgId,
        text: item.text,
        ...item.target,
      }),
    );
  }
}
