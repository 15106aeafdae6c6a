import 'fake-indexeddb/auto';
import { CLOSE_CODES } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { IndexedDbOutboxStore, type ParleyClient } from '../src/index.js';
import {
  ChaosProxy,
  client,
  hostToken,
  recorder,
  rest,
  seededRandom,
  startServer,
  type TestServer,
  until,
  wsUrl,
} from './kit.js';

let server: TestServer;
let proxy: ChaosProxy | null = null;
const clients: ParleyClient[] = [];
const make = (...args: Parameters<typeof client>) => {
  const c = client(...args);
  clients.push(c);
  return c;
};

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await proxy?.stop();
  proxy = null;
  await server?.stop();
});

const noDuplicates = (seen: { id: string }[]) => expect(new Set(seen.map((s) => s.id)).size).toBe(seen.length);

describe('ParleyClient against the real server', () => {
  it('two clients chat; every message is emitted exactly once, in order, and the sender sees it acknowledged', async () => {
    server = await startServer();
    const alice = make({ url: server.wsUrl, token: await hostToken({ sub: '1' }) });
    const bob = make({ url: server.wsUrl, token: await hostToken({ sub: '2' }) });
    const bobSeen = recorder(bob);
    const sent: string[] = [];
    alice.on('sent', (s) => sent.push(s.clientMsgId));
    alice.connect();
    bob.connect();
    await until(() => alice.state === 'connected' && bob.state === 'connected');
    for (let i = 0; i < 20; i++) await alice.send({ toUserId: 2 }, `hello ${i}`);
    await until(() => bobSeen.length === 20 && sent.length === 20);
    expect(bobSeen.map((s) => s.text)).toEqual(Array.from({ length: 20 }, (_, i) => `hello ${i}`));
    expect(bobSeen.map((s) => s.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(alice.outbox.size).toBe(0);
  });

  it('a server restart mid-conversation: the client reconnects, catches up, and shows each message once', async () => {
    server = await startServer();
    const alice = make({ url: server.wsUrl, token: await hostToken({ sub: '1' }) });
    const bob = make({ url: server.wsUrl, token: await hostToken({ sub: '2' }) });
    const bobSeen = recorder(bob);
    const states: string[] = [];
    bob.on('state', (s) => states.push(`${s.state}${s.code ? `:${s.code}` : ''}`));
    alice.connect();
    bob.connect();
    await until(() => alice.state === 'connected' && bob.state === 'connected');
    for (let i = 0; i < 10; i++) await alice.send({ toUserId: 2 }, `before ${i}`);
    await until(() => bobSeen.length === 10);
    bob.disconnect(); // bob is away while the server restarts and alice keeps writing
    server = await server.restart();
    for (let i = 0; i < 10; i++) await alice.send({ toUserId: 2 }, `after ${i}`);
    bob.connect();
    await until(() => bobSeen.length === 20, 15_000, 'bob to catch up');
    expect(bobSeen.map((s) => s.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    noDuplicates(bobSeen);
    expect(states).toContain('connected');
    await until(() => alice.outbox.size === 0);
  });

  it('messages written while offline are queued and delivered exactly once after the reconnect', async () => {
    server = await startServer();
    const port = server.port;
    const alice = make({ url: wsUrl(port), token: await hostToken({ sub: '1' }) });
    const bob = make({ url: wsUrl(port), token: await hostToken({ sub: '2' }) });
    const bobSeen = recorder(bob);
    alice.connect();
    bob.connect();
    await until(() => alice.state === 'connected' && bob.state === 'connected');
    const closed = new Promise((r) => alice.once('state', r));
    const restarted = server.restart(); // the server goes away: alice is offline for a moment
    await closed;
    for (let i = 0; i < 5; i++) await alice.send({ toUserId: 2 }, `offline ${i}`);
    expect(alice.outbox.size).toBeGreaterThan(0);
    server = await restarted;
    await until(() => bobSeen.length === 5, 15_000, 'the queued messages');
    expect(bobSeen.map((s) => s.text)).toEqual([0, 1, 2, 3, 4].map((i) => `offline ${i}`));
    await until(() => alice.outbox.size === 0);
  });

  it('the network cut mid-send through a TCP proxy: no loss, no duplicates, in order', async () => {
    server = await startServer({ PARLEY_RATE_MESSAGES_PER_SEC: '100000', PARLEY_RATE_FRAMES_PER_SEC: '100000' });
    proxy = new ChaosProxy(server.port);
    const port = await proxy.start();
    const alice = make({ url: wsUrl(port), token: await hostToken({ sub: '1' }) });
    const bob = make({ url: wsUrl(port), token: await hostToken({ sub: '2' }) });
    const bobSeen = recorder(bob);
    alice.connect();
    bob.connect();
    await until(() => alice.state === 'connected' && bob.state === 'connected');
    const random = seededRandom(4);
    let cutting = true;
    const cutter = (async () => {
      while (cutting) {
        await new Promise((r) => setTimeout(r, 10 + random() * 30));
        proxy?.cutRandom(random);
      }
    })();
    const total = 300;
    for (let i = 0; i < total; i++) {
      await alice.send({ toUserId: 2 }, `m${i}`);
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => alice.outbox.size === 0, 30_000, 'the outbox to drain');
    cutting = false;
    await cutter;
    await until(() => bobSeen.length === total, 15_000, 'bob to hold every message');
    expect(bobSeen.map((s) => s.text)).toEqual(Array.from({ length: total }, (_, i) => `m${i}`));
    noDuplicates(bobSeen);
    expect(proxy.cuts).toBeGreaterThan(5);
  }, 60_000);

  it('A4: a short-lived token is renewed on the live connection before it expires', async () => {
    server = await startServer();
    let issued = 0;
    const provider = async () => {
      issued++;
      return hostToken({ sub: '1' }, { expiresInSec: 3 });
    };
    const alice = make({ url: server.wsUrl, token: provider, refreshBeforeExpiryMs: 2000 });
    const states: string[] = [];
    alice.on('state', (s) => states.push(s.state));
    alice.connect();
    await until(() => alice.state === 'connected');
    await new Promise((r) => setTimeout(r, 4500)); // beyond the first token's expiry
    expect(alice.state).toBe('connected');
    expect(issued).toBeGreaterThanOrEqual(2);
    expect(states.filter((s) => s === 'reconnecting')).toHaveLength(0);
    const r = await alice.request('ping');
    expect(r).toBeDefined();
  }, 15_000);

  it('V1: a revoked device is closed with 3503 and does not reconnect', async () => {
    server = await startServer();
    const token = await hostToken({ sub: '1' });
    const phone = make({ url: server.wsUrl, token, device: { id: 'phone-1', name: 'Phone' } });
    const laptop = make({ url: server.wsUrl, token, device: { id: 'laptop-1', name: 'Laptop' } });
    phone.connect();
    laptop.connect();
    await until(() => phone.state === 'connected' && laptop.state === 'connected');
    const res = await rest(server.app, token).delete('/v1/devices/phone-1');
    expect(res.status).toBe(204);
    await until(() => phone.state === 'disconnected');
    const stateChanges: string[] = [];
    phone.on('state', (s) => stateChanges.push(s.state));
    await new Promise((r) => setTimeout(r, 500));
    expect(stateChanges).toEqual([]);
    expect(laptop.state).toBe('connected');
  });

  it('a forged token is terminal: no reconnect loop', async () => {
    server = await startServer();
    const forged = await hostToken({ sub: '1' }, { secret: 'someone-elses-secret-that-is-long-enough-000' });
    const c = make({ url: server.wsUrl, token: forged });
    const closes: (number | undefined)[] = [];
    c.on('state', (s) => closes.push(s.code));
    c.connect();
    await until(() => c.state === 'disconnected');
    expect(closes).toContain(CLOSE_CODES.AUTH_FAILED);
    await new Promise((r) => setTimeout(r, 300));
    expect(c.state).toBe('disconnected');
  });

  it('heartbeats detect a dead connection within two intervals even when TCP still looks open', async () => {
    server = await startServer();
    proxy = new ChaosProxy(server.port);
    const port = await proxy.start();
    const c = make({ url: wsUrl(port), token: await hostToken({ sub: '1' }), heartbeatMs: 200 });
    c.connect();
    await until(() => c.state === 'connected');
    const reasons: string[] = [];
    c.on('state', (s) => reasons.push(s.reason ?? ''));
    proxy.blackhole(); // TCP stays open and never closes by itself: only the heartbeat can notice
    // Watch the state events, not the state: on a quiet machine the client may drop the dead connection and be
    // connected again between two polls. Generous bounds: under load timers fire late.
    await until(() => reasons.length > 0, 15_000, 'the dead connection to be noticed');
    expect(reasons[0]).toContain('two heartbeat intervals');
    await until(() => c.state === 'connected', 15_000, 'a new connection');
  }, 40_000);

  it('the browser outbox (IndexedDB) survives a page reload and is sent exactly once', async () => {
    server = await startServer();
    const token = await hostToken({ sub: '1' });
    const first = make({
      url: 'ws://127.0.0.1:9/v1/ws',
      token,
      outboxStore: new IndexedDbOutboxStore('outbox-user-1'),
    });
    for (let i = 0; i < 3; i++) await first.send({ conversationId: 'dm:1:2' }, `queued ${i}`);
    first.disconnect(); // the page goes away before it could connect
    await rest(server.app, await hostToken({ sub: '2' })).get('/v1/users/me'); // the peer exists
    const bob = make({ url: server.wsUrl, token: await hostToken({ sub: '2' }) });
    const bobSeen = recorder(bob);
    bob.connect();
    const reloaded = make({ url: server.wsUrl, token, outboxStore: new IndexedDbOutboxStore('outbox-user-1') });
    reloaded.connect();
    await until(() => bobSeen.length === 3, 10_000, 'the persisted messages');
    expect(bobSeen.map((s) => s.text)).toEqual(['queued 0', 'queued 1', 'queued 2']);
    await until(() => reloaded.outbox.size === 0);
    const again = make({ url: server.wsUrl, token, outboxStore: new IndexedDbOutboxStore('outbox-user-1') });
    await new Promise((r) => setTimeout(r, 50));
    expect(again.outbox.size).toBe(0);
  });
});
