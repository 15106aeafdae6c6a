import { Confirmer, type Confirming, confirming } from './lib/confirm.js';
import { RawWs } from './lib/raw-ws.js';
import { nowUs, round, Samples } from './lib/stats.js';
import { ackSeqOf, markerOf, markerText, type Target, type TargetKind, targetOf } from './lib/targets.js';
import { hostToken } from './lib/token.js';

/**
 * The load generator: a process of its own (pinned by the runner to another core than the server) that runs one
 * job it is sent over IPC and replies with one result. Every job is bounded in messages and time.
 */

interface Common {
  target: TargetKind;
  host: string;
  port: number;
  secret: string;
  userBase: number;
  /** Source addresses (127.0.0.x) the connections are spread over. */
  addrs: string[];
  concurrency: number;
  /** Text length of each message, marker included. */
  textBytes: number;
  timeoutS: number;
}

/** Receivers confirming as the SDK does (lib/confirm.ts); absent: they never confirm (the comparison row). */
interface Receipts {
  /** Confirm delivery (msg.delivered) at most every `confirmMs` while messages arrive. */
  confirm: boolean;
  /** Share of the receivers that also mark read (conv.read) at the same cadence. */
  readShare: number;
  confirmMs: number;
}

export interface ConnectJob extends Common {
  job: 'connect';
  count: number;
}
export interface DmJob extends Common, Receipts {
  job: 'dm';
  pairs: number;
  /** Messages/s per pair; 0 = as fast as acks allow, `window` in flight per pair. */
  rate: number;
  window: number;
  warmupS: number;
  durationS: number;
}
export interface FanoutJob extends Common, Receipts {
  job: 'fanout';
  members: number;
  senders: number;
  window: number;
  /** Messages/s per sender (open loop); 0 = closed loop, `window` in flight per sender. */
  rate: number;
  /** Receivers look at one frame in this many (for latency); all are counted. */
  sampleEvery: number;
  warmupS: number;
  durationS: number;
}
export interface CatchupJob extends Common {
  job: 'catchup';
  messages: number;
}
export type Job = ConnectJob | DmJob | FanoutJob | CatchupJob;

interface Client extends Confirming {
  i: number;
  user: string;
  ready: boolean;
}

/** Which receivers mark read: `share` of them, spread evenly over the indexes `eligible` accepts. */
function readerOf(share: number, eligible: (i: number) => boolean): (i: number) => boolean {
  if (share <= 0) return () => false;
  const every = Math.max(1, Math.round(1 / share));
  return (i) => eligible(i) && i % every === every - 1;
}

type FrameHandler = (c: Client, payload: Buffer) => void;

const send = (m: unknown) => process.send?.(m);
/** How long a run waits, after its drain, for the last receipts to reach the senders (then reports what is missing). */
const RECEIPTS_WAIT_MS = 15_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cpuTimer() {
  const start = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const d = process.cpuUsage(start);
    return round((d.user + d.system) / 1000 / (performance.now() - t0), 3);
  };
}

function filler(textBytes: number): string {
  return 'x'.repeat(Math.max(0, textBytes - 32));
}

/** Opens one connection and waits until it is ready (authenticated). */
function openOne(
  t: Target,
  job: Common,
  i: number,
  user: string,
  rooms: string[] | undefined,
  sampleEvery: number,
  onFrame: FrameHandler,
  greeting?: string,
  confirmer?: Confirmer<Client>,
  reader = false,
): Promise<Client> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error('ready timeout'));
    }, 15_000);
    const ws = new RawWs({
      host: job.host,
      port: job.port,
      path: t.path(user, rooms),
      localAddress: job.addrs[i % job.addrs.length],
      sampleEvery: t.isReady === null ? sampleEvery : 1,
      ...(confirmer
        ? { onPeek: (buf: Buffer, start: number, end: number) => confirmer.peek(client, buf, start, end) }
        : {}),
      onFrame: (payload) => {
        if (t.control(payload, ws)) return;
        // Frames before the ready one go to the handler too (Socket.IO replays missed packets before it).
        if (!client.ready) {
          if (t.isReady?.(payload)) {
            client.ready = true;
            ws.setSampleEvery(sampleEvery);
            clearTimeout(timer);
            // Receivers in the dm and fanout jobs start as the SDK does (its first request after hello).
            if (confirmer && t.start !== null) ws.send(t.start);
            onFrame(client, payload);
            resolve(client);
            return;
          }
          if (payload.includes('"type":"error"')) {
            clearTimeout(timer);
            ws.close();
            reject(new Error(payload.toString().slice(0, 200)));
            return;
          }
        }
        onFrame(client, payload);
      },
    });
    const client: Client = { ...confirming(ws, reader), i, user, ready: false };
    ws.opened().then(
      () => {
        const g = greeting ?? t.greeting(user);
        if (g !== null) ws.send(g);
        if (t.isReady === null) {
          client.ready = true;
          clearTimeout(timer);
          resolve(client);
        }
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** Opens `count` connections, `concurrency` at a time. */
async function openMany(
  t: Target,
  job: Common,
  count: number,
  userOf: (i: number) => string,
  roomsOf: (i: number) => string[] | undefined,
  sampleOf: (i: number) => number,
  onFrame: FrameHandler,
  confirmer?: Confirmer<Client>,
  isReader: (i: number) => boolean = () => false,
): Promise<{ clients: Client[]; byIndex: Client[]; failed: number; seconds: number; firstError: string | null }> {
  const clients: Client[] = new Array(count);
  let next = 0;
  let failed = 0;
  let firstError: string | null = null;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      for (let attempt = 0; ; attempt++) {
        try {
          clients[i] = await openOne(
            t,
            job,
            i,
            userOf(i),
            roomsOf(i),
            sampleOf(i),
            onFrame,
            undefined,
            confirmer,
            isReader(i),
          );
          break;
        } catch (err) {
          if (attempt < 2) continue;
          failed++;
          firstError ??= (err as Error).message;
          break;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(job.concurrency, count) }, worker));
  return {
    clients: clients.filter(Boolean),
    byIndex: clients,
    failed,
    seconds: (performance.now() - started) / 1000,
    firstError,
  };
}

/** N idle authenticated connections: how fast they open; held until the runner says release. */
async function runConnect(job: ConnectJob): Promise<void> {
  const t = targetOf(job.target, job.secret);
  const cpu = cpuTimer();
  const r = await openMany(
    t,
    job,
    job.count,
    (i) => String(job.userBase + i),
    () => undefined,
    () => 1,
    () => {},
  );
  send({
    opened: r.clients.length,
    failed: r.failed,
    firstError: r.firstError,
    seconds: round(r.seconds, 3),
    perSec: round(r.clients.length / r.seconds, 0),
    loadgenCpu: cpu(),
  });
  await new Promise<void>((resolve) =>
    process.on('message', (m: { cmd?: string }) => {
      if (m.cmd === 'release') resolve();
    }),
  );
  const stillOpen = r.clients.filter((c) => c.ws.open).length;
  for (const c of r.clients) c.ws.close();
  send({ released: true, stillOpen });
}

/** P pairs, each sender at R msg/s (or closed loop): stored, acked, delivered; latencies; lost and duplicated. */
async function runDm(job: DmJob): Promise<unknown> {
  const t = targetOf(job.target, job.secret);
  const P = job.pairs;
  const total = job.warmupS + job.durationS;
  const stride = (job.rate > 0 ? Math.ceil(job.rate * total * 1.1) + 16 : Math.ceil(3_000_000 / P)) + 1;
  const sentAt = new Float64Array(P * stride);
  const seen = new Uint8Array(P * stride);
  const sent = new Int32Array(P);
  const acked = new Int32Array(P);
  const received = new Int32Array(P);
  let errors = 0;
  let firstError: string | null = null;
  let dup = 0;
  // Rates count what arrives during the window; latencies are those of messages sent during it, however late
  // they arrive (an overloaded server shows as long latencies, not as missing samples).
  let windowStart = Number.POSITIVE_INFINITY;
  let windowEnd = Number.POSITIVE_INFINITY;
  let measuring = false;
  let windowAcked = 0;
  let windowDelivered = 0;
  let sending = true;
  const ackLat = new Samples();
  const delLat = new Samples();
  const text = filler(job.textBytes);
  const dirty = new Set<number>();
  let pumpScheduled = false;
  const clients: Client[] = [];
  // Receipts: each receiver confirms as the SDK does; each sender sees its peer's positions in `receipt` events.
  const confirmer = new Confirmer<Client>(t, job.confirm, job.confirmMs);
  const isReader = readerOf(job.readShare, (i) => i % 2 === 1);
  const lastAckSeq = new Float64Array(P);
  const receiptDelivered = new Float64Array(P);
  const receiptRead = new Float64Array(P);
  confirmer.onReceipt = (c, buf, start, end) => {
    if (c.i % 2 !== 0) return;
    const r = t.receiptOf(buf, start, end);
    if (r === null) return;
    const pair = c.i / 2;
    if (r[1] > (receiptDelivered[pair] as number)) receiptDelivered[pair] = r[1];
    if (r[2] > (receiptRead[pair] as number)) receiptRead[pair] = r[2];
  };

  const sendOne = (pair: number, frames: string[]) => {
    const n = ++sent[pair];
    const at = nowUs();
    sentAt[pair * stride + n] = at;
    frames.push(t.dm(n, String(job.userBase + 2 * pair + 1), `c${pair}-${n}`, markerText(pair, n, at, text)));
  };
  const pump = () => {
    pumpScheduled = false;
    for (const pair of dirty) {
      const frames: string[] = [];
      while (sending && sent[pair] - acked[pair] < job.window && sent[pair] < stride - 1) sendOne(pair, frames);
      clients[2 * pair]?.ws.sendMany(frames);
    }
    dirty.clear();
  };

  const onFrame: FrameHandler = (c, payload) => {
    const now = nowUs();
    if (c.i % 2 === 0) {
      const pair = c.i / 2;
      const n = t.ackOf(payload);
      if (n >= 0) {
        acked[pair]++;
        if (job.confirm) {
          const seq = ackSeqOf(payload);
          if (seq > (lastAckSeq[pair] as number)) lastAckSeq[pair] = seq;
        }
        const at = sentAt[pair * stride + n] as number;
        if (measuring) windowAcked++;
        if (at >= windowStart && at < windowEnd) ackLat.add((now - at) / 1000);
        if (job.rate === 0) {
          dirty.add(pair);
          if (!pumpScheduled) {
            pumpScheduled = true;
            setImmediate(pump);
          }
        }
      } else if (n === -2) {
        errors++;
        acked[pair]++;
        firstError ??= payload.toString().slice(0, 300);
      }
      return;
    }
    const m = markerOf(payload);
    if (!m) return;
    const [pair, n, at] = m;
    const idx = pair * stride + n;
    if (seen[idx]) {
      dup++;
      return;
    }
    seen[idx] = 1;
    received[pair]++;
    if (measuring) windowDelivered++;
    if (at >= windowStart && at < windowEnd) delLat.add((now - at) / 1000);
  };

  const opened = await openMany(
    t,
    job,
    2 * P,
    (i) => String(job.userBase + i),
    () => undefined,
    () => 1,
    onFrame,
    confirmer,
    isReader,
  );
  if (opened.failed > 0) throw new Error(`${opened.failed} connections failed: ${opened.firstError}`);
  clients.push(...opened.clients);
  const confirmsAt = { d: 0, r: 0, rc: 0 };
  const receiptsSeen = () => clients.reduce((a, c) => a + c.receipts, 0);

  const started = nowUs();
  const cpu = { stop: null as null | (() => number) };
  const windowTimer = setTimeout(() => {
    windowStart = nowUs();
    measuring = true;
    send({ window: 'begin' });
    cpu.stop = cpuTimer();
    confirmsAt.d = confirmer.delivered;
    confirmsAt.r = confirmer.reads;
    confirmsAt.rc = receiptsSeen();
  }, job.warmupS * 1000);
  let tick: NodeJS.Timeout | null = null;
  if (job.rate > 0) {
    tick = setInterval(() => {
      if (!sending) return;
      const elapsedS = (nowUs() - started) / 1e6;
      for (let pair = 0; pair < P; pair++) {
        const due = Math.min(stride - 1, Math.floor(job.rate * elapsedS + pair / P));
        if (due <= sent[pair]) continue;
        const frames: string[] = [];
        while (sent[pair] < due) sendOne(pair, frames);
        clients[2 * pair]?.ws.sendMany(frames);
      }
    }, 1);
  } else {
    for (let pair = 0; pair < P; pair++) dirty.add(pair);
    pump();
  }
  await sleep(total * 1000);
  windowEnd = nowUs();
  const windowS = (windowEnd - windowStart) / 1e6;
  measuring = false;
  sending = false;
  send({ window: 'end' });
  const loadgenCpu = cpu.stop ? cpu.stop() : 0;
  const confirmsPerSec = round((confirmer.delivered - confirmsAt.d) / windowS, 0);
  const readsPerSec = round((confirmer.reads - confirmsAt.r) / windowS, 0);
  const receiptsPerSec = round((receiptsSeen() - confirmsAt.rc) / windowS, 0);
  if (tick) clearInterval(tick);
  clearTimeout(windowTimer);
  // Drain: everything acked delivered (bounded). An overloaded server still has sends to ack: they are not
  // acknowledged, so not counted (sent - acked shows that backlog).
  const drainUntil = Date.now() + 15_000;
  const done = () => {
    for (let p = 0; p < P; p++) if (received[p] < acked[p]) return false;
    return true;
  };
  await sleep(200);
  while (!done() && Date.now() < drainUntil) await sleep(50);
  // Receipts: every sender finally sees its peer's delivered position (and a reader's read position) at its last
  // acknowledged seq (bounded wait: confirmations are due within confirmMs, receipts within a turn after that).
  const receiptsShort = () => {
    let delivered = 0;
    let read = 0;
    for (let p = 0; p < P; p++) {
      if ((receiptDelivered[p] as number) < (lastAckSeq[p] as number)) delivered++;
      if (isReader(2 * p + 1) && (receiptRead[p] as number) < (lastAckSeq[p] as number)) read++;
    }
    return { delivered, read };
  };
  const receiptsUntil = Date.now() + RECEIPTS_WAIT_MS;
  const receiptsWaitStarted = performance.now();
  if (job.confirm) {
    while (Date.now() < receiptsUntil) {
      const short = receiptsShort();
      if (short.delivered === 0 && short.read === 0) break;
      await sleep(25);
    }
  }
  const receiptsWaitMs = round(performance.now() - receiptsWaitStarted, 0);
  const short = job.confirm ? receiptsShort() : null;
  let sentTotal = 0;
  let ackedTotal = 0;
  if (acked.every((n) => n === 0)) throw new Error('no message was acknowledged');
  let lost = 0;
  for (let p = 0; p < P; p++) {
    sentTotal += sent[p] as number;
    ackedTotal += acked[p] as number;
    lost += Math.max(0, (acked[p] as number) - (received[p] as number));
  }
  for (const c of clients) c.ws.close();
  return {
    pairs: P,
    offeredPerSec: job.rate > 0 ? P * job.rate : null,
    sent: sentTotal,
    acked: ackedTotal,
    errors,
    firstError,
    storedPerSec: round(windowAcked / windowS, 0),
    deliveredPerSec: round(windowDelivered / windowS, 0),
    ack: ackLat.summary(),
    delivery: delLat.summary(),
    lost: lost - errors,
    duplicated: dup,
    connectPerSec: round(opened.clients.length / opened.seconds, 0),
    receipts: receiptsReport(job, confirmer, confirmsPerSec, readsPerSec, receiptsPerSec, {
      waitMs: receiptsWaitMs,
      missingDelivered: short?.delivered ?? null,
      missingRead: short?.read ?? null,
      of: P,
    }),
    loadgenCpu,
  };
}

/** What the receivers confirmed and the senders saw: rates over the window, and what never arrived. */
function receiptsReport(
  job: Receipts,
  c: Confirmer<Client>,
  confirmsPerSec: number,
  readsPerSec: number,
  receiptsPerSec: number,
  final: { waitMs: number; missingDelivered: number | null; missingRead: number | null; of: number },
): Record<string, unknown> {
  return {
    confirm: job.confirm,
    readShare: job.confirm ? job.readShare : 0,
    deliveredPerSec: confirmsPerSec,
    readPerSec: readsPerSec,
    receiptsPerSec,
    unparsed: c.unparsed,
    errorFrames: c.errorFrames,
    firstError: c.firstError,
    final,
  };
}

/** A group of G members, S of them sending with `window` messages in flight each: deliveries/s and latency. */
async function runFanout(job: FanoutJob): Promise<unknown> {
  const t = targetOf(job.target, job.secret);
  const S = job.senders;
  const G = job.members;
  const text = filler(job.textBytes);
  const lat = new Samples();
  const sent = new Int32Array(S);
  const acked = new Int32Array(S);
  let errors = 0;
  let firstError: string | null = null;
  let windowStart = Number.POSITIVE_INFINITY;
  let windowEnd = Number.POSITIVE_INFINITY;
  let sending = false;
  let groupId = 'bench';
  const dirty = new Set<number>();
  let pumpScheduled = false;
  let clients: Client[] = [];
  let byIndex: Client[] = [];
  const maxPerSender = Math.ceil(5_000_000 / S);
  const openLoop = job.rate > 0;
  // Receipts: every member confirms as the SDK does (the senders too, for the others' messages); readers are
  // picked among the members that do not send.
  const confirmer = new Confirmer<Client>(t, job.confirm, job.confirmMs);
  const isReader = readerOf(job.readShare, (i) => i >= S);
  const lastSeqBy = new Float64Array(S);
  // Once sending stopped: each member's highest delivered / read position as the senders see it in receipts.
  let receiptsBy: Map<number, [number, number]>[] | null = null;
  confirmer.onReceipt = (c, buf, start, end) => {
    if (receiptsBy === null || c.i >= S) return;
    const r = t.receiptOf(buf, start, end);
    if (r === null) return;
    const m = receiptsBy[c.i] as Map<number, [number, number]>;
    const had = m.get(r[0]);
    if (!had) m.set(r[0], [r[1], r[2]]);
    else {
      if (r[1] > had[0]) had[0] = r[1];
      if (r[2] > had[1]) had[1] = r[2];
    }
  };

  const sendOne = (s: number, frames: string[]) => {
    const n = ++sent[s];
    frames.push(t.group(n, groupId, `f${job.userBase}-${s}-${n}`, markerText(s, n, nowUs(), text)));
  };
  const pump = () => {
    pumpScheduled = false;
    for (const s of dirty) {
      const frames: string[] = [];
      while (sending && sent[s] - acked[s] < job.window && sent[s] < maxPerSender) sendOne(s, frames);
      byIndex[s]?.ws.sendMany(frames);
    }
    dirty.clear();
  };
  const schedule = (s: number) => {
    if (openLoop) return;
    dirty.add(s);
    if (!pumpScheduled) {
      pumpScheduled = true;
      setImmediate(pump);
    }
  };

  const onFrame: FrameHandler = (c, payload) => {
    if (c.i < S) {
      const n = t.ackOf(payload);
      if (n >= 0) {
        acked[c.i]++;
        if (job.confirm) {
          const seq = ackSeqOf(payload);
          if (seq > (lastSeqBy[c.i] as number)) lastSeqBy[c.i] = seq;
        }
        schedule(c.i);
        return;
      }
      if (n === -2) {
        errors++;
        acked[c.i]++;
        firstError ??= payload.toString().slice(0, 300);
        schedule(c.i);
        return;
      }
    }
    const m = markerOf(payload);
    if (!m) return;
    if (m[2] >= windowStart && m[2] < windowEnd) lat.add((nowUs() - m[2]) / 1000);
  };

  // Parley: the group is made before its members connect, so nobody receives its G x G membership events.
  const memberIds = Array.from({ length: G }, (_, i) => String(job.userBase + i));
  if (job.target === 'parley') groupId = await createGroup(job, memberIds);
  const opened = await openMany(
    t,
    job,
    G,
    (i) => memberIds[i] as string,
    () => (job.target === 'parley' ? undefined : ['bench']),
    (i) => (i < S ? 1 : job.sampleEvery),
    onFrame,
    confirmer,
    isReader,
  );
  // A busy cluster may refuse a few (UNAVAILABLE, reconnect): up to 1% of the members may stay offline.
  if (opened.failed > Math.floor(G / 100)) throw new Error(`${opened.failed} connections failed: ${opened.firstError}`);
  clients = opened.clients;
  byIndex = opened.byIndex;
  // Let setup frames (a conv.member event per member to every member) settle for a whole second, then count from
  // here: only messages arrive after this.
  let last = -1;
  for (let i = 0; i < 120; i++) {
    const now = clients.reduce((a, c) => a + c.ws.frames, 0);
    if (now === last) break;
    last = now;
    await sleep(1000);
  }
  // Deliveries: the messages each member received (counted from every frame's first bytes, so receipts and read
  // replies are not counted as deliveries).
  const frameSum = () => {
    let n = 0;
    for (let i = 0; i < clients.length; i++) n += (clients[i] as Client).msgs;
    return n;
  };
  const receiptsSeen = () => clients.reduce((a, c) => a + c.receipts, 0);

  sending = true;
  let tick: NodeJS.Timeout | null = null;
  if (openLoop) {
    // Open loop: each sender at `rate` msg/s, staggered, whatever the acks do.
    const started = nowUs();
    tick = setInterval(() => {
      if (!sending) return;
      const elapsedS = (nowUs() - started) / 1e6;
      for (let s = 0; s < S; s++) {
        const due = Math.min(maxPerSender, Math.floor(job.rate * elapsedS + s / S));
        if (due <= (sent[s] as number)) continue;
        const frames: string[] = [];
        while ((sent[s] as number) < due) sendOne(s, frames);
        byIndex[s]?.ws.sendMany(frames);
      }
    }, 1);
  } else for (let s = 0; s < S; s++) schedule(s);
  await sleep(job.warmupS * 1000);
  windowStart = nowUs();
  send({ window: 'begin' });
  const cpu = cpuTimer();
  const d0 = frameSum();
  const a0 = acked.reduce((a, b) => a + b, 0);
  const c0 = { d: confirmer.delivered, r: confirmer.reads, rc: receiptsSeen() };
  await sleep(job.durationS * 1000);
  const d1 = frameSum();
  const a1 = acked.reduce((a, b) => a + b, 0);
  windowEnd = nowUs();
  const windowS = (windowEnd - windowStart) / 1e6;
  sending = false;
  send({ window: 'end' });
  const loadgenCpu = cpu();
  if (tick) clearInterval(tick);
  const confirmsPerSec = round((confirmer.delivered - c0.d) / windowS, 0);
  const readsPerSec = round((confirmer.reads - c0.r) / windowS, 0);
  const receiptsPerSec = round((receiptsSeen() - c0.rc) / windowS, 0);

  // Every message acked reaches every other member (bounded wait).
  const expected = () => {
    let all = 0;
    for (let s = 0; s < S; s++) all += acked[s] as number;
    return all * (clients.length - 1);
  };
  const drainUntil = Date.now() + 20_000;
  while (Date.now() < drainUntil) {
    let inflight = 0;
    for (let s = 0; s < S; s++) inflight += (sent[s] as number) - (acked[s] as number);
    if (inflight === 0 && frameSum() >= expected() - errors * (clients.length - 1)) break;
    await sleep(50);
  }
  if (a1 === 0) throw new Error('no message was acknowledged');
  // Receipts: one last message from the first sender once all are acknowledged; every other member must confirm it
  // (and every reader read it), which its sender sees in receipts (R5: the senders of the messages a move covers).
  let receiptsFinal: { waitMs: number; missingDelivered: number | null; missingRead: number | null; of: number } = {
    waitMs: 0,
    missingDelivered: null,
    missingRead: null,
    of: clients.length - 1,
  };
  if (job.confirm && byIndex[0]) {
    receiptsBy = Array.from({ length: S }, () => new Map());
    const before = acked[0] as number;
    sending = true;
    const frames: string[] = [];
    sendOne(0, frames);
    sending = false;
    byIndex[0].ws.sendMany(frames);
    const started = performance.now();
    const until = Date.now() + RECEIPTS_WAIT_MS;
    const short = () => {
      const finalSeq = lastSeqBy[0] as number;
      const seen = (receiptsBy as Map<number, [number, number]>[])[0] as Map<number, [number, number]>;
      let delivered = 0;
      let read = 0;
      for (const c of clients) {
        if (c.i === 0) continue;
        const r = seen.get(Number(c.user));
        if (!r || r[0] < finalSeq) delivered++;
        if (c.reader && (!r || r[1] < finalSeq)) read++;
      }
      return { delivered, read };
    };
    let s = { delivered: clients.length - 1, read: 0 };
    while (Date.now() < until) {
      if ((acked[0] as number) > before) {
        s = short();
        if (s.delivered === 0 && s.read === 0) break;
      }
      await sleep(25);
    }
    receiptsFinal = {
      waitMs: round(performance.now() - started, 0),
      missingDelivered: s.delivered,
      missingRead: s.read,
      of: clients.length - 1,
    };
  }
  const got = frameSum();
  const want = expected() - errors * (clients.length - 1);
  for (const c of clients) c.ws.close();
  const deliveries = d1 - d0;
  return {
    rate: openLoop ? job.rate : null,
    offeredDeliveriesPerSec: openLoop ? job.rate * S * (clients.length - 1) : null,
    members: clients.length,
    senders: S,
    window: job.window,
    messagesPerSec: round((a1 - a0) / windowS, 0),
    deliveriesPerSec: round(deliveries / windowS, 0),
    latency: lat.summary(),
    missing: Math.max(0, want - got),
    extra: Math.max(0, got - want),
    errors,
    firstError,
    receipts: receiptsReport(job, confirmer, confirmsPerSec, readsPerSec, receiptsPerSec, receiptsFinal),
    loadgenCpu,
  };
}

/** Creates the Parley users and their group (owner: the first), returning the group's conversation id. */
async function createGroup(job: Common, members: string[]): Promise<string> {
  const base = `http://${job.host}:${job.port}`;
  // Users appear on their first authenticated request: one REST call each, 32 at a time.
  let next = 0;
  const touch = async () => {
    while (next < members.length) {
      const user = members[next++] as string;
      const res = await fetch(`${base}/v1/users/me`, {
        headers: { authorization: `Bearer ${hostToken(job.secret, user)}` },
      });
      if (res.status !== 200) throw new Error(`user ${user}: ${res.status} ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, touch));
  const auth = {
    authorization: `Bearer ${hostToken(job.secret, members[0] as string)}`,
    'content-type': 'application/json',
  };
  const others = members.slice(1).map(Number);
  const url = `${base}/v1/groups`;
  const res = await fetch(url, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ name: 'bench', member_ids: others.slice(0, 1000) }),
  });
  if (res.status !== 201) throw new Error(`create group: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { group: { id: number; conversation_id: string } };
  for (let i = 1000; i < others.length; i += 1000) {
    const add = await fetch(`${url}/${body.group.id}/members`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ user_ids: others.slice(i, i + 1000) }),
    });
    if (add.status !== 200) throw new Error(`add members: ${add.status} ${await add.text()}`);
  }
  return body.group.conversation_id;
}

/**
 * A device offline while K messages arrive, then reconnecting: the time from its reconnect until it holds all K.
 * Parley: `sync` from its position, then `msg.history` pages for a conversation it is told to page (as the SDK
 * does). Socket.IO: connection state recovery (the missed broadcasts, replayed from the server's memory).
 */
async function runCatchup(job: CatchupJob): Promise<unknown> {
  const t = targetOf(job.target, job.secret);
  const K = job.messages;
  const sender = String(job.userBase);
  const device = String(job.userBase + 1);
  const text = filler(job.textBytes);
  let acked = 0;
  let errors = 0;
  let firstError: string | null = null;
  const wake = new Set<() => void>();
  const kick = () => {
    for (const w of [...wake]) w();
  };
  const until = async (cond: () => boolean, ms: number, what: string) => {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}`);
      await new Promise<void>((r) => {
        const done = () => {
          wake.delete(done);
          clearTimeout(timer);
          r();
        };
        const timer = setTimeout(done, 20);
        wake.add(done);
      });
    }
  };

  // Online first: one message establishes the conversation and the device's position.
  let position: { conv: string; seq: number } | null = null;
  let sio: { pid: string; offset: string } | null = null;
  const a = await openOne(t, job, 0, sender, undefined, 1, (_c, p) => {
    const n = t.ackOf(p);
    if (n >= 0) acked++;
    else if (n === -2) {
      errors++;
      firstError ??= p.toString().slice(0, 300);
    }
    kick();
  });
  const b1 = await openOne(t, job, 1, device, undefined, 1, (_c, p) => {
    if (job.target === 'parley') {
      const f = JSON.parse(p.toString()) as { type: string; message?: { conversation_id: string; seq: number } };
      if (f.type === 'msg.new' && f.message) position = { conv: f.message.conversation_id, seq: f.message.seq };
    } else if (p[0] === 0x34 && p[1] === 0x32) {
      const args = JSON.parse(p.subarray(2).toString()) as unknown[];
      if (sio) sio.offset = String(args[args.length - 1]);
    } else if (p[0] === 0x34 && p[1] === 0x30) {
      sio = { pid: (JSON.parse(p.subarray(2).toString()) as { pid: string }).pid, offset: '' };
    }
    kick();
  });
  a.ws.send(t.dm(0, device, 'k0', markerText(0, 0, nowUs(), text)));
  await until(() => acked === 1 && (position !== null || (sio !== null && sio.offset !== '')), 10_000, 'first message');
  b1.ws.close();
  await sleep(200);

  // Offline: K messages arrive (64 in flight).
  const sendStarted = performance.now();
  let next = 1;
  while (acked < K + 1) {
    await new Promise((r) => setImmediate(r));
    const frames: string[] = [];
    while (next <= K && next - acked < 64) {
      frames.push(t.dm(next, device, `k${next}`, markerText(0, next, nowUs(), text)));
      next++;
    }
    a.ws.sendMany(frames);
    const want = next > K ? K + 1 : next - 32;
    await until(() => acked + errors >= want, 60_000, 'acks');
    if (errors > 0) throw new Error(`send failed: ${firstError}`);
  }
  const storeSeconds = (performance.now() - sendStarted) / 1000;

  // Back online: time until the device holds all K.
  const have = new Uint8Array(K + 1);
  let held = 0;
  const take = (p: Buffer) => {
    const m = markerOf(p);
    if (m && m[1] >= 1 && m[1] <= K && !have[m[1]]) {
      have[m[1]] = 1;
      held++;
    }
  };
  type SyncResult = {
    conversations: { conversation_id: string; from: number; last_seq: number; must_page: boolean }[];
  };
  const got: { sync: SyncResult | null; page: { messages: { seq: number; text: string }[] } | null } = {
    sync: null,
    page: null,
  };
  const cpu = cpuTimer();
  const started = performance.now();
  let b2: Client;
  if (job.target === 'parley') {
    b2 = await openOne(t, job, 2, device, undefined, 1, (_c, p) => {
      if (p.includes('"type":"result"')) {
        const f = JSON.parse(p.toString()) as { id: string; data: unknown };
        if (f.id === 'sync') got.sync = f.data as SyncResult;
        else {
          got.page = f.data as NonNullable<typeof got.page>;
          for (const m of got.page.messages) take(Buffer.from(m.text));
        }
      } else take(p);
      kick();
    });
    const pos = position as unknown as { conv: string; seq: number };
    b2.ws.send(JSON.stringify({ type: 'sync', id: 'sync', positions: { [pos.conv]: pos.seq } }));
    await until(() => got.sync !== null, 30_000, 'sync result');
    const item = got.sync?.conversations.find((c) => c.conversation_id === pos.conv);
    if (item?.must_page) {
      let cursor = item.from;
      let pages = 0;
      while (cursor < item.last_seq) {
        got.page = null;
        b2.ws.send(
          JSON.stringify({
            type: 'msg.history',
            id: `h${pages++}`,
            conversation_id: pos.conv,
            after: cursor,
            limit: 200,
          }),
        );
        await until(() => got.page !== null, 10_000, 'history page');
        const msgs = (got.page as { messages: { seq: number }[] } | null)?.messages ?? [];
        if (msgs.length === 0) break;
        cursor = (msgs[msgs.length - 1] as { seq: number }).seq;
      }
    }
    await until(() => held === K, 30_000, 'all messages');
  } else {
    const s = sio as unknown as { pid: string; offset: string };
    b2 = await openOne(
      t,
      job,
      2,
      device,
      undefined,
      1,
      (_c, p) => {
        take(p);
        kick();
      },
      `40${JSON.stringify({ pid: s.pid, offset: s.offset })}`,
    );
    await until(() => held === K, 30_000, 'all messages');
  }
  const seconds = (performance.now() - started) / 1000;
  const loadgenCpu = cpu();
  a.ws.close();
  b2.ws.close();
  return {
    messages: K,
    seconds: round(seconds, 3),
    messagesPerSec: round(K / seconds, 0),
    storeSeconds: round(storeSeconds, 3),
    errors,
    firstError,
    loadgenCpu,
  };
}

process.on('message', (job: Job) => {
  if (!('job' in job)) return;
  const hardStop = setTimeout(() => {
    send({ error: `job ${job.job} exceeded ${job.timeoutS}s` });
    process.exit(1);
  }, job.timeoutS * 1000);
  hardStop.unref();
  const run =
    job.job === 'connect'
      ? runConnect(job)
      : job.job === 'dm'
        ? runDm(job)
        : job.job === 'fanout'
          ? runFanout(job)
          : runCatchup(job);
  run.then(
    (result) => {
      if (result !== undefined) send({ result });
      setTimeout(() => process.exit(0), 50);
    },
    (err) => {
      send({ error: err instanceof Error ? err.message : String(err) });
      setTimeout(() => process.exit(1), 50);
    },
  );
});
process.on('disconnect', () => process.exit(0));
send({ ready: true });
