import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Job } from '../loadgen.js';
import { CpuWindow, loadAverage } from './proc.js';
import { round } from './stats.js';
import type { TargetKind } from './targets.js';

/** What every scenario shares: flags, pinned processes, servers, load-generator jobs, results. */
const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(HERE, '..', '..');
export const SECRET = 'bench-secret-bench-secret-bench-secret-0123';
export const ALL = ['conn', 'dm', 'fanout', 'open', 'catchup', 'techniques', 'pg', 'cluster'];

export const USAGE = `npm run bench -- [flags]
  --only conn,dm,fanout,open,catchup,techniques,pg,cluster   scenarios to run (default: all)
      open: fanout-open and dm-open on SQLite; pg: the same two on one node over PostgreSQL + Redis
  --targets parley,raw,socketio                      servers (default: all three)
  --quick                                            small scale (checks the tooling in ~1 minute)
  --conns N          idle connections per server (conn)               default 19000
  --pairs N          dm pairs in the latency run                       default 500
  --rate R           msg/s per pair in the latency run                 default 50 (25,000 msg/s)
  --max-pairs N      dm pairs in the throughput run (closed loop)      default 200
  --dm-window N      messages in flight per pair (throughput run)     default 16
  --members G        fanout group size                                default 1000
  --senders S        fanout senders                                   default 8
  --window W         fanout messages in flight per sender             default 8
  --open-members G --open-senders S --open-rate R   fanout-open: group size, senders, msg/s each
                                                                      default 1000, 2, 20 (40,000 deliveries/s)
  --open-pairs P --open-dm-rate R   dm-open: pairs, msg/s each       default 100, 100 (10,000 msg/s)
  --open-duration S  measured seconds of the open loops              default 6 (warmup 2)
  --open-sample N    fanout-open receivers look at 1 frame in N      default 10
  Receipts: in dm, fanout and the open loops every receiver confirms as @parley/client does (msg.delivered per
  conversation at most every --confirm-ms, default 50, with the highest seq received) and --read-share of them
  (default 0.2) also send conv.read at the same moment; the references get the same confirmations (in memory).
  --no-receipts-row false   skip Parley's comparison row with receivers that never confirm (default: run it)
  --pg-pool N        PostgreSQL pool of the pg node                    default 10 (as shipped)
  --catchup K        messages missed by the offline device            default 10000
  --duration S       measured seconds per run (after --warmup S)      default 4 (warmup 1)
  --variants a,b     techniques to turn off for before/after (default: all but the optional ones)
  --raw-naive        also run fanout against the raw router written naively (ws.send per recipient)
  --cluster-conns N  idle connections across cluster workers          default 100000
  --cluster-workers N                                                 default 6
  --cluster-clean-fanout   also measure cross-node fan-out before the idle connections are opened
  --server-cpus L / --loadgen-cpus L   taskset core lists             default 0 / 1
  --profile          CPU profile of Parley over each measured window (bench/results/profiles; bench/profile.ts sums it up)
  --max-load X --wait-load S   wait up to S seconds for the 1-minute load to drop below X (default 1.5 / 0)`;

type Flags = Record<string, string>;
function parseFlags(argv: string[]): Flags {
  const f: Flags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) f[a.slice(2, eq)] = a.slice(eq + 1);
    else if (argv[i + 1] !== undefined && !(argv[i + 1] as string).startsWith('--'))
      f[a.slice(2)] = argv[++i] as string;
    else f[a.slice(2)] = 'true';
  }
  return f;
}

const flags = parseFlags(process.argv.slice(2));
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}
const quick = flags.quick === 'true';
const num = (name: string, full: number, small: number) => Number(flags[name] ?? (quick ? small : full));
export const opts = {
  only: (flags.only ?? ALL.join(',')).split(','),
  targets: (flags.targets ?? 'parley,raw,socketio').split(',') as TargetKind[],
  conns: num('conns', 19_000, 2_000),
  pairs: num('pairs', 500, 50),
  rate: num('rate', 50, 50),
  maxPairs: num('max-pairs', 200, 50),
  dmWindow: num('dm-window', 16, 16),
  members: num('members', 1000, 200),
  senders: num('senders', 8, 4),
  window: num('window', 8, 8),
  sample: num('sample', 50, 10),
  catchup: num('catchup', 10_000, 2_000),
  duration: num('duration', 4, 2),
  warmup: num('warmup', 1, 0.5),
  clusterConns: num('cluster-conns', 100_000, 4_000),
  clusterWorkers: num('cluster-workers', 6, 2),
  clusterConcurrency: num('cluster-concurrency', 128, 64),
  clusterCleanFanout: flags['cluster-clean-fanout'] === 'true',
  maxLoad: Number(flags['max-load'] ?? 1.5),
  waitLoad: Number(flags['wait-load'] ?? 0),
  textBytes: num('text-bytes', 64, 64),
  variants: flags.variants ? flags.variants.split(',') : null,
  rawNaive: flags['raw-naive'] === 'true',
  readShare: Number(flags['read-share'] ?? 0.2),
  confirmMs: Number(flags['confirm-ms'] ?? 50),
  noReceiptsRow: flags['no-receipts-row'] !== 'false',
  openMembers: num('open-members', 1000, 200),
  openSenders: num('open-senders', 2, 2),
  openRate: num('open-rate', 20, 20),
  openPairs: num('open-pairs', 100, 50),
  openDmRate: num('open-dm-rate', 100, 50),
  openDuration: num('open-duration', 6, 2),
  openWarmup: num('open-warmup', 2, 1),
  openSample: num('open-sample', 10, 10),
  pgPool: num('pg-pool', 10, 10),
};

/** The receipts part of a dm or fanout job: as the SDK confirms, or (the comparison row) never. */
export function receiptsOf(on: boolean): { confirm: boolean; readShare: number; confirmMs: number } {
  return { confirm: on, readShare: on ? opts.readShare : 0, confirmMs: opts.confirmMs };
}
const pin = cpus().length >= 2;
export const serverCpus = pin ? (flags['server-cpus'] ?? '0') : null;
export const loadgenCpus = pin ? (flags['loadgen-cpus'] ?? '1') : null;

const resultsDir = join(ROOT, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
export const resultsFile = join(resultsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`);
export const results: Record<string, unknown>[] = [];

export function emit(r: Record<string, unknown>): void {
  const line = { ...r, load1: loadAverage() };
  results.push(line);
  console.log(JSON.stringify(line));
  appendFileSync(resultsFile, `${JSON.stringify(line)}\n`);
}

const benchStarted = performance.now();
export function note(text: string): void {
  process.stderr.write(`# [${Math.round((performance.now() - benchStarted) / 1000)}s] ${text}\n`);
}

// Source addresses: each job gets fresh ones (127.0.<block>.x), so ports left in TIME_WAIT never run out.
let block = 10;
export function addresses(conns: number): string[] {
  const b = block++;
  const n = Math.ceil(conns / 20_000) + 1;
  return Array.from({ length: n }, (_, i) => `127.0.${b}.${i + 1}`);
}

/** Runs a node script pinned to `cpusList`, with the open-files limit raised to the hard cap. */
export function spawnPinned(
  cpusList: string | null,
  script: string,
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
  stdout: 'inherit' | 'pipe' = 'inherit',
): ChildProcess {
  const node = [process.execPath, ...nodeArgs, '--import', 'tsx', script].join(' ');
  const cmd = `ulimit -n $(ulimit -Hn); exec ${cpusList !== null ? `taskset -c ${cpusList} ` : ''}${node}`;
  return spawn('sh', ['-c', cmd], { cwd: ROOT, env, stdio: ['ignore', stdout, 'inherit', 'ipc'] });
}

export function waitMessage<T>(
  child: ChildProcess,
  pick: (m: Record<string, unknown>) => T | undefined,
  ms: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no reply within ${ms / 1000}s`)), ms);
    const onMessage = (m: Record<string, unknown>) => {
      if (typeof m.error === 'string') return done(new Error(m.error));
      const v = pick(m);
      if (v !== undefined) done(null, v);
    };
    const onExit = (code: number | null) => done(new Error(`process exited (${code})`));
    const done = (err: Error | null, v?: T) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(v as T);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export interface Server {
  kind: TargetKind;
  port: number;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
  gc(): Promise<void>;
}

/** Starts one server (Parley, raw ws or Socket.IO) on its own core. */
export async function startServer(kind: TargetKind, env: NodeJS.ProcessEnv = {}): Promise<Server> {
  const dataDir = kind === 'parley' ? mkdtempSync(join(tmpdir(), 'parley-bench-')) : null;
  const script =
    env.BENCH_SCRIPT ??
    {
      parley: 'bench/servers/parley.ts',
      raw: 'bench/servers/raw-ws.ts',
      socketio: 'bench/servers/socketio.ts',
    }[kind];
  const child = spawnPinned(
    serverCpus,
    script,
    {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      PARLEY_DATA_DIR: dataDir ?? '',
      PARLEY_JWT_SECRET: SECRET,
      PARLEY_LOG_LEVEL: 'warn',
      // The bench drives each user far past the production per-user limits.
      PARLEY_RATE_MESSAGES_PER_SEC: '1000000',
      PARLEY_RATE_FRAMES_PER_SEC: '1000000',
      // ... and opens tens of thousands of connections from a few loopback addresses.
      PARLEY_MAX_CONNECTIONS_PER_IP: '1000000',
      PARLEY_UPGRADES_PER_IP_PER_SEC: '1000000',
      PARLEY_UPGRADES_PER_IP_BURST: '1000000',
      PARLEY_MAX_CONNECTIONS_PER_USER: '1000000',
      PARLEY_MAX_DEVICES_PER_USER: '1000000',
      ...env,
    },
    ['--expose-gc', ...(env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)],
  );
  const port = await waitMessage(child, (m) => (m.ready ? (m.port as number) : undefined), 60_000);
  const pid = child.pid as number;
  return {
    kind,
    port,
    pid,
    child,
    async gc() {
      child.send({ cmd: 'gc' });
      await waitMessage(child, (m) => (m.gc ? true : undefined), 30_000);
    },
    async stop() {
      // No graceful drain needed between runs (an overloaded server would spend its shutdown timeout on it).
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface JobRun {
  result: Record<string, unknown>;
  /** Cores the server processes used during the measured window. */
  serverCpu: number | null;
  /** The server's event-loop delay over the measured window (ms), when it runs one of bench/servers. */
  eld: Record<string, number | null> | null;
}

type JobSpec = Job extends infer J
  ? J extends Job
    ? Omit<J, 'host' | 'secret' | 'timeoutS' | 'textBytes' | 'concurrency'>
    : never
  : never;

/**
 * Runs one load-generator job in a pinned process of its own; samples the server's CPU over the measured window and,
 * for a server of bench/servers, its event-loop delay (reset at the window's start, read at its end).
 */
export async function runJob(
  spec: JobSpec & { concurrency?: number; timeoutS?: number },
  serverPids: () => number[],
  profile?: { server: Server; name: string },
): Promise<JobRun> {
  const child = spawnPinned(loadgenCpus, 'bench/loadgen.ts', { ...process.env });
  try {
    await waitMessage(child, (m) => (m.ready ? true : undefined), 60_000);
    const job = {
      host: '127.0.0.1',
      secret: SECRET,
      timeoutS: 240,
      textBytes: opts.textBytes,
      concurrency: 256,
      ...spec,
    } as Job;
    const window = new CpuWindow(serverPids);
    let serverCpu: number | null = null;
    let eld: Promise<Record<string, number | null> | null> = Promise.resolve(null);
    const control = profile?.server.child;
    const profileFile = profile && flags.profile ? join(profilesDir(), `${profile.name}.cpuprofile`) : null;
    child.on('message', (m: { window?: string }) => {
      if (m.window === 'begin') {
        window.begin();
        if (control?.connected) control.send({ cmd: 'eld-reset' });
        if (profileFile) profile?.server.child.send({ cmd: 'profile-start' });
      }
      if (m.window === 'end') {
        serverCpu = round(window.end(), 3);
        if (control?.connected) {
          const reply = waitMessage(control, (r) => r.eld as Record<string, number | null> | undefined, 10_000);
          control.send({ cmd: 'eld-read' });
          eld = reply.catch(() => null);
        }
        if (profileFile) profile?.server.child.send({ cmd: 'profile-stop', file: profileFile });
      }
    });
    child.send(job);
    const result = await waitMessage(
      child,
      (m) => m.result as Record<string, unknown> | undefined,
      job.timeoutS * 1000,
    );
    const dead = serverPids().filter((pid) => !alive(pid));
    if (dead.length > 0) throw new Error(`server process ${dead.join(', ')} exited during the run`);
    return { result, serverCpu, eld: await eld };
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

function profilesDir(): string {
  const dir = join(ROOT, 'bench', 'results', 'profiles');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let userBlock = 1_000_000;
/** A fresh range of user ids. */
export function users(n: number): number {
  const base = userBlock;
  userBlock += Math.ceil((n + 10) / 1_000_000) * 1_000_000;
  return base;
}
