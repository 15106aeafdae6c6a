import { WS_PATH } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnNode, TestCluster } from '../helpers/cluster.js';
import { hostToken } from '../helpers/host-token.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { dropPrefix, freePort, REDIS_URL, testPrefix } from '../helpers/redis.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { presenceIs, TestSocket } from '../helpers/test-socket.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

/** Nodes coming and going: presence of a dead node's users, and several worker processes sharing one port. */

let cluster: TestCluster | null = null;
const cleanups: (() => Promise<void>)[] = [];
const sockets: TestSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await cluster?.stop();
  cluster = null;
  for (const c of cleanups.splice(0)) await c();
}, 60_000);

/** Connects and waits for hello; generous, because a node or worker may still be starting on a loaded machine. */
async function connect(url: string, token: string): Promise<TestSocket> {
  const s = await TestSocket.connect(url, token, 30_000);
  sockets.push(s);
  return s;
}

const statusOf = async (s: TestSocket, userId: number) =>
  (await s.call<{ presence: { status: string }[] }>('presence.query', { user_ids: [userId] })).presence[0]?.status;

describe('cluster nodes', () => {
  it("P: a killed node's users go offline on every other node within the presence TTL, pushed to their contacts once", async () => {
    const TTL = 1_500;
    cluster = await TestCluster.start({ nodes: 3, env: { PARLEY_PRESENCE_TTL_MS: String(TTL) } });
    const [watcher, victim] = [await hostToken({ sub: '501' }), await hostToken({ sub: '502' })];
    const w0 = await connect(cluster.node(0).wsUrl, watcher);
    const w2 = await connect(cluster.node(2).wsUrl, watcher);
    const v1 = await connect(cluster.node(1).wsUrl, victim);
    await v1.call('msg.send', { to_user_id: 501, text: 'we are contacts now' });
    // refreshed by its node, the entry outlives several TTLs while the node lives
    await new Promise((r) => setTimeout(r, TTL * 2));
    expect(await statusOf(w0, 502)).toBe('online');
    expect(await statusOf(w2, 502)).toBe('online');

    const killedAt = Date.now();
    await cluster.kill(1);
    for (const s of [w0, w2]) {
      while ((await statusOf(s, 502)) !== 'offline') {
        // expiry is by time stamps, so only the last refresh (at most TTL / 3 before the kill) and the latency of
        // the query itself (generous on a busy machine) add to the TTL
        expect(Date.now() - killedAt, 'offline within the TTL').toBeLessThan(TTL + 5_000);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    // one node announced it (the one that took the expired user out), to every device of every contact
    const offline = presenceIs(502, 'offline');
    for (const s of [w0, w2]) await s.next(offline, 5_000);
    await new Promise((r) => setTimeout(r, TTL));
    expect([w0, w2].map((s) => s.frames.filter(offline).length)).toEqual([1, 1]);
  }, 300_000);

  it('P: a node stalled past the TTL (SIGSTOP) has its users announced offline, then sets them online again on resuming', async () => {
    const TTL = 1_500;
    cluster = await TestCluster.start({ nodes: 2, env: { PARLEY_PRESENCE_TTL_MS: String(TTL) } });
    const [watcher, sleeper] = [await hostToken({ sub: '511' }), await hostToken({ sub: '512' })];
    const w0 = await connect(cluster.node(0).wsUrl, watcher);
    const s1 = await connect(cluster.node(1).wsUrl, sleeper);
    await s1.call('msg.send', { to_user_id: 511, text: 'contacts' });
    const presence = (status: string) => presenceIs(512, status);

    const child = cluster.node(1).process?.child;
    child?.kill('SIGSTOP');
    try {
      await w0.next(presence('offline'), TTL + 10_000);
    } finally {
      child?.kill('SIGCONT');
    }
    // its connection never closed: the resumed node's refresh misses the entry and sets it again
    await w0.next(presence('online'), TTL + 10_000); // no earlier one: they became contacts after connecting
    expect(await statusOf(w0, 512)).toBe('online');
    expect(await s1.request('ping')).toMatchObject({ type: 'pong' });
  }, 300_000);

  it('P3: a user who left a node that then died within the grace period is still announced offline, by another node', async () => {
    const TTL = 1_500;
    cluster = await TestCluster.start({
      nodes: 2,
      env: { PARLEY_PRESENCE_TTL_MS: String(TTL), PARLEY_PRESENCE_GRACE_MS: '2000' },
    });
    const [watcher, leaver] = [await hostToken({ sub: '531' }), await hostToken({ sub: '532' })];
    const w0 = await connect(cluster.node(0).wsUrl, watcher);
    const l1 = await connect(cluster.node(1).wsUrl, leaver);
    await l1.call('msg.send', { to_user_id: 531, text: 'contacts' });
    const offline = presenceIs(532, 'offline');
    l1.close();
    await l1.closed;
    await new Promise((r) => setTimeout(r, 200));
    await cluster.kill(1); // its 2 s grace timer dies with it
    await w0.next(offline, 2_000 + TTL * 2 + 10_000);
    await new Promise((r) => setTimeout(r, TTL));
    expect(w0.frames.filter(offline)).toHaveLength(1);
  }, 300_000);

  it('W1 P1: a user on two nodes produces one user.online and, once gone from both, one user.offline webhook', async () => {
    const receiver = await WebhookReceiver.start();
    cleanups.push(() => receiver.stop());
    cluster = await TestCluster.start({
      nodes: 3,
      env: { PARLEY_WEBHOOK_URL: receiver.url, PARLEY_WEBHOOK_SECRET: 'a-webhook-secret-of-16+' },
    });
    const token = await hostToken({ sub: '521' });
    const about = (type: string) => (r: { body: { type: string; data: Record<string, unknown> } }) =>
      r.body.type === type && r.body.data.user_id === 521;
    const a0 = await connect(cluster.node(0).wsUrl, token);
    const a1 = await connect(cluster.node(1).wsUrl, token);
    await receiver.next(about('user.online'), 10_000);
    a0.close();
    await new Promise((r) => setTimeout(r, 500)); // past the grace: still online through node 1
    a1.close();
    await receiver.next(about('user.offline'), 10_000);
    const a2 = await connect(cluster.node(2).wsUrl, token);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(receiver.requests.filter(about('user.online'))).toHaveLength(2);
    expect(receiver.requests.filter(about('user.offline'))).toHaveLength(1);
    a2.close();
  }, 300_000);

  it('PARLEY_WORKERS=3: three processes share one port, a message crosses workers, SIGTERM drains them all', async () => {
    const database: TestDatabase = await createTestDatabase();
    const prefix = testPrefix();
    cleanups.push(async () => {
      await database.drop();
      await dropPrefix(prefix);
    });
    const port = await freePort();
    const server: ServerProcess = await spawnNode({
      PORT: String(port),
      PARLEY_WORKERS: '3',
      DATABASE_URL: database.url,
      REDIS_URL,
      PARLEY_REDIS_PREFIX: prefix,
      PARLEY_LOG_LEVEL: 'info',
      PARLEY_PG_POOL_MAX: '3',
    });
    cleanups.push(async () => {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    });
    const url = `ws://127.0.0.1:${port}${WS_PATH}`;
    const [a, b] = [await hostToken({ sub: '601' }), await hostToken({ sub: '602' })];

    // connections are spread over the workers (the others may still be starting): keep one socket per worker,
    // for user 601 and 602 alternately, until every worker holds one and the two users sit on different workers
    const kept = new Map<string, { socket: TestSocket; user: number }>();
    const pair = () => {
      const all = [...kept.values()];
      const s = all.find((k) => k.user === 601);
      const r = all.find((k) => k.user === 602);
      return s && r ? { sender: s.socket, receiver: r.socket } : null;
    };
    for (let i = 0; i < 600 && (kept.size < 3 || !pair()); i++) {
      const user = i % 2 === 0 ? 601 : 602;
      const s = await connect(url, user === 601 ? a : b);
      const node = (s.frames[0] as unknown as { node_id: string }).node_id;
      const held = kept.get(node);
      if (!held || (!pair() && held.user !== user && [...kept.values()].every((k) => k.user === held.user))) {
        held?.socket.close();
        kept.set(node, { socket: s, user });
      } else s.close();
      if (kept.size < 3 || !pair()) await new Promise((r) => setTimeout(r, 100));
    }
    expect(kept.size).toBe(3);
    const { sender, receiver } = pair() ?? { sender: null, receiver: null };
    expect(sender && receiver).toBeTruthy();
    const nodes = [...kept.values()].map((k) => k.socket);
    const sent = await (sender as TestSocket).call<{ message: { id: string } }>('msg.send', {
      to_user_id: 602,
      text: 'across workers',
    });
    const got = await (receiver as TestSocket).next(
      (f) => f.type === 'msg.new' && (f.message as { id: string }).id === sent.message.id,
      20_000,
    );
    expect(got).toBeDefined();

    const closed = Promise.all(nodes.map((s) => s.closed));
    server.child.kill('SIGTERM');
    expect((await closed).map((c) => c.code)).toEqual([3000, 3000, 3000]);
    expect(await server.exited).toBe(0);
  }, 300_000);
});
