import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeGroup, registerUsers, restErrorCode, roundTrip, SocketPool } from './helpers/delivery-kit.js';
import { register, rest } from './helpers/rest.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import type { TestSocket } from './helpers/test-socket.js';

type Receipt = {
  type: 'receipt';
  conversation_id: string;
  user_id: unknown;
  delivered_seq: number;
  read_seq: number | null;
};
type ReadEvent = { conversation_id: string; read_seq: number; unread_count: number; total_unread: number };
type Readers = { seq: number; read_by: unknown[]; delivered_to: unknown[]; member_count: number };
type Receipts = { receipts: { user_id: unknown; delivered_seq: number; read_seq: number | null }[] };

let server: TestServer;
const pool = new SocketPool(() => server);

beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  pool.closeAll();
  await server.stop();
});

const receiptsOf = (s: TestSocket, from?: unknown) =>
  s.events('receipt').filter((f) => from === undefined || f.user_id === from) as unknown as Receipt[];

/** The next `receipt` from `from` that satisfies the predicate (already received or still to come). */
const receipt = async (s: TestSocket, from: unknown, match: (r: Receipt) => boolean = () => true) =>
  (await s.next(
    (f) => f.type === 'receipt' && f.user_id === from && match(f as unknown as Receipt),
  )) as unknown as Receipt;

/** Sends `n` messages from the socket to a conversation (or to a user for the first) and returns the last seq. */
async function send(
  s: TestSocket,
  target: { conversation_id: string } | { to_user_id: unknown },
  n: number,
  tag: string,
) {
  let last = { seq: 0, conversation_id: '' };
  for (let i = 1; i <= n; i++) {
    const ack = await s.call<{ message: { seq: number; conversation_id: string } }>('msg.send', {
      ...target,
      text: `${tag} ${i}`,
      client_msg_id: `${tag}-${i}`,
    });
    last = ack.message;
  }
  return last;
}

describe('1:1 receipts', () => {
  it('R5: the sender sees each message go sent -> delivered -> read as receipts from the recipient', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const a = await pool.connect(alice.token);
    const b = await pool.connect(bob.token);

    // sent: the ack carries the stored message
    const sent = await send(a, { to_user_id: bob.id }, 3, 'hello');
    const conv = sent.conversation_id;
    expect(sent.seq).toBe(3);
    await b.next((f) => f.type === 'msg.new' && (f.message as { seq: number }).seq === 3);

    // delivered: a notification frame (no id) from the recipient's device
    b.send({ type: 'msg.delivered', conversation_id: conv, seq: 2 });
    const delivered = await receipt(a, bob.id);
    expect(delivered).toMatchObject({ conversation_id: conv, user_id: bob.id, delivered_seq: 2, read_seq: 0 });

    // read
    const read = await b.call<ReadEvent>('conv.read', { conversation_id: conv, seq: 2 });
    expect(read).toMatchObject({ conversation_id: conv, read_seq: 2, unread_count: 1, total_unread: 1 });
    const readReceipt = await receipt(a, bob.id, (r) => r.read_seq === 2);
    expect(readReceipt).toMatchObject({ conversation_id: conv, delivered_seq: 2, read_seq: 2 });

    // the order the sender saw: delivered first, then read
    expect(receiptsOf(a, bob.id).map((r) => [r.delivered_seq, r.read_seq])).toEqual([
      [2, 0],
      [2, 2],
    ]);
    // the recipient is not told about its own positions through receipts
    await roundTrip(b);
    expect(receiptsOf(b)).toHaveLength(0);
  });

  it('R5: reading also counts as delivered (a read with no delivered confirmation moves both)', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const a = await pool.connect(alice.token);
    const b = await pool.connect(bob.token);
    const { conversation_id: conv } = await send(a, { to_user_id: bob.id }, 4, 'm');

    await b.call('conv.read', { conversation_id: conv, seq: 4 });
    const r = await receipt(a, bob.id);
    expect(r).toMatchObject({ delivered_seq: 4, read_seq: 4 });
    const positions = await a.call<Receipts>('receipts.get', { conversation_id: conv });
    expect(positions.receipts.find((p) => p.user_id === bob.id)).toEqual({
      user_id: bob.id,
      delivered_seq: 4,
      read_seq: 4,
    });
  });

  it('U1: delivered and read positions never move backward, and a stale confirmation sends no receipt', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const a = await pool.connect(alice.token);
    const b = await pool.connect(bob.token);
    const { conversation_id: conv } = await send(a, { to_user_id: bob.id }, 5, 'm');

    expect(await b.call('msg.delivered', { conversation_id: conv, seq: 4 })).toEqual({
      conversation_id: conv,
      delivered_seq: 4,
    });
    await receipt(a, bob.id, (r) => r.delivered_seq === 4);
    expect(await b.call('msg.delivered', { conversation_id: conv, seq: 2 })).toEqual({
      conversation_id: conv,
      delivered_seq: 4,
    });
    expect(await b.call<ReadEvent>('conv.read', { conversation_id: conv, seq: 3 })).toMatchObject({ read_seq: 3 });
    await receipt(a, bob.id, (r) => r.read_seq === 3);
    const back = await b.call<ReadEvent>('conv.read', { conversation_id: conv, seq: 1 });
    expect(back).toMatchObject({ read_seq: 3, unread_count: 2 });
    // reading to 3 did not pull delivered back from 4
    const positions = await b.call<Receipts>('receipts.get', { conversation_id: conv });
    expect(positions.receipts.find((p) => p.user_id === bob.id)).toMatchObject({ delivered_seq: 4, read_seq: 3 });
    // a position beyond the conversation's end is clamped to its last seq
    expect(await b.call('msg.delivered', { conversation_id: conv, seq: 99 })).toMatchObject({ delivered_seq: 5 });

    await roundTrip(a);
    // only forward moves were announced: delivered 4, read 3, delivered 5
    expect(receiptsOf(a, bob.id).map((r) => [r.delivered_seq, r.read_seq])).toEqual([
      [4, 0],
      [4, 3],
      [5, 3],
    ]);
  });

  it('R6: with read receipts off a user still gets their own unread counts, but others see read_seq null', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const off = await rest(server.app, bob.token).patch('/v1/users/me', { read_receipts: false });
    expect(off.status).toBe(200);
    expect((off.body as { settings: { read_receipts: boolean } }).settings.read_receipts).toBe(false);

    const a = await pool.connect(alice.token);
    const b = await pool.connect(bob.token);
    const { conversation_id: conv } = await send(a, { to_user_id: bob.id }, 3, 'm');

    const read = await b.call<ReadEvent>('conv.read', { conversation_id: conv, seq: 2 });
    expect(read).toMatchObject({ read_seq: 2, unread_count: 1, total_unread: 1 });
    const ownList = await b.call<{ conversations: { id: string; read_seq: number; unread_count: number }[] }>(
      'conv.list',
    );
    expect(ownList.conversations.find((c) => c.id === conv)).toMatchObject({ read_seq: 2, unread_count: 1 });

    // the peer learns "delivered" but never "read"
    const r = await receipt(a, bob.id);
    expect(r).toMatchObject({ delivered_seq: 2, read_seq: null });

    const seenByAlice = await a.call<Receipts>('receipts.get', { conversation_id: conv });
    expect(seenByAlice.receipts.find((p) => p.user_id === bob.id)).toEqual({
      user_id: bob.id,
      delivered_seq: 2,
      read_seq: null,
    });
    expect(seenByAlice.receipts.find((p) => p.user_id === alice.id)?.read_seq).toBe(3);
    // bob still sees his own read position
    const seenByBob = await b.call<Receipts>('receipts.get', { conversation_id: conv });
    expect(seenByBob.receipts.find((p) => p.user_id === bob.id)?.read_seq).toBe(2);
    // and readers lists show him as delivered-to, not read-by
    const readers = await a.call<Readers>('msg.readers', { conversation_id: conv, seq: 1 });
    expect(readers).toEqual({ seq: 1, read_by: [], delivered_to: [bob.id], member_count: 1 });
    const restReceipts = await rest(server.app, alice.token).get(`/v1/conversations/${conv}/receipts`);
    expect((restReceipts.body as Receipts).receipts.find((p) => p.user_id === bob.id)?.read_seq).toBeNull();
  });

  it('U2: reading on one device pushes conv.read with unread_count and total_unread to the user’s other devices', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const carol = await register(server.app, 'carol');
    const b = await pool.connect(bob.token);
    const c = await pool.connect(carol.token);
    const { conversation_id: fromBob } = await send(b, { to_user_id: alice.id }, 3, 'bob');
    await send(c, { to_user_id: alice.id }, 2, 'carol');

    const phone = await pool.connect(alice.token);
    const laptop = await pool.connect(alice.token);
    const result = await phone.call<ReadEvent>('conv.read', { conversation_id: fromBob, seq: 2 });
    expect(result).toEqual({ conversation_id: fromBob, read_seq: 2, unread_count: 1, total_unread: 3 });
    const pushed = await laptop.next((f) => f.type === 'conv.read');
    expect(pushed).toEqual({
      type: 'conv.read',
      conversation_id: fromBob,
      read_seq: 2,
      unread_count: 1,
      total_unread: 3,
    });

    // REST reads reach every connected device too
    const viaRest = await rest(server.app, alice.token).post(`/v1/conversations/${fromBob}/read`, { seq: 3 });
    expect(viaRest.body).toEqual({ conversation_id: fromBob, read_seq: 3, unread_count: 0, total_unread: 2 });
    for (const s of [phone, laptop]) {
      const ev = await s.next((f) => f.type === 'conv.read' && f.read_seq === 3);
      expect(ev).toMatchObject({ unread_count: 0, total_unread: 2 });
    }
    // other users are not told about alice's unread counts
    await roundTrip(c);
    expect(c.events('conv.read')).toHaveLength(0);
  });

  it('R5: POST /v1/conversations/:id/delivered confirms delivery over REST and the sender gets the receipt', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const a = await pool.connect(alice.token);
    const { conversation_id: conv } = await send(a, { to_user_id: bob.id }, 2, 'm');

    const res = await rest(server.app, bob.token).post(`/v1/conversations/${conv}/delivered`, { seq: 2 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ conversation_id: conv, delivered_seq: 2 });
    expect(await receipt(a, bob.id)).toMatchObject({ conversation_id: conv, delivered_seq: 2, read_seq: 0 });

    const bad = await rest(server.app, bob.token).post(`/v1/conversations/${conv}/delivered`, { seq: -1 });
    expect(bad.status).toBe(400);
    expect(restErrorCode(bad.body)).toBe('VALIDATION_FAILED');
    const carol = await register(server.app, 'carol');
    const outsider = await rest(server.app, carol.token).post(`/v1/conversations/${conv}/delivered`, { seq: 1 });
    expect(outsider.status).toBe(403);
    expect(restErrorCode(outsider.body)).toBe('NOT_MEMBER');
  });
});

describe('group receipts', () => {
  async function groupOfFour() {
    const [ann, ben, cat, dan] = await registerUsers(server.app, ['ann', 'ben', 'cat', 'dan']);
    const conv = await makeGroup(server.app, ann, [ben, cat, dan], 'Study');
    const [a, b, c, d] = (await Promise.all([ann, ben, cat, dan].map((u) => pool.connect(u.token)))) as [
      TestSocket,
      TestSocket,
      TestSocket,
      TestSocket,
    ];
    return { ann, ben, cat, dan, a, b, c, d, conv };
  }

  it('R5: a read receipt reaches the senders of the messages it covers, not members who sent nothing in that range', async () => {
    const { ann, ben, cat, dan, a, b, c, d, conv } = await groupOfFour();
    await send(a, { conversation_id: conv }, 2, 'ann'); // seq 1, 2
    await send(b, { conversation_id: conv }, 1, 'ben'); // seq 3
    await c.next((f) => f.type === 'msg.new' && (f.message as { seq: number }).seq === 3);

    // cat reads ann's two messages: only ann hears of it
    await c.call('conv.read', { conversation_id: conv, seq: 2 });
    expect(await receipt(a, cat.id)).toMatchObject({ conversation_id: conv, delivered_seq: 2, read_seq: 2 });
    // cat reads ben's message: only ben hears of it
    await c.call('conv.read', { conversation_id: conv, seq: 3 });
    expect(await receipt(b, cat.id)).toMatchObject({ conversation_id: conv, delivered_seq: 3, read_seq: 3 });
    // dan confirms delivery of everything: both senders hear of it
    await d.call('msg.delivered', { conversation_id: conv, seq: 3 });
    expect(await receipt(a, dan.id)).toMatchObject({ delivered_seq: 3, read_seq: 0 });
    expect(await receipt(b, dan.id)).toMatchObject({ delivered_seq: 3, read_seq: 0 });

    await Promise.all([a, b, c, d].map(roundTrip));
    expect(receiptsOf(a, cat.id).map((r) => r.read_seq)).toEqual([2]); // not the read covering only ben's seq 3
    expect(receiptsOf(b, cat.id).map((r) => r.read_seq)).toEqual([3]); // not the read covering only ann's messages
    expect(receiptsOf(c)).toEqual([]); // cat sent nothing
    expect(receiptsOf(d)).toEqual([]); // dan sent nothing
    expect(receiptsOf(a, ben.id)).toEqual([]);
    expect(receiptsOf(a, ann.id)).toEqual([]);
  });

  it('R5: msg.readers and GET .../messages/:seq/readers say "read by N of M"; receipts.get lists every member', async () => {
    const { ann, ben, cat, dan, a, b, c, d, conv } = await groupOfFour();
    await send(a, { conversation_id: conv }, 2, 'ann'); // seq 1, 2
    await send(b, { conversation_id: conv }, 1, 'ben'); // seq 3 (ben's own send moves his read position to 3)
    await c.call('conv.read', { conversation_id: conv, seq: 3 });
    await d.call('msg.delivered', { conversation_id: conv, seq: 1 });

    const first = await a.call<Readers>('msg.readers', { conversation_id: conv, seq: 1 });
    expect(first.seq).toBe(1);
    expect(first.member_count).toBe(3); // everyone but the sender
    expect(new Set(first.read_by)).toEqual(new Set([ben.id, cat.id]));
    expect(new Set(first.delivered_to)).toEqual(new Set([ben.id, cat.id, dan.id]));

    const third = await rest(server.app, dan.token).get(`/v1/conversations/${conv}/messages/3/readers`);
    expect(third.status).toBe(200);
    expect(third.body).toMatchObject({ seq: 3, member_count: 3 });
    const t = third.body as Readers;
    expect(t.read_by).toEqual([cat.id]); // ann read only to 2, dan read nothing
    expect(t.delivered_to).toEqual([cat.id]); // dan confirmed only seq 1

    const positions = await d.call<Receipts>('receipts.get', { conversation_id: conv });
    const byUser = new Map(positions.receipts.map((p) => [p.user_id, p]));
    expect(byUser.size).toBe(4);
    expect(byUser.get(ann.id)).toEqual({ user_id: ann.id, delivered_seq: 2, read_seq: 2 });
    expect(byUser.get(ben.id)).toEqual({ user_id: ben.id, delivered_seq: 3, read_seq: 3 });
    expect(byUser.get(cat.id)).toEqual({ user_id: cat.id, delivered_seq: 3, read_seq: 3 });
    expect(byUser.get(dan.id)).toEqual({ user_id: dan.id, delivered_seq: 1, read_seq: 0 });

    const missing = await a.request('msg.readers', { conversation_id: conv, seq: 9 });
    expect(missing).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
    const outsider = await register(server.app, 'eve');
    const e = await pool.connect(outsider.token);
    expect(await e.request('receipts.get', { conversation_id: conv })).toMatchObject({
      type: 'error',
      code: 'NOT_MEMBER',
    });
    expect(await e.request('msg.readers', { conversation_id: conv, seq: 1 })).toMatchObject({
      type: 'error',
      code: 'NOT_MEMBER',
    });
  });
});
