import { afterEach, describe, expect, it } from 'vitest';
import {
  type Frame,
  isMessage,
  makeGroup,
  messageOf,
  range,
  registerUsers,
  SocketPool,
} from './helpers/delivery-kit.js';
import { register } from './helpers/rest.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { TestSocket } from './helpers/test-socket.js';

let server: TestServer;
const pool = new SocketPool(() => server);
afterEach(async () => {
  pool.closeAll();
  await server?.stop();
});

const FAST = {
  PARLEY_RATE_MESSAGES_PER_SEC: '100000',
  PARLEY_RATE_FRAMES_PER_SEC: '100000',
  PARLEY_SYNC_REPLAY_LIMIT: '100000',
};

/** How a device starts: sync inside auth, or sync right after hello (token on the upgrade or in auth), or no sync. */
type Start = 'auth+sync' | 'upgrade, then sync' | 'auth, then sync' | 'auth, then ping';
const STARTS: Start[] = ['auth+sync', 'upgrade, then sync', 'auth, then sync', 'auth, then ping'];

interface Device {
  start: Start;
  socket: TestSocket;
  /** The position the device held when it connected. */
  from: number;
}

/** Opens a device the given way; resolves once its sync result (or pong) arrived. */
async function startDevice(start: Start, token: string, group: string, from: number): Promise<Device> {
  const positions = { [group]: from };
  if (start === 'upgrade, then sync') {
    const socket = await TestSocket.open(server.wsUrl, { token });
    await socket.next((f) => f.type === 'hello');
    await socket.request('sync', { positions });
    return { start, socket, from };
  }
  const socket = await TestSocket.open(server.wsUrl);
  const hello = socket.next((f) => f.type === 'hello' || f.type === 'error');
  if (start === 'auth+sync') {
    const result = socket.next((f) => f.id === 'start-sync');
    socket.send({ type: 'auth', id: 'a1', token, sync: { id: 'start-sync', positions } });
    await result;
    return { start, socket, from };
  }
  socket.send({ type: 'auth', id: 'a1', token });
  await hello;
  await socket.request(start === 'auth, then ping' ? 'ping' : 'sync', start === 'auth, then ping' ? {} : { positions });
  return { start, socket, from };
}

/** Frame-level checks of one device's start (C4, C1, D3), once it holds every message up to `last`. */
function checkStart(device: Device, group: string, last: number): void {
  const frames = device.socket.frames;
  const label = `${device.start} from ${device.from}`;
  expect(frames[0]?.type, label).toBe('hello');
  const messages = (list: Frame[]) => list.filter(isMessage(group)).map((f) => messageOf(f).seq);
  if (device.start === 'auth, then ping') {
    // held events come out in order when the first frame is not a sync: consecutive seqs, none twice
    const seqs = messages(frames);
    expect(seqs, label).toEqual(range(seqs[0] ?? 1, last));
    return;
  }
  const at = frames.findIndex(
    (f) => f.type === 'result' && f.data !== undefined && 'conversations' in (f.data as object),
  );
  const result = (frames[at] as Frame).data as { conversations: { last_seq: number; replayed: number }[] };
  const item = result.conversations[0] ?? { last_seq: device.from, replayed: 0 };
  const between = frames.slice(1, at);
  // between hello (the sync went right after it) and the result: exactly the replay, nothing else
  expect(
    between.filter((f) => !isMessage(group)(f)).map((f) => f.type),
    label,
  ).toEqual([]);
  expect(messages(between), label).toEqual(range(device.from + 1, item.last_seq));
  expect(between).toHaveLength(item.replayed);
  // after the result: live events continue where the replay ended, no gap, none twice
  expect(messages(frames.slice(at + 1)), label).toEqual(range(item.last_seq + 1, last));
}

describe('the start of a connection under a concurrent send load', () => {
  it('C4: hello is the first frame; between a sync (inside auth or right after hello) and its result only the replay; then live events with no gap and no duplicate (D3)', async () => {
    server = await startServer(FAST);
    const writer = await register(server.app, 'writer');
    const members = await registerUsers(server.app, range(1, 24).map((i) => `member${i}`) as string[]);
    const group = await makeGroup(server.app, writer, members, 'Load');
    const w = await pool.connect(writer.token);

    // the writer sends bursts of pipelined messages until told to stop; `acked` is the last seq it knows stored
    let acked = 0;
    let stop = false;
    let burst = 0;
    const load = (async () => {
      while (!stop && acked < 20_000) {
        const ids = range(1, 25).map((i) => `b${burst}-${i}`);
        burst++;
        const replies = ids.map((id) => w.wait((f) => f.id === id, 30_000));
        for (const id of ids) w.send({ type: 'msg.send', id, conversation_id: group, text: id, client_msg_id: id });
        for (const r of await Promise.all(replies)) {
          if (r.type !== 'result') throw new Error(`send refused: ${JSON.stringify(r)}`);
          acked = Math.max(acked, ((r.data as { message: { seq: number } }).message as { seq: number }).seq);
        }
      }
    })();

    const devices: Device[] = [];
    for (let wave = 0; wave < 3; wave++) {
      const starting = members.slice(wave * 8, wave * 8 + 8).map((m, i) => {
        const from = Math.max(0, acked - 10);
        return startDevice(STARTS[(wave + i) % STARTS.length] as Start, m.token, group, from);
      });
      devices.push(...(await Promise.all(starting)));
    }
    // let live traffic flow past every device's start, then stop
    const target = acked + 100;
    while (acked < target) await new Promise((r) => setTimeout(r, 10));
    stop = true;
    await load;
    const last = acked;

    for (const d of devices) await d.socket.next(isMessage(group, last), 15_000);
    for (const d of devices) checkStart(d, group, last);
    expect(new Set(devices.map((d) => d.start)).size).toBe(STARTS.length);
  }, 60_000);
});

describe('sync inside the auth frame', () => {
  it('C4: hello, then the replayed msg.new frames, then the sync result with the sync id', async () => {
    server = await startServer(FAST);
    const [alice, bob] = await Promise.all([register(server.app, 'alice'), register(server.app, 'bob')]);
    const group = await makeGroup(server.app, alice, [bob], 'Two');
    const a = await pool.connect(alice.token);
    for (const i of range(1, 5))
      await a.call('msg.send', { conversation_id: group, text: `m${i}`, client_msg_id: `m${i}` });

    const b = await TestSocket.open(server.wsUrl);
    const result = b.next((f) => f.id === 7);
    b.send({ type: 'auth', id: 'a1', token: bob.token, sync: { id: 7, positions: { [group]: 2 } } });
    await result;
    expect(b.frames.map((f) => (f.type === 'msg.new' ? `msg.new ${messageOf(f).seq}` : `${f.type} ${f.id}`))).toEqual([
      'hello a1',
      'msg.new 3',
      'msg.new 4',
      'msg.new 5',
      'result 7',
    ]);
    expect((b.frames[4] as Frame).data).toMatchObject({
      conversations: [{ conversation_id: group, from: 2, last_seq: 5, replayed: 3, must_page: false }],
    });
    b.close();
  });

  it('C4: a malformed sync inside auth is refused with VALIDATION_FAILED and the connection stays unauthenticated', async () => {
    server = await startServer(FAST);
    const bob = await register(server.app, 'bob');
    const b = await pool.open();
    for (const [sync, field] of [
      [{ positions: {} }, 'sync'],
      ['now', 'sync'],
      [{ id: 's', positions: { 'g:1': -1 } }, 'sync.positions'],
    ] as const) {
      const reply = await b.request('auth', { token: bob.token, sync });
      expect(reply, JSON.stringify(sync)).toMatchObject({ type: 'error', code: 'VALIDATION_FAILED', field });
    }
    expect(b.frames.some((f) => f.type === 'hello')).toBe(false);
    expect(await b.request('conv.list')).toMatchObject({ type: 'error', code: 'AUTH_REQUIRED' });
  });
});
