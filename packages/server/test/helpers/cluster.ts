import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { WS_PATH } from '@parley/protocol';
import { TEST_SECRET } from './host-token.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { dropPrefix, freePort, REDIS_URL, testPrefix } from './redis.js';
import type { ServerProcess } from './server-process.js';

const ROOT = resolve(import.meta.dirname, '../../../..');

/**
 * Starts the real entry point (what `npm start` runs) and resolves once it logs its URL, like spawnServer, but
 * with a start timeout fit for several processes compiling at once on a busy two-core machine.
 */
export function spawnNode(env: Record<string, string>, timeoutMs = 90_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/server/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', PARLEY_JWT_SECRET: TEST_SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolvePromise, reject) => {
    let buffer = '';
    let started = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms: ${stdout.join('\n')}`));
    }, timeoutMs);
    child.stderr?.on('data', (d) => stdout.push(String(d)));
    child.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        stdout.push(line);
        const m = /"url":"(http:\/\/[^"]+)"/.exec(line);
        if (m && !started) {
          started = true;
          clearTimeout(timer);
          const url = (m[1] as string).replace('localhost', '127.0.0.1');
          resolvePromise({ child, port: Number(new URL(url).port), url, exited, stdout });
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!started) reject(new Error(`server exited with ${code}: ${stdout.join('\n')}`));
    });
  });
}

export interface ClusterNode {
  port: number;
  url: string;
  wsUrl: string;
  process: ServerProcess | null;
}

export interface ClusterOptions {
  nodes?: number;
  /** Redis of the cluster (default: the machine's, under a prefix of this run). */
  redisUrl?: string;
  /** postgres:// URL the nodes use (default: the fresh database's own; a proxy in front of it for PG faults). */
  databaseUrl?: (fresh: string) => string;
  env?: Record<string, string>;
}

/**
 * Server processes (the real entry point) on ports of their own, sharing one fresh PostgreSQL database and one
 * Redis under a key prefix of this run: a cluster of nodes as operators run it. Stopped and cleaned by stop().
 */
export class TestCluster {
  readonly nodes: ClusterNode[] = [];
  private constructor(
    readonly database: TestDatabase,
    readonly prefix: string,
    readonly redisUrl: string,
    readonly env: Record<string, string>,
    private readonly dataDir: string,
  ) {}

  static async start(options: ClusterOptions = {}): Promise<TestCluster> {
    const database = await createTestDatabase();
    const prefix = testPrefix();
    const redisUrl = options.redisUrl ?? REDIS_URL;
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-cluster-'));
    const env = {
      DATABASE_URL: options.databaseUrl ? options.databaseUrl(database.url) : database.url,
      REDIS_URL: redisUrl,
      PARLEY_REDIS_PREFIX: prefix,
      PARLEY_DATA_DIR: dataDir,
      PARLEY_LOG_LEVEL: 'info',
      PARLEY_PG_POOL_MAX: '4',
      PARLEY_RATE_MESSAGES_PER_SEC: '100000',
      PARLEY_RATE_FRAMES_PER_SEC: '100000',
      PARLEY_PRESENCE_GRACE_MS: '100',
      PARLEY_SHUTDOWN_TIMEOUT_MS: '3000',
      // Tests open many sockets from 127.0.0.1, some users many at once.
      PARLEY_MAX_CONNECTIONS_PER_IP: '1000000',
      PARLEY_UPGRADES_PER_IP_PER_SEC: '1000000',
      PARLEY_UPGRADES_PER_IP_BURST: '1000000',
      PARLEY_MAX_CONNECTIONS_PER_USER: '1000000',
      ...options.env,
    };
    const cluster = new TestCluster(database, prefix, redisUrl, env, dataDir);
    try {
      for (let i = 0; i < (options.nodes ?? 3); i++) {
        const port = await freePort();
        cluster.nodes.push({
          port,
          url: `http://127.0.0.1:${port}`,
          wsUrl: `ws://127.0.0.1:${port}${WS_PATH}`,
          process: null,
        });
      }
      // One at a time: the first migrates the fresh database, the others find it migrated.
      for (let i = 0; i < cluster.nodes.length; i++) await cluster.restart(i);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  node(i: number): ClusterNode {
    return this.nodes[i] as ClusterNode;
  }

  get ports(): number[] {
    return this.nodes.map((n) => n.port);
  }

  /** Starts node i (again) on its port. */
  async restart(i: number): Promise<void> {
    const node = this.node(i);
    node.process = await spawnNode({ ...this.env, PORT: String(node.port), PARLEY_NODE_ID: `node-${i}` });
  }

  /** SIGKILL: no drain, no goodbye; resolves once the process is gone. */
  async kill(i: number): Promise<void> {
    const p = this.node(i).process;
    if (!p) return;
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await p.exited;
    this.node(i).process = null;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (n) => {
        const p = n.process;
        if (!p || p.child.exitCode !== null) return;
        p.child.kill('SIGTERM');
        const timer = setTimeout(() => p.child.kill('SIGKILL'), 8_000);
        await p.exited;
        clearTimeout(timer);
      }),
    );
    await this.database.drop().catch(() => {});
    await dropPrefix(this.prefix, this.redisUrl).catch(() => {});
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
