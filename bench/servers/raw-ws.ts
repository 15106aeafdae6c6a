import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import * as wsModule from 'ws';
import { type WebSocket, WebSocketServer } from 'ws';
import { RefReceipts } from './ref-receipts.js';
import { serveEventLoopDelay } from './eld.js';

/**
 * Reference 1: a minimal raw `ws` router — no auth, no storage, no protocol beyond "route this text to that user or
 * room and ack it". It uses the same socket-level techniques as Parley's hub (a broadcast framed once, each socket's
 * frames of a tick written together), so it is what Node cannot beat without doing less.
 * RAW_NAIVE=1 routes the way a first version would: `ws.send` per recipient, one write per frame.
 * Connect with /?user=<id>&rooms=<a,b>; send {"t":"dm"|"group","id":n,"to":"<user|room>","text":"..."};
 * recipients get {"type":"msg","conv":"<c>","seq":s,"from":"<id>","text":"..."}, the sender {"type":"ack","id":n,"seq":s}.
 * Receipts (in memory, ref-receipts.ts): {"t":"delivered","conv":"<c>","seq":s} and {"t":"read","id":"<r>",...}
 * (replied {"type":"read.ok","id":"<r>","read":s}); receipts go out as {"type":"receipt","conv":..,"user":..,
 * "delivered":d,"read":r}.
 */
const naive = process.env.RAW_NAIVE === '1';
/** ws's frame encoder (exported at runtime, absent from its type declarations). */
const Sender = (wsModule as unknown as { Sender: { frame(data: Buffer, options: object): Buffer[] } }).Sender;
const users = new Map<string, Set<WebSocket>>();
const rooms = new Map<string, Set<WebSocket>>();

interface Out {
  pending: Buffer[];
  dirty: boolean;
}
const outs = new WeakMap<WebSocket, Out>();
let dirty: WebSocket[] = [];
let scheduled = false;

function frame(payload: Buffer): Buffer {
  const [header, data] = Sender.frame(payload, {
    fin: true,
    opcode: 1,
    mask: false,
    readOnly: false,
    rsv1: false,
  });
  return data ? Buffer.concat([header as Buffer, data]) : (header as Buffer);
}

function queue(ws: WebSocket, framed: Buffer, payload: Buffer): void {
  if (ws.readyState !== 1) return;
  if (naive) {
    ws.send(payload);
    return;
  }
  const out = outs.get(ws) as Out;
  out.pending.push(framed);
  if (!out.dirty) {
    out.dirty = true;
    dirty.push(ws);
  }
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

function flush(): void {
  scheduled = false;
  const list = dirty;
  dirty = [];
  for (const ws of list) {
    const out = outs.get(ws) as Out;
    out.dirty = false;
    const pending = out.pending;
    out.pending = [];
    if (ws.readyState !== 1) continue;
    const socket = (ws as unknown as { _socket: Socket })._socket;
    socket.write(pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending));
  }
}

function join(map: Map<string, Set<WebSocket>>, key: string, ws: WebSocket): void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(ws);
}

const receipts = new RefReceipts((to, r) => {
  const payload = Buffer.from(
    `{"type":"receipt","conv":"${r.conv}","user":${r.user},"delivered":${r.delivered},"read":${r.read}}`,
  );
  const framed = naive ? payload : frame(payload);
  for (const u of to) {
    const sockets = users.get(u);
    if (sockets) for (const ws of sockets) queue(ws, framed, payload);
  }
});

const server = createServer((_req, res) => res.end('raw ws router'));
const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: false });
wss.on('connection', (ws, req) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const user = url.searchParams.get('user') ?? '';
  const memberOf = (url.searchParams.get('rooms') ?? '').split(',').filter(Boolean);
  outs.set(ws, { pending: [], dirty: false });
  join(users, user, ws);
  for (const r of memberOf) join(rooms, r, ws);
  ws.on('message', (data) => {
    const m = JSON.parse((data as Buffer).toString()) as {
      t: string;
      id: number | string;
      to: string;
      conv: string;
      seq: number;
      text: string;
    };
    if (m.t === 'delivered' || m.t === 'read') {
      const read = receipts.move(user, m.conv, m.seq, m.t === 'read');
      if (m.t === 'read') {
        const reply = Buffer.from(`{"type":"read.ok","id":${JSON.stringify(m.id)},"conv":"${m.conv}","read":${read}}`);
        queue(ws, naive ? reply : frame(reply), reply);
      }
      return;
    }
    const conv = m.t === 'dm' ? RefReceipts.dm(user, m.to) : m.to;
    const seq = receipts.message(conv, user);
    const payload = Buffer.from(JSON.stringify({ type: 'msg', conv, seq, from: user, text: m.text }));
    const framed = naive ? payload : frame(payload);
    const targets = m.t === 'dm' ? users.get(m.to) : rooms.get(m.to);
    if (targets) for (const peer of targets) if (peer !== ws) queue(peer, framed, payload);
    const ack = Buffer.from(`{"type":"ack","id":${m.id},"seq":${seq}}`);
    queue(ws, naive ? ack : frame(ack), ack);
  });
  ws.on('close', () => {
    users.get(user)?.delete(ws);
    for (const r of memberOf) rooms.get(r)?.delete(ws);
  });
  ws.on('error', () => {});
});

server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ ready: true, port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('message', (m: { cmd?: string }) => {
  if (m.cmd === 'gc') {
    (globalThis as { gc?: () => void }).gc?.();
    process.send?.({ gc: true });
  }
  if (m.cmd === 'stop') process.exit(0);
});
serveEventLoopDelay();
process.on('disconnect', () => process.exit(0));
