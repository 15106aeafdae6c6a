import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as received (what the signature covers). */
  raw: string;
  body: { id: string; type: string; created_at: string; data: Record<string, unknown> };
  /** Date.now() when the request arrived. */
  at: number;
}

/**
 * A real HTTP receiver for webhooks on 127.0.0.1: records every request and answers with the status chosen by
 * `respond` (200 by default).
 */
export class WebhookReceiver {
  readonly requests: WebhookRequest[] = [];
  respond: (req: WebhookRequest, attempt: number) => number = () => 200;
  private waiters: { match: (r: WebhookRequest) => boolean; resolve: (r: WebhookRequest) => void }[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const record: WebhookRequest = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          raw,
          body: JSON.parse(raw) as WebhookRequest['body'],
          at: Date.now(),
        };
        const r = receiver as WebhookReceiver;
        r.requests.push(record);
        const attempt = r.requests.filter((x) => x.body.id === record.body.id).length;
        res.statusCode = r.respond(record, attempt);
        res.end('ok');
        for (const w of [...r.waiters]) {
          if (w.match(record)) {
            r.waiters.splice(r.waiters.indexOf(w), 1);
            w.resolve(record);
          }
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${port}/hooks/parley`);
    return receiver;
  }

  /** The first request, already received or still to come, that matches. */
  next(match: (r: WebhookRequest) => boolean, timeoutMs = 5000): Promise<WebhookRequest> {
    const seen = this.requests.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(
          new Error(
            `no matching webhook within ${timeoutMs} ms; got ${JSON.stringify(this.requests.map((r) => r.body))}`,
          ),
        );
      }, timeoutMs);
      const done = (r: WebhookRequest) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.waiters.push({ match, resolve: done });
    });
  }

  /** Requests of one event type, in arrival order. */
  ofType(type: string): WebhookRequest[] {
    return this.requests.filter((r) => r.body.type === type);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
