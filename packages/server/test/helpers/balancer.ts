import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP load balancer without stickiness, between clients and the nodes of a cluster: each new connection goes to
 * the next node in turn (a reconnecting client lands on another node), a node that refuses is skipped, and the
 * test can cut every connection, or a random one, at any moment (mid-frame included).
 */
export class Balancer {
  private server: Server;
  private pairs = new Set<[Socket, Socket]>();
  private turn = 0;
  cuts = 0;
  port = 0;
  /** How many connections each target port received. */
  readonly served = new Map<number, number>();

  constructor(private targets: number[]) {
    this.server = createServer((client) => this.route(client, 0));
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  /** The nodes new connections may go to (existing connections stay where they are). */
  setTargets(targets: number[]): void {
    this.targets = [...targets];
  }

  get open(): number {
    return this.pairs.size;
  }

  cutRandom(random: () => number = Math.random): boolean {
    const list = [...this.pairs];
    if (list.length === 0) return false;
    const [client, upstream] = list[Math.floor(random() * list.length)] as [Socket, Socket];
    client.destroy();
    upstream.destroy();
    this.cuts++;
    return true;
  }

  cutAll(): void {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
      this.cuts++;
    }
    this.pairs.clear();
  }

  async stop(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private route(client: Socket, attempt: number): void {
    if (this.targets.length === 0 || attempt >= this.targets.length) {
      client.destroy();
      return;
    }
    const port = this.targets[this.turn++ % this.targets.length] as number;
    client.pause();
    const upstream = createConnection({ host: '127.0.0.1', port });
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      this.served.set(port, (this.served.get(port) ?? 0) + 1);
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      const drop = () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => {
      if (!connected) this.route(client, attempt + 1);
      else upstream.destroy();
    });
    client.once('error', () => {
      if (!connected) upstream.destroy();
    });
  }
}
