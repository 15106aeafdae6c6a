import { cpus } from 'node:os';
import { runCluster, withPgNode } from './cluster.js';
import {
  addresses,
  emit,
  loadgenCpus,
  note,
  opts,
  receiptsOf,
  resultsFile,
  results,
  type Server,
  runJob,
  SECRET,
  serverCpus,
  spawnPinned,
  startServer,
  users,
  waitMessage,
} from './lib/harness.js';
import { CpuWindow, loadAverage, rssBytes } from './lib/proc.js';
import { round } from './lib/stats.js';
import type { TargetKind } from './lib/targets.js';
import { printTable } from './report.js';
import { VARIANTS } from './servers/variants.js';

/**
 * `npm run bench`: every scenario against Parley and the two references in one run, each server in a process of
 * its own pinned to one core and the load generator pinned to another. Prints one JSON line per result and a table
 * at the end; the lines are also kept in bench/results/. `npm run bench -- --help` lists the flags.
 */

// ---------------------------------------------------------------- scenarios

/** `label` names the run in the results (a variant, or the after-run of a variant at its own scale). */
async function conn(kind: TargetKind, variant = '', count = opts.conns, label = variant): Promise<void> {
  const server = await startServer(kind, variant ? { BENCH_VARIANT: variant } : {});
  try {
    await server.gc();
    const before = rssBytes(server.pid);
    const child = spawnPinned(loadgenCpus, 'bench/loadgen.ts', { ...process.env });
    try {
      await waitMessage(child, (m) => (m.ready ? true : undefined), 60_000);
      child.send({
        job: 'connect',
        target: kind,
        host: '127.0.0.1',
        port: server.port,
        secret: SECRET,
        userBase: users(count),
        addrs: addresses(count),
        concurrency: 256,
        textBytes: 0,
        timeoutS: 300,
        count,
      });
      const window = new CpuWindow(() => [server.pid]);
      window.begin();
      const opened = await waitMessage(child, (m) => (m.opened !== undefined ? m : undefined), 300_000);
      const serverCpu = round(window.end(), 3);
      await new Promise((r) => setTimeout(r, 500));
      await server.gc();
      const after = rssBytes(server.pid);
      child.send({ cmd: 'release' });
      await waitMessage(child, (m) => (m.released ? true : undefined), 60_000);
      const n = opened.opened as number;
      emit({
        scenario: 'conn',
        target: kind,
        variant: label || undefined,
        connections: n,
        failed: opened.failed,
        firstError: opened.firstError ?? undefined,
        connectPerSec: opened.perSec,
        rssBeforeMB: round(before / 2 ** 20, 1),
        rssAfterMB: round(after / 2 ** 20, 1),
        rssPerConnKB: n > 0 ? round((after - before) / n / 1024, 2) : null,
        serverCpu,
        loadgenCpu: opened.loadgenCpu,
      });
    } finally {
      if (child.exitCode === null) child.kill();
    }
  } finally {
    await server.stop();
  }
}

/** The closed-loop dm rate this target reached earlier in this run (for the run at half of it). */
function dmMax(kind: TargetKind): number | null {
  const r = results.find(
    (x) => x.scenario === 'dm-max' && x.target === kind && x.variant === undefined && !x.row && !x.error,
  );
  return r && typeof r.storedPerSec === 'number' ? r.storedPerSec : null;
}

/** The comparison row: Parley with receivers that never confirm (as the bench measured before receipts). */
const NO_RECEIPTS = 'no-receipts';

/**
 * max: closed loop (window in flight per pair), the most a server stores and delivers; latency: the goal's rate
 * (--pairs x --rate, 25,000 msg/s); half: half of the target's own max, to see its latency with headroom; open:
 * --open-pairs at --open-dm-rate (10,000 msg/s). Receivers confirm as the SDK does unless `receipts` is false.
 */
async function dm(
  kind: TargetKind,
  mode: 'max' | 'latency' | 'half' | 'open',
  variant = '',
  receipts = true,
  store: Store = SQLITE,
): Promise<void> {
  const max = dmMax(kind);
  if (mode === 'half' && max === null) return;
  await store.run(kind, variant, async (server) => {
    const pairs = mode === 'max' ? opts.maxPairs : mode === 'open' ? opts.openPairs : opts.pairs;
    const rate =
      mode === 'max'
        ? 0
        : mode === 'half'
          ? (max as number) / 2 / pairs
          : mode === 'open'
            ? opts.openDmRate
            : opts.rate;
    const name = `${store.prefix}dm-${mode}`;
    const run = await runJob(
      {
        job: 'dm',
        target: kind,
        port: server.port,
        userBase: users(2 * pairs),
        addrs: addresses(2 * pairs),
        pairs,
        rate,
        window: opts.dmWindow,
        warmupS: mode === 'open' ? opts.openWarmup : opts.warmup,
        durationS: mode === 'open' ? opts.openDuration : opts.duration,
        ...receiptsOf(receipts),
      },
      () => [server.pid],
      { server, name: `${name}-${kind}${variant ? `-${variant}` : ''}${receipts ? '' : '-no-receipts'}` },
    );
    emit({
      scenario: name,
      target: kind,
      variant: variant || undefined,
      row: receipts ? undefined : NO_RECEIPTS,
      ...run.result,
      serverCpu: run.serverCpu,
      eld: run.eld,
    });
  });
}

async function fanout(
  kind: TargetKind,
  variant = '',
  env: NodeJS.ProcessEnv = {},
  receipts = true,
  open = false,
  store: Store = SQLITE,
): Promise<void> {
  await store.run(
    kind,
    variant,
    async (server) => {
      const members = open ? opts.openMembers : opts.members;
      const name = `${store.prefix}fanout${open ? '-open' : ''}`;
      const run = await runJob(
        {
          job: 'fanout',
          target: kind,
          port: server.port,
          userBase: users(members),
          addrs: addresses(members),
          members,
          senders: open ? opts.openSenders : opts.senders,
          window: opts.window,
          rate: open ? opts.openRate : 0,
          sampleEvery: open ? opts.openSample : opts.sample,
          warmupS: open ? opts.openWarmup : opts.warmup,
          durationS: open ? opts.openDuration : opts.duration,
          ...receiptsOf(receipts),
        },
        () => [server.pid],
        {
          server,
          name: `${name}-${kind}${variant ? `-${variant}` : ''}${env.RAW_NAIVE ? '-naive' : ''}${receipts ? '' : '-no-receipts'}`,
        },
      );
      emit({
        scenario: name,
        target: env.RAW_NAIVE === '1' ? 'raw-naive' : kind,
        variant: variant || undefined,
        row: receipts ? undefined : NO_RECEIPTS,
        ...run.result,
        serverCpu: run.serverCpu,
        eld: run.eld,
      });
    },
    env,
  );
}

/** Where Parley keeps its data for a run: SQLite (the default) or one node over PostgreSQL + Redis (`pg`). */
interface Store {
  prefix: string;
  run(kind: TargetKind, variant: string, f: (server: Server) => Promise<void>, env?: NodeJS.ProcessEnv): Promise<void>;
}

const SQLITE: Store = {
  prefix: '',
  async run(kind, variant, f, env = {}) {
    const server = await startServer(kind, { ...env, ...(variant ? { BENCH_VARIANT: variant } : {}) });
    try {
      await f(server);
    } finally {
      await server.stop();
    }
  },
};

/** One Parley node over PostgreSQL + Redis (a fresh database and key prefix per run); the references as usual. */
const PG_NODE: Store = {
  prefix: 'pg-',
  async run(kind, variant, f, env = {}) {
    if (kind !== 'parley') return SQLITE.run(kind, variant, f, env);
    await withPgNode(async (nodeEnv) => {
      const server = await startServer(kind, {
        ...env,
        ...nodeEnv,
        PARLEY_PG_POOL_MAX: String(opts.pgPool),
        ...(variant ? { BENCH_VARIANT: variant } : {}),
      });
      try {
        await f(server);
      } finally {
        await server.stop();
      }
    });
  },
};

async function catchup(kind: TargetKind): Promise<void> {
  const server = await startServer(kind, kind === 'socketio' ? { SIO_RECOVERY: '1' } : {});
  try {
    const run = await runJob(
      {
        job: 'catchup',
        target: kind,
        port: server.port,
        userBase: users(2),
        addrs: addresses(3),
        messages: opts.catchup,
      },
      () => [server.pid],
    );
    emit({ scenario: 'catchup', target: kind, ...run.result });
  } finally {
    await server.stop();
  }
}

async function techniques(): Promise<void> {
  const named = opts.variants;
  for (const [name, v] of Object.entries(VARIANTS)) {
    if (named ? !named.includes(name) : v.optional) continue;
    note(`technique off: ${name} (${v.technique})`);
    for (const scenario of v.scenarios) {
      if (scenario === 'fanout') await fanout('parley', name);
      else if (scenario === 'conn') {
        // Memory per connection: before and after at a smaller scale of their own (the 19,000 run is slow).
        const n = Math.min(opts.conns, 5000);
        await conn('parley', '', n, `${name}:after`);
        await conn('parley', name, n);
      } else await dm('parley', scenario === 'dm-max' ? 'max' : scenario === 'dm-half' ? 'half' : 'latency', name);
    }
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  if (opts.waitLoad > 0) {
    const until = Date.now() + opts.waitLoad * 1000;
    while (loadAverage() > opts.maxLoad && Date.now() < until) {
      note(`1-minute load ${loadAverage()} > ${opts.maxLoad}: waiting`);
      await new Promise((r) => setTimeout(r, 15_000));
    }
  }
  const load = loadAverage();
  note(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, node ${process.version}; server on cpu ${serverCpus ?? 'any'}, ` +
      `load generator on cpu ${loadgenCpus ?? 'any'}; 1-minute load ${load}${load > opts.maxLoad ? ' (HIGH: figures are disturbed)' : ''}`,
  );
  note(`results: ${resultsFile}`);
  const want = (s: string) => opts.only.includes(s);
  const targets = opts.targets;
  const step = async (name: string, f: () => Promise<void>) => {
    note(`${name} ...`);
    try {
      await f();
    } catch (err) {
      emit({ scenario: name, error: (err as Error).message });
    }
  };
  if (want('conn')) for (const k of targets) await step(`conn ${k}`, () => conn(k));
  if (want('dm')) {
    for (const k of targets) await step(`dm-max ${k}`, () => dm(k, 'max'));
    for (const k of targets) await step(`dm-latency ${k}`, () => dm(k, 'latency'));
    for (const k of targets) await step(`dm-half ${k}`, () => dm(k, 'half'));
  }
  const parley = targets.includes('parley');
  const compare = parley && opts.noReceiptsRow;
  if (want('dm') && compare) {
    await step('dm-max parley (no receipts)', () => dm('parley', 'max', '', false));
    await step('dm-latency parley (no receipts)', () => dm('parley', 'latency', '', false));
  }
  if (want('fanout')) {
    for (const k of targets) await step(`fanout ${k}`, () => fanout(k));
    if (compare) await step('fanout parley (no receipts)', () => fanout('parley', '', {}, false));
    if (opts.rawNaive) await step('fanout raw-naive', () => fanout('raw', '', { RAW_NAIVE: '1' }));
  }
  if (want('open')) {
    for (const k of targets) await step(`fanout-open ${k}`, () => fanout(k, '', {}, true, true));
    if (compare) await step('fanout-open parley (no receipts)', () => fanout('parley', '', {}, false, true));
    for (const k of targets) await step(`dm-open ${k}`, () => dm(k, 'open'));
    if (compare) await step('dm-open parley (no receipts)', () => dm('parley', 'open', '', false));
  }
  if (want('pg') && parley) {
    await step('pg-fanout-open parley', () => fanout('parley', '', {}, true, true, PG_NODE));
    if (compare)
      await step('pg-fanout-open parley (no receipts)', () => fanout('parley', '', {}, false, true, PG_NODE));
    await step('pg-dm-open parley', () => dm('parley', 'open', '', true, PG_NODE));
    if (compare) await step('pg-dm-open parley (no receipts)', () => dm('parley', 'open', '', false, PG_NODE));
  }
  if (want('catchup')) for (const k of targets.filter((t) => t !== 'raw')) await step(`catchup ${k}`, () => catchup(k));
  if (want('techniques') && targets.includes('parley')) await step('techniques', techniques);
  if (want('cluster')) await step('cluster', runCluster);
  note(`done in ${round((performance.now() - started) / 1000, 0)} s`);
  printTable(results);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
