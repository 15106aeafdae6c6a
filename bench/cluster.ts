import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  addresses,
  emit,
  loadgenCpus,
  note,
  opts,
  receiptsOf,
  runJob,
  SECRET,
  serverCpus,
  spawnPinned,
  users,
  waitMessage,
} from './lib/harness.js';
import { childrenOf, CpuWindow, rssBytes } from './lib/proc.js';
import { round } from './lib/stats.js';

/**
 * Cluster mode (issue 7): PARLEY_WORKERS server processes sharing one port over PostgreSQL and Redis, holding
 * --cluster-conns idle authenticated connections (several load-generator processes, each under the per-process
 * file limit, spread over 127.0.x.y source addresses), then a fan-out whose group members sit on every worker.
 */
const PG_HOST = '127.0.0.1:5432';
const REDIS_URL = 'redis://127.0.0.1:6379';
const PER_LOADGEN = 16_000;

async function admin(database: string): Promise<pg.Client> {
  let last: unknown;
  for (const user of ['postgres', 'root']) {
    const client = new pg.Client({ connectionString: `postgres://${user}@${PG_HOST}/${database}` });
    client.on('error', () => {});
    try {
      await client.connect();
      return client;
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`PostgreSQL is not reachable at ${PG_HOST}: ${String(last)}`);
}

async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * One cluster node's environment for `f`: a fresh PostgreSQL database and Redis key prefix (as the cluster run
 * uses), dropped afterwards. For the single-node open loops (`--only pg`), run by bench/servers/parley.ts so that
 * the runner keeps its control channel (event-loop delay, profile).
 */
export async function withPgNode(f: (env: NodeJS.ProcessEnv) => Promise<void>): Promise<void> {
  const name = `parley_bench_${randomBytes(5).toString('hex')}`;
  const prefix = `parley-bench:${randomBytes(5).toString('hex')}:`;
  const a = await admin('postgres');
  await a.query(`CREATE DATABASE ${name}`);
  const user = (a as unknown as { user: string }).user;
  await a.end();
  try {
    await f({ DATABASE_URL: `postgres://${user}@${PG_HOST}/${name}`, REDIS_URL, PARLEY_REDIS_PREFIX: prefix });
  } finally {
    await dropPrefix(prefix).catch(() => {});
    const d = await admin('postgres');
    await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    await d.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function runCluster(): Promise<void> {
  const name = `parley_bench_${randomBytes(5).toString('hex')}`;
  const prefix = `parley-bench:${randomBytes(5).toString('hex')}:`;
  const a = await admin('postgres');
  await a.query(`CREATE DATABASE ${name}`);
  const user = (a as unknown as { user: string }).user;
  await a.end();
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-cluster-'));
  const port = await freePort();
  const workers = opts.clusterWorkers;
  let primary: ChildProcess | null = null;
  let workerPids: number[] = [];
  const loadgens: ChildProcess[] = [];
  try {
    primary = spawnPinned(
      serverCpus,
      'packages/server/src/main.ts',
      {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: `postgres://${user}@${PG_HOST}/${name}`,
        REDIS_URL,
        PARLEY_REDIS_PREFIX: prefix,
        PARLEY_WORKERS: String(workers),
        PARLEY_PG_POOL_MAX: '4',
        PARLEY_JWT_SECRET: SECRET,
        PARLEY_DATA_DIR: dataDir,
        PARLEY_LOG_LEVEL: 'info',
        PARLEY_RATE_MESSAGES_PER_SEC: '1000000',
        PARLEY_RATE_FRAMES_PER_SEC: '1000000',
      },
      (process.env.BENCH_CLUSTER_NODE_ARGS ?? '').split(' ').filter(Boolean),
      'pipe',
    );
    const p = primary;
    let listening = 0;
    let buffered = '';
    p.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.includes('Parley is listening')) listening++;
    });
    const deadline = Date.now() + 120_000;
    while (listening < workers) {
      if (p.exitCode !== null) throw new Error(`cluster primary exited (${p.exitCode})`);
      if (Date.now() > deadline) throw new Error(`only ${listening} of ${workers} workers listening after 120 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
    workerPids = childrenOf(p.pid as number);
    const serverPids = () => [p.pid as number, ...workerPids];
    const rssOf = () => workerPids.reduce((s, pid) => s + rssBytes(pid), 0);

    /** A group whose members land on every worker (round robin): each message crosses the bus to every node. */
    const crossNodeFanout = async (scenario: string, idleConnections: number) => {
      note(`cluster: cross-node fan-out (${idleConnections} idle connections open)`);
      const run = await runJob(
        {
          job: 'fanout',
          target: 'parley',
          port,
          userBase: users(opts.members),
          addrs: addresses(opts.members),
          members: opts.members,
          senders: opts.senders,
          window: opts.window,
          rate: 0,
          sampleEvery: opts.sample,
          warmupS: opts.warmup,
          durationS: opts.duration,
          ...receiptsOf(true),
        },
        serverPids,
      );
      emit({ scenario, target: 'parley', workers, idleConnections, ...run.result, serverCpu: run.serverCpu });
    };
    if (opts.clusterCleanFanout) await crossNodeFanout('cluster-fanout', 0);

    await new Promise((r) => setTimeout(r, 1000));
    const before = rssOf();
    note(`cluster: ${workers} workers up (pids ${workerPids.join(' ')}); opening ${opts.clusterConns} connections`);

    // Idle connections, several load generators at once (each below its own file limit).
    const total = opts.clusterConns;
    const shares: number[] = [];
    for (let left = total; left > 0; left -= PER_LOADGEN) shares.push(Math.min(PER_LOADGEN, left));
    const window = new CpuWindow(serverPids);
    window.begin();
    const started = performance.now();
    const opened = await Promise.all(
      shares.map(async (count) => {
        const child = spawnPinned(loadgenCpus, 'bench/loadgen.ts', { ...process.env });
        loadgens.push(child);
        await waitMessage(child, (m) => (m.ready ? true : undefined), 60_000);
        child.send({
          job: 'connect',
          target: 'parley',
          host: '127.0.0.1',
          port,
          secret: SECRET,
          userBase: users(count),
          addrs: addresses(count),
          concurrency: opts.clusterConcurrency,
          textBytes: 0,
          timeoutS: 600,
          count,
        });
        return waitMessage(child, (m) => (m.opened !== undefined ? m : undefined), 600_000);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const serverCpu = round(window.end(), 3);
    const connections = opened.reduce((s, o) => s + (o.opened as number), 0);
    const failed = opened.reduce((s, o) => s + (o.failed as number), 0);
    await new Promise((r) => setTimeout(r, 2000));
    const after = rssOf();
    // What holding them costs while nothing happens (heartbeats, presence refresh, sweeps).
    const idle = new CpuWindow(serverPids);
    idle.begin();
    await new Promise((r) => setTimeout(r, 3000));
    const idleServerCpu = round(idle.end(), 3);
    emit({
      scenario: 'cluster-conn',
      target: 'parley',
      workers,
      connections,
      failed,
      firstError: opened.find((o) => o.firstError)?.firstError ?? undefined,
      loadGenerators: shares.length,
      connectPerSec: round(connections / seconds, 0),
      rssBeforeMB: round(before / 2 ** 20, 1),
      rssAfterMB: round(after / 2 ** 20, 1),
      rssPerConnKB: connections > 0 ? round((after - before) / connections / 1024, 2) : null,
      workerRssMB: workerPids.map((pid) => round(rssBytes(pid) / 2 ** 20, 0)),
      serverCpu,
      idleServerCpu,
      loadgenCpu: round(
        opened.reduce((s, o) => s + (o.loadgenCpu as number), 0),
        3,
      ),
    });

    await crossNodeFanout('cluster-fanout', connections);

    for (const child of loadgens) child.send({ cmd: 'release' });
    await Promise.all(
      loadgens.map((child) => waitMessage(child, (m) => (m.released ? true : undefined), 60_000).catch(() => {})),
    );
  } finally {
    for (const child of loadgens) if (child.exitCode === null) child.kill();
    if (primary && primary.exitCode === null) {
      const exited = new Promise((r) => primary?.once('exit', r));
      primary.kill('SIGTERM');
      const timer = setTimeout(() => {
        primary?.kill('SIGKILL');
        for (const pid of workerPids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }, 30_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
    await dropPrefix(prefix).catch(() => {});
    const d = await admin('postgres');
    await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    await d.end();
  }
}
