import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { register, rest } from './helpers/rest.js';
import { waitFor } from './helpers/sync.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { TestSocket } from './helpers/test-socket.js';

type Stats = { online_users: number; connections: number; node_id: string; uptime_s: number };

let server: TestServer;
const sockets: TestSocket[] = [];
const connect = async (token: string) => {
  const s = await TestSocket.connect(server.wsUrl, token);
  sockets.push(s);
  return s;
};
const stats = async () => (await rest(server.app).get('/stats')).body as Stats;
const metricsText = async () => {
  const res = await rest(server.app).get('/metrics');
  expect(res.status).toBe(200);
  return res.body as string;
};

/** The value of one sample in Prometheus text, e.g. sample(text, 'x_total', { code: 'NOT_FOUND' }); null if absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries(
      [...(m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return null;
}

beforeEach(async () => {
  server = await startServer({ PARLEY_NODE_ID: 'ops-node-1' });
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await server.stop();
});

describe('operations endpoints', () => {
  it('GET /health answers 200 with the plain text OK, no token needed', async () => {
    const res = await rest(server.app).get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toBe('OK');
    expect(String(res.headers['content-type'])).toMatch(/^text\/plain/);
    // over real HTTP too
    const real = await fetch(`${server.url}/health`);
    expect(real.status).toBe(200);
    expect(await real.text()).toBe('OK');
  });

  it('GET /ready answers 200 {status: "ready"} while the store answers', async () => {
    const res = await rest(server.app).get('/ready');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ready', store: 'sqlite' });
  });

  it('GET /stats counts open connections and online users, and names the node', async () => {
    expect(await stats()).toMatchObject({ online_users: 0, connections: 0, node_id: 'ops-node-1' });
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const a1 = await connect(alice.token);
    const a2 = await connect(alice.token);
    const s = await stats();
    expect(s).toMatchObject({ connections: 2, online_users: 1, node_id: 'ops-node-1' });
    expect(typeof s.uptime_s).toBe('number');

    const b = await connect(bob.token);
    expect(await stats()).toMatchObject({ connections: 3, online_users: 2 });

    a1.close();
    await waitFor(async () => (await stats()).connections === 2, 'one connection fewer');
    expect((await stats()).online_users).toBe(2);
    a2.close();
    b.close();
    await waitFor(async () => (await stats()).connections === 0, 'no connections');
    await waitFor(async () => (await stats()).online_users === 0, 'nobody online');
  });

  it('GET /metrics is Prometheus text with connections, frame counters, stored messages and store batch timing', async () => {
    const before = await metricsText();
    expect(before).toContain('# TYPE parley_connections gauge');
    expect(before).toContain('# TYPE parley_frames_in_total counter');
    expect(before).toContain('# TYPE parley_frames_out_total counter');
    expect(before).toContain('# TYPE parley_messages_stored_total counter');
    expect(before).toContain('# TYPE parley_store_batch_seconds histogram');
    expect(sample(before, 'parley_connections')).toBe(0);
    expect(sample(before, 'parley_messages_stored_total')).toBe(0);

    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const a = await connect(alice.token);
    const b = await connect(bob.token);
    const open = await metricsText();
    expect(sample(open, 'parley_connections')).toBe(2);

    for (let i = 1; i <= 3; i++)
      await a.call('msg.send', { to_user_id: bob.id, text: `m${i}`, client_msg_id: `c${i}` });
    await waitFor(() => b.events('msg.new').length === 3, 'bob got 3 messages');

    const after = await metricsText();
    expect(sample(after, 'parley_messages_stored_total')).toBe(3);
    expect(sample(after, 'parley_frames_in_total', { dialect: 'canonical' })).toBeGreaterThanOrEqual(3);
    // hello x2, 3 acks, 3 msg.new at least
    expect(sample(after, 'parley_frames_out_total')).toBeGreaterThanOrEqual(8);
    const batches = sample(after, 'parley_store_batch_seconds_count');
    expect(batches).toBeGreaterThanOrEqual(1);
    expect(batches).toBeLessThanOrEqual(3);
    expect(sample(after, 'parley_store_batch_seconds_bucket', { le: '+Inf' })).toBe(batches);
    expect(sample(after, 'parley_store_batch_seconds_sum')).toBeGreaterThanOrEqual(0);

    // one more send moves the counter again
    await b.call('msg.send', { to_user_id: alice.id, text: 'reply' });
    expect(sample(await metricsText(), 'parley_messages_stored_total')).toBe(4);
  });

  it('D2: a retried send (same client_msg_id) is not counted again in parley_messages_stored_total', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const a = await connect(alice.token);
    const first = await a.call<{ duplicate: boolean }>('msg.send', {
      to_user_id: bob.id,
      text: 'once',
      client_msg_id: 'k1',
    });
    expect(first.duplicate).toBe(false);
    expect(sample(await metricsText(), 'parley_messages_stored_total')).toBe(1);
    const retry = await a.call<{ duplicate: boolean }>('msg.send', {
      to_user_id: bob.id,
      text: 'once',
      client_msg_id: 'k1',
    });
    expect(retry.duplicate).toBe(true);
    // the retry stored no row, so the counter of stored messages must not move
    expect(sample(await metricsText(), 'parley_messages_stored_total')).toBe(1);
  });

  it('parley_errors_total{code} counts refusals over REST and WebSocket', async () => {
    const alice = await register(server.app, 'alice');
    expect(sample(await metricsText(), 'parley_errors_total', { code: 'BAD_CREDENTIALS' })).toBeNull();

    const login = await rest(server.app).post('/v1/auth/login', { username: 'alice', password: 'wrong-password' });
    expect(login.status).toBe(401);
    const unauth = await rest(server.app).get('/v1/users/me');
    expect(unauth.status).toBe(401);
    const a = await connect(alice.token);
    const refused = await a.request('msg.send', { to_user_id: 'u_nobody', text: 'hello?' });
    expect(refused).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
    const unknown = await a.request('no.such.frame');
    expect(unknown).toMatchObject({ type: 'error', code: 'UNKNOWN_TYPE' });

    const text = await metricsText();
    expect(sample(text, 'parley_errors_total', { code: 'BAD_CREDENTIALS' })).toBe(1);
    expect(sample(text, 'parley_errors_total', { code: 'AUTH_REQUIRED' })).toBe(1);
    expect(sample(text, 'parley_errors_total', { code: 'NOT_FOUND' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'parley_errors_total', { code: 'UNKNOWN_TYPE' })).toBe(1);
  });
});
