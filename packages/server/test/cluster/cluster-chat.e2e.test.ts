import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestCluster, TestCluster as Cluster } from '../helpers/cluster.js';
import { hostToken } from '../helpers/host-token.js';
import { presenceIs, TestSocket } from '../helpers/test-socket.js';

/**
 * Three server processes on their own ports, one PostgreSQL database (fresh for this run) and one Redis (a key
 * prefix for this run): users connected to different nodes chat 1:1 and in groups, and presence, unread counts,
 * receipts, membership and device revocation agree on every node (D3, D4, U2, R5, P1, V1).
 */

type Frame = Record<string, unknown> & { type: string };
type Sent = { message: { id: string; seq: number; conversation_id: string }; duplicate: boolean };

let cluster: TestCluster;
const sockets: TestSocket[] = [];
let nextUser = 100;

beforeAll(async () => {
  cluster = await Cluster.start({ nodes: 3 });
}, 300_000);
afterAll(async () => {
  await cluster?.stop();
}, 60_000);
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

/** A fresh user (numeric id) and its token. */
async function user(): Promise<{ id: number; token: string }> {
  const id = ++nextUser;
  return { id, token: await hostToken({ sub: String(id), username: `u${id}` }) };
}

async function on(node: number, token: string, device?: string): Promise<TestSocket> {
  const url = device ? `${cluster.node(node).wsUrl}?device_id=${device}` : cluster.node(node).wsUrl;
  const s = await TestSocket.connect(url, token);
  sockets.push(s);
  return s;
}

async function post(node: number, token: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${cluster.node(node).url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const T = 20_000;
const msgNew = (seq: number, conv?: string) => (f: Frame) =>
  f.type === 'msg.new' &&
  (f.message as { seq: number; conversation_id: string }).seq === seq &&
  (conv === undefined || (f.message as { conversation_id: string }).conversation_id === conv);

describe('cluster: three processes, one database, one Redis', () => {
  it('D4: a direct message from a user on node 0 reaches the peer on node 1 and the sender’s other device on node 2', async () => {
    const [a, b] = [await user(), await user()];
    const a0 = await on(0, a.token, 'a-phone');
    const b1 = await on(1, b.token);
    const a2 = await on(2, a.token, 'a-laptop');
    expect([a0, b1, a2].map((s) => (s.frames[0] as unknown as { node_id: string }).node_id)).toEqual([
      'node-0',
      'node-1',
      'node-2',
    ]);
    const sent = await a0.call<Sent>('msg.send', { to_user_id: b.id, text: 'hi across nodes', client_msg_id: 'x1' });
    expect(sent.message.seq).toBe(1);
    const got = await b1.next(msgNew(1), T);
    expect((got.message as { id: string; text: string }).text).toBe('hi across nodes');
    expect((got.message as { id: string }).id).toBe(sent.message.id);
    await a2.next(msgNew(1), T);

    // the reply travels back, and a retry of it on yet another node is the same message (D2 across nodes)
    const reply = await b1.call<Sent>('msg.send', { to_user_id: a.id, text: 'hello back', client_msg_id: 'y1' });
    const b2 = await on(2, b.token);
    const retry = await b2.call<Sent>('msg.send', { to_user_id: a.id, text: 'hello back', client_msg_id: 'y1' });
    expect(retry).toEqual({ ...reply, duplicate: true });
    await a0.next(msgNew(2), T);
    await a2.next(msgNew(2), T);
  }, 60_000);

  it('D3 D4: a group with members on every node: concurrent senders on three nodes, every member holds the same gap-free sequence', async () => {
    const [o, m1, m2] = [await user(), await user(), await user()];
    const sockets3 = [await on(0, o.token), await on(1, m1.token), await on(2, m2.token)];
    const res = await post(1, o.token, '/v1/groups', { name: 'across', member_ids: [m1.id, m2.id] });
    expect(res.status).toBe(201);
    const conv = ((await res.json()) as { group: { conversation_id: string } }).group.conversation_id;
    // every member learns of the group, whichever node created it
    for (const s of sockets3.slice(1)) await s.next((f) => f.type === 'conv.member' && f.conversation_id === conv, T);

    const perSender = 30;
    await Promise.all(
      sockets3.map(async (s, i) => {
        for (let n = 0; n < perSender; n++) {
          await s.call('msg.send', { conversation_id: conv, text: `${i}:${n}`, client_msg_id: `g${i}-${n}` });
        }
      }),
    );
    const total = perSender * 3;
    for (const s of sockets3) {
      // each member sees every message once: its own as results, the others' as msg.new
      const seen = new Map<number, string>();
      const collect = () => {
        for (const f of s.frames) {
          const m =
            f.type === 'msg.new'
              ? (f.message as { seq: number; id: string; conversation_id: string })
              : f.type === 'result' && (f.data as { message?: unknown })?.message
                ? (f.data as { message: { seq: number; id: string; conversation_id: string } }).message
                : null;
          if (m && m.conversation_id === conv) seen.set(m.seq, m.id);
        }
      };
      const deadline = Date.now() + T;
      for (collect(); seen.size < total && Date.now() < deadline; collect()) {
        await s.wait((f) => f.type === 'msg.new', T).catch(() => {});
      }
      expect([...seen.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    }
    // and the store agrees from every node
    for (const [i, s] of sockets3.entries()) {
      const page = await s.call<{ messages: { seq: number }[] }>('msg.history', { conversation_id: conv, limit: 200 });
      expect(
        page.messages.map((m) => m.seq),
        `history on node ${i}`,
      ).toEqual(Array.from({ length: total }, (_, k) => k + 1));
    }
  }, 90_000);

  it('U2 R5: a read on node 1 updates the reader’s device on node 2 and the sender on node 0; unread counts agree on every node', async () => {
    const [a, b] = [await user(), await user()];
    const a0 = await on(0, a.token);
    const b1 = await on(1, b.token);
    const b2 = await on(2, b.token);
    for (let i = 1; i <= 3; i++) await a0.call('msg.send', { to_user_id: b.id, text: `m${i}` });
    await b2.next(msgNew(3), T);
    const conv = `dm:${Math.min(a.id, b.id)}:${Math.max(a.id, b.id)}`;

    for (const node of [0, 1, 2]) {
      const s = await on(node, b.token);
      const list = await s.call<{ conversations: { id: string; unread_count: number }[]; total_unread: number }>(
        'conv.list',
      );
      expect(list.conversations.find((c) => c.id === conv)?.unread_count, `unread on node ${node}`).toBe(3);
      s.close();
    }

    const read = await b1.call<{ read_seq: number; unread_count: number }>('conv.read', {
      conversation_id: conv,
      seq: 2,
    });
    expect(read).toMatchObject({ read_seq: 2, unread_count: 1 });
    const onOtherDevice = await b2.next((f) => f.type === 'conv.read' && f.conversation_id === conv, T);
    expect(onOtherDevice).toMatchObject({ read_seq: 2, unread_count: 1 });
    const receipt = await a0.next((f) => f.type === 'receipt' && f.conversation_id === conv, T);
    expect(receipt).toMatchObject({ user_id: b.id, read_seq: 2 });

    for (const node of [0, 1, 2]) {
      const s = await on(node, b.token);
      const list = await s.call<{ conversations: { id: string; unread_count: number; read_seq: number }[] }>(
        'conv.list',
      );
      expect(
        list.conversations.find((c) => c.id === conv),
        `list on node ${node}`,
      ).toMatchObject({
        unread_count: 1,
        read_seq: 2,
      });
      const viaA = await on(node, a.token);
      const receipts = await viaA.call<{ receipts: { user_id: number; read_seq: number }[] }>('receipts.get', {
        conversation_id: conv,
      });
      expect(receipts.receipts.find((r) => r.user_id === b.id)?.read_seq, `receipts on node ${node}`).toBe(2);
      s.close();
      viaA.close();
    }
  }, 60_000);

  it('P1: presence set on one node is pushed to contacts on another and answered alike by every node', async () => {
    const [a, b] = [await user(), await user()];
    const a0 = await on(0, a.token);
    const b1 = await on(1, b.token);
    await a0.call('msg.send', { to_user_id: b.id, text: 'now we are contacts' });
    await b1.next(msgNew(1), T);

    await b1.call('presence.set', { status: 'busy' });
    await a0.next(presenceIs(b.id, 'busy'), T);
    for (const node of [0, 1, 2]) {
      const s = await on(node, a.token);
      const r = await s.call<{ presence: { user_id: number; status: string }[] }>('presence.query', {
        user_ids: [b.id, a.id],
      });
      expect(Object.fromEntries(r.presence.map((p) => [p.user_id, p.status])), `presence on node ${node}`).toEqual({
        [b.id]: 'busy',
        [a.id]: 'online',
      });
      s.close();
    }

    b1.close();
    await a0.next(presenceIs(b.id, 'offline'), T);
    const s2 = await on(2, a.token);
    const r = await s2.call<{ presence: { status: string }[] }>('presence.query', { user_ids: [b.id] });
    expect(r.presence[0]?.status).toBe('offline');
  }, 60_000);

  it('P1 P3: a user who left node 0 while still on node 1, then went offline, is announced online again on returning to node 0', async () => {
    const [w, x] = [await user(), await user()];
    const w2 = await on(2, w.token);
    const x0 = await on(0, x.token);
    await x0.call('msg.send', { to_user_id: w.id, text: 'contacts' });
    await w2.next(msgNew(1), T);
    const x1 = await on(1, x.token);
    const presenceOf = (status: string) => presenceIs(x.id, status);
    x0.close(); // still online through node 1
    await new Promise((r) => setTimeout(r, 300));
    const gone = w2.wait(presenceOf('offline'), T);
    x1.close();
    await gone;
    const back = w2.wait(presenceOf('online'), T); // before connecting: it may come before the hello does
    await on(0, x.token);
    await back;
    // and exactly one online and one offline announcement reached the watcher for all of this
    await new Promise((r) => setTimeout(r, 300));
    expect(w2.frames.filter(presenceOf('offline'))).toHaveLength(1);
  }, 60_000);

  it('a member removed on node 0 stops receiving on node 2 at once; one added on node 1 receives there', async () => {
    const [o, gone, joiner] = [await user(), await user(), await user()];
    const o0 = await on(0, o.token);
    const gone2 = await on(2, gone.token);
    const res = await post(0, o.token, '/v1/groups', { name: 'members', member_ids: [gone.id] });
    const { group } = (await res.json()) as { group: { id: number; conversation_id: string } };
    const conv = group.conversation_id;
    await o0.call('msg.send', { conversation_id: conv, text: 'first' });
    await gone2.next(msgNew(1, conv), T);

    const removed = await fetch(`${cluster.node(0).url}/v1/groups/${group.id}/members/${gone.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${o.token}` },
    });
    expect(removed.status).toBe(204);
    const joiner1 = await on(1, joiner.token);
    const added = await post(1, o.token, `/v1/groups/${group.id}/members`, { user_ids: [joiner.id] });
    expect(added.status).toBe(200);
    // node 2 and node 1 have cached the old member list; the members-changed message refreshes them
    await gone2.next((f) => f.type === 'conv.member' && f.change === 'removed', T);
    const second = await (await on(2, o.token)).call<Sent>('msg.send', { conversation_id: conv, text: 'second' });
    await joiner1.next(msgNew(second.message.seq, conv), T);
    const refused = await gone2.request('msg.send', { conversation_id: conv, text: 'still here?' });
    expect(refused).toMatchObject({ type: 'error', code: 'NOT_MEMBER' });
    // gone2 never got "second": a ping round trip proves nothing is still on its way
    const pong = gone2.wait((f) => f.type === 'pong' && f.id === 'rt', T);
    gone2.send({ type: 'ping', id: 'rt' });
    await pong;
    expect(gone2.frames.some(msgNew(second.message.seq, conv))).toBe(false);
  }, 60_000);

  it('S1: a block made on node 1 refuses the next DM sent through node 0, whose earlier DMs passed', async () => {
    const [a, b] = [await user(), await user()];
    const a0 = await on(0, a.token);
    await on(1, b.token); // host users exist once they have connected
    await a0.call<Sent>('msg.send', { to_user_id: b.id, text: 'before the block' });
    const blocked = await fetch(`${cluster.node(1).url}/v1/blocks/${a.id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${b.token}` },
    });
    expect(blocked.status).toBe(204);
    // node 0 remembered the DM as open; the block's members-changed message (one bus hop) makes it check again
    const deadline = Date.now() + 2_000;
    let reply = await a0.request('msg.send', { to_user_id: b.id, text: 'after the block' });
    while (reply.type === 'result' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      reply = await a0.request('msg.send', { to_user_id: b.id, text: 'after the block' });
    }
    expect(reply).toMatchObject({ type: 'error', code: 'BLOCKED' });
  }, 60_000);

  it('V1: revoking a device through node 0 closes its connection on node 2 with 3503', async () => {
    const a = await user();
    const phone2 = await on(2, a.token, 'phone');
    const laptop1 = await on(1, a.token, 'laptop');
    const res = await fetch(`${cluster.node(0).url}/v1/devices/phone`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${a.token}` },
    });
    expect(res.status).toBe(204);
    expect((await phone2.closed).code).toBe(3503);
    // the other device stays, and the revoked one is refused by every node
    expect(await laptop1.request('ping')).toMatchObject({ type: 'pong' });
    for (const node of [0, 1]) {
      const s = await TestSocket.open(`${cluster.node(node).wsUrl}?device_id=phone`, { token: a.token });
      expect((await s.closed).code, `node ${node}`).toBe(3503);
    }
  }, 60_000);
});
