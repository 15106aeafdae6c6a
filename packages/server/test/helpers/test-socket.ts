import WebSocket from 'ws';

type Frame = Record<string, unknown> & { type: string };

/** Matches the canonical `presence` event saying `userId` is now `status`. */
export const presenceIs =
  (userId: unknown, status: string) =>
  (f: Frame): boolean =>
    f.type === 'presence' && f.user_id === userId && f.status === status;

/** A WebSocket client for tests: records every frame, waits for frames, correlates requests by id. */
export class TestSocket {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      this.frames.push(frame);
      for (const w of [...this.waiters]) {
        if (w.match(frame)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(frame);
        }
      }
    });
  }

  static open(
    url: string,
    options: { token?: string; headers?: Record<string, string>; protocols?: string[] } = {},
  ): Promise<TestSocket> {
    const target = options.token
      ? `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(options.token)}`
      : url;
    const ws = new WebSocket(target, options.protocols ?? [], { headers: options.headers ?? {} });
    const socket = new TestSocket(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(socket));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  /** Opens and waits for `hello`. */
  static async connect(url: string, token: string, helloTimeoutMs = 5000): Promise<TestSocket> {
    const socket = await TestSocket.open(url, { token });
    await socket.next((f) => f.type === 'hello', helloTimeoutMs);
    return socket;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame, already received or still to come, that matches. */
  next(match: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const seen = this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    return this.wait(match, timeoutMs);
  }

  /** The next frame received from now on that matches. */
  wait(match: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`));
      }, timeoutMs);
      const done = (f: Frame) => {
        clearTimeout(timer);
        resolve(f);
      };
      this.waiters.push({ match, resolve: done });
      // No frame comes after a close: say so at once, with the close code, rather than time out later.
      this.closed.then(({ code, reason }) => {
        if (!this.waiters.some((w) => w.resolve === done)) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(
          new Error(
            `closed with ${code} ${reason} before a matching frame; got ${JSON.stringify(this.frames.slice(-5))}`,
          ),
        );
      });
    });
  }

  /** Sends a request and resolves with its `result` or `error` frame. */
  request(type: string, payload: Record<string, unknown> = {}): Promise<Frame> {
    const id = `r${this.nextId++}`;
    const reply = this.wait((f) => (f.type === 'result' || f.type === 'error' || f.type === 'pong') && f.id === id);
    this.send({ type, id, ...payload });
    return reply;
  }

  /** Sends a request and returns its result data; throws on an error frame. */
  async call<T = Record<string, unknown>>(type: string, payload: Record<string, unknown> = {}): Promise<T> {
    const reply = await this.request(type, payload);
    if (reply.type === 'error') throw new Error(`${type} refused: ${JSON.stringify(reply)}`);
    return reply.data as T;
  }

  events(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  close(): void {
    this.ws.close();
  }
}
