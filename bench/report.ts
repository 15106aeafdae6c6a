/** The readable table printed at the end of a bench run (the JSON lines carry every figure). */
type R = Record<string, unknown>;
type Pick = (r: R) => number | null | undefined;

const get =
  (...path: string[]): Pick =>
  (r) => {
    let v: unknown = r;
    for (const p of path) v = v && typeof v === 'object' ? (v as R)[p] : undefined;
    return typeof v === 'number' ? v : null;
  };

type Row = { scenario: string; label: string; pick: Pick };

/** What every run with receivers reports beside its figures: event-loop delay and the receipts' traffic. */
const receiptRows = (scenario: string): Row[] => [
  { scenario, label: 'server event-loop delay p99 ms', pick: get('eld', 'p99') },
  { scenario, label: 'confirmations / s (delivered)', pick: get('receipts', 'deliveredPerSec') },
  { scenario, label: 'receipts to senders / s', pick: get('receipts', 'receiptsPerSec') },
  { scenario, label: 'final receipts missing (delivered + read)', pick: (r) => receiptsMissing(r) },
];

const dmRows = (scenario: string, rate: Row): Row[] => [
  rate,
  { scenario, label: 'delivered msg/s', pick: get('deliveredPerSec') },
  { scenario, label: 'ack p99 ms', pick: get('ack', 'p99') },
  { scenario, label: 'delivery p50 ms', pick: get('delivery', 'p50') },
  { scenario, label: 'delivery p99 ms', pick: get('delivery', 'p99') },
  { scenario, label: 'delivery max ms', pick: get('delivery', 'max') },
  { scenario, label: 'lost / duplicated', pick: (r) => lostDup(r) },
  ...receiptRows(scenario),
];

const fanoutRows = (scenario: string): Row[] => [
  { scenario, label: 'deliveries / s', pick: get('deliveriesPerSec') },
  { scenario, label: 'messages / s', pick: get('messagesPerSec') },
  { scenario, label: 'latency p50 ms', pick: get('latency', 'p50') },
  { scenario, label: 'latency p99 ms', pick: get('latency', 'p99') },
  { scenario, label: 'missing / extra deliveries', pick: (r) => missingExtra(r) },
  ...receiptRows(scenario),
];

const ROWS: Row[] = [
  { scenario: 'conn', label: 'server RSS per idle connection (KB)', pick: get('rssPerConnKB') },
  { scenario: 'conn', label: 'connections opened / s', pick: get('connectPerSec') },
  { scenario: 'conn', label: 'connections held', pick: get('connections') },
  ...dmRows('dm-max', { scenario: 'dm-max', label: 'stored + acked msg/s (closed loop)', pick: get('storedPerSec') }),
  ...dmRows('dm-latency', { scenario: 'dm-latency', label: 'offered msg/s', pick: get('offeredPerSec') }),
  ...dmRows('dm-half', { scenario: 'dm-half', label: 'offered msg/s (half its own max)', pick: get('offeredPerSec') }),
  ...fanoutRows('fanout'),
  ...fanoutRows('fanout-open'),
  ...dmRows('dm-open', { scenario: 'dm-open', label: 'offered msg/s (open loop)', pick: get('offeredPerSec') }),
  ...fanoutRows('pg-fanout-open'),
  ...dmRows('pg-dm-open', { scenario: 'pg-dm-open', label: 'offered msg/s (open loop)', pick: get('offeredPerSec') }),
  { scenario: 'catchup', label: 'seconds until all held', pick: get('seconds') },
];

/** Receipts that never reached the senders by the end of a run (must be 0 when receivers confirm). */
function receiptsMissing(r: R): number | null {
  const f = (r.receipts as R | undefined)?.final as R | undefined;
  const d = f?.missingDelivered;
  const m = f?.missingRead;
  return typeof d === 'number' && typeof m === 'number' ? d + m : null;
}

function missingExtra(r: R): number | null {
  const m = r.missing;
  const e = r.extra;
  return typeof m === 'number' && typeof e === 'number' ? m + e : null;
}

/** lost + duplicated as one number (must be 0). */
function lostDup(r: R): number | null {
  const l = r.lost;
  const d = r.duplicated;
  return typeof l === 'number' && typeof d === 'number' ? l + d : null;
}

function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined) return '-';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 100) return v.toFixed(0);
  return String(Math.round(v * 100) / 100);
}

function ratio(a: number | null | undefined, b: number | null | undefined): string {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return '-';
  return `${(a / b).toFixed(2)}x`;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const cpu = (r: R | undefined, key: string) => (r && typeof r[key] === 'number' ? (r[key] as number).toFixed(2) : '-');

export function printTable(results: R[]): void {
  const find = (scenario: string, target: string, row?: string) =>
    results.find(
      (r) => r.scenario === scenario && r.target === target && r.variant === undefined && r.row === row && !r.error,
    );
  // The references store nothing: the pg- runs are compared with the references of the same scenario.
  const refScenario = (scenario: string) => scenario.replace(/^pg-/, '');
  const rows: string[][] = [];
  for (const row of ROWS) {
    const p = find(row.scenario, 'parley');
    const n = find(row.scenario, 'parley', 'no-receipts');
    const raw = find(refScenario(row.scenario), 'raw');
    const sio = find(refScenario(row.scenario), 'socketio');
    if (!p && !n && !raw && !sio) continue;
    const [a, z, b, c] = [p, n, raw, sio].map((r) => (r ? row.pick(r) : null));
    rows.push([
      row.scenario,
      row.label,
      fmt(a),
      fmt(z),
      fmt(b),
      fmt(c),
      ratio(a, b),
      ratio(a, c),
      `${cpu(p, 'loadgenCpu')} / ${cpu(n, 'loadgenCpu')} / ${cpu(raw, 'loadgenCpu')} / ${cpu(sio, 'loadgenCpu')}`,
      `${cpu(p, 'serverCpu')} / ${cpu(n, 'serverCpu')} / ${cpu(raw, 'serverCpu')} / ${cpu(sio, 'serverCpu')}`,
      `${cpu(p, 'load1')} / ${cpu(n, 'load1')}`,
    ]);
  }
  const naive = find('fanout', 'raw-naive');
  const out: string[] = [];
  if (rows.length > 0) {
    out.push(
      table(
        [
          'scenario',
          'metric',
          'Parley',
          'P no receipts',
          'raw ws',
          'Socket.IO',
          'Parley/raw',
          'Parley/SIO',
          'loadgen CPU P/noR/raw/SIO',
          'server CPU P/noR/raw/SIO',
          'load1 P/noR',
        ],
        rows,
      ),
    );
    if (naive)
      out.push(
        `raw ws router written naively (ws.send per recipient): ${fmt(naive.deliveriesPerSec as number)} deliveries/s`,
      );
  }
  const variants = results.filter(
    (r) => typeof r.variant === 'string' && !String(r.variant).endsWith(':after') && !r.error,
  );
  if (variants.length > 0) {
    const vrows = variants.flatMap((v) => {
      const after =
        results.find((r) => r.scenario === v.scenario && r.variant === `${v.variant}:after` && !r.error) ??
        find(v.scenario as string, 'parley');
      // Higher is better for rates; for latency, memory and CPU the gain is before / after.
      const measures: [string, Pick, boolean][] =
        v.scenario === 'fanout'
          ? [['deliveries/s', get('deliveriesPerSec'), true]]
          : v.scenario === 'dm-max'
            ? [['stored msg/s', get('storedPerSec'), true]]
            : v.scenario === 'conn'
              ? [['RSS per connection KB', get('rssPerConnKB'), false]]
              : v.scenario === 'dm-latency'
                ? [['delivered msg/s (overloaded)', get('deliveredPerSec'), true]]
                : [
                    ['server CPU at the same rate', get('serverCpu'), false],
                    ['delivery p99 ms', get('delivery', 'p99'), false],
                  ];
      return measures.map(([label, pick, higher]) => {
        const [b, a] = [pick(v), after ? pick(after) : null];
        return [
          v.variant as string,
          `${v.scenario} ${label}`,
          fmt(b),
          fmt(a),
          higher ? ratio(a, b) : ratio(b, a),
          `${cpu(v, 'loadgenCpu')} / ${cpu(after, 'loadgenCpu')}`,
        ];
      });
    });
    out.push(table(['technique off (before)', 'measure', 'before', 'after', 'gain', 'loadgen CPU b/a'], vrows));
  }
  const cluster = results.filter((r) => String(r.scenario).startsWith('cluster') && !r.error);
  if (cluster.length > 0) {
    const crows: string[][] = [];
    for (const r of cluster) {
      if (r.scenario === 'cluster-conn') {
        crows.push(['idle connections held', fmt(r.connections as number), `${fmt(r.workers as number)} workers`]);
        crows.push(['server RSS per connection (KB)', fmt(r.rssPerConnKB as number), 'workers, after - before']);
        crows.push(['connections opened / s', fmt(r.connectPerSec as number), `loadgen CPU ${cpu(r, 'loadgenCpu')}`]);
      }
      if (r.scenario === 'cluster-conn') {
        crows.push(['server CPU holding them idle (cores)', fmt(r.idleServerCpu as number), 'heartbeats, presence']);
      }
      if (String(r.scenario).startsWith('cluster-fanout')) {
        crows.push([
          `cross-node fan-out deliveries / s (${fmt(r.idleConnections as number)} idle open)`,
          fmt(r.deliveriesPerSec as number),
          `${fmt(r.members as number)} members, server CPU ${cpu(r, 'serverCpu')}`,
        ]);
        crows.push([
          'cross-node latency p50 / p99 ms',
          `${fmt(get('latency', 'p50')(r))} / ${fmt(get('latency', 'p99')(r))}`,
          `loadgen CPU ${cpu(r, 'loadgenCpu')}`,
        ]);
      }
    }
    out.push(table(['cluster', 'value', 'note'], crows));
  }
  const errors = results.filter((r) => r.error);
  for (const e of errors) out.push(`FAILED ${e.scenario}: ${e.error}`);
  console.log(`\n${out.join('\n\n')}\n`);
}
