import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy the test controls, between clients and the server: it can cut every connection, or a random one,
 * at any moment (mid-frame included), which is what a flaky mobile network does.
 */
export class ChaosProxy {
  private server: Server;
  private pairs = new Set<[Socket, Socket]>();
  cuts = 0;
  port = 0;

  constructor(private targetPort: number) {
    this.server = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: this.targetPort });
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      const drop = () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  retarget(port: number): void {
    this.targetPort = port;
  }

  get open(): number {
    return this.pairs.size;
  }

  /** Cuts one random connection; false when there is none. */
  cutRandom(random: () => number = Math.random): boolean {
    const list = [...this.pairs];
    if (list.length === 0) return false;
    const [client, upstream] = list[Math.floor(random() * list.length)] as [Socket, Socket];
    client.destroy();
    upstream.destroy();
    this.cuts++;
    return true;
  }

  /** Stops all traffic without closing anything: TCP looks open, nothing arrives (a dead NAT, a sleeping radio). */
  blackhole(): void {
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
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
}

/** A small deterministic PRNG (mulberry32), so a failing fault run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
