import { afterEach, describe, expect, it } from 'vitest';
import { rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/test-server.js';
import { TestSocket } from '../helpers/test-socket.js';
import { befriend, hostUser } from '../helpers/users.js';

/** Seed 003's presence and doors: who hears whom, what a presence frame may carry, a socket without a token. */

let server: TestServer | null = null;
const sockets: TestSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await server?.stop();
  server = null;
});

const seedUrl = () => `ws://127.0.0.1:${server?.port}/api/v1/ws`;

async function open(token: string): Promise<TestSocket> {
  const s = await TestSocket.open(seedUrl(), { token });
  sockets.push(s);
  await s.next((f) => f.type === 'connected');
  return s;
}

const statusOf = (userId: number, status: string) => (f: Record<string, unknown>) =>
  f.type === 'user_status' &&
  (f.data as { user_id: number; status: string }).user_id === userId &&
  (f.data as { status: string }).status === status;

const quiet = () => new Promise((r) => setTimeout(r, 300));

async function users() {
  const app = (server as TestServer).app;
  const [alice, bob, dave] = [
    await hostUser(app, '1', 'alice'),
    await hostUser(app, '2', 'bob'),
    await hostUser(app, '4', 'dave'),
  ];
  await befriend(app, alice, bob); // dave is nobody's contact
  return { alice, bob, dave };
}

describe('seed 003: presence audience, presence data, refusals', () => {
  it('A2: a connection without a token is refused at once with AUTHENTICATION_FAILED and close 3500', async () => {
    server = await startServer();
    const anonymous = await TestSocket.open(seedUrl()); // and sends nothing
    sockets.push(anonymous);
    const started = Date.now();
    expect(await anonymous.next((f) => f.type === 'error', 2_000)).toMatchObject({
      error_code: 'AUTHENTICATION_FAILED',
    });
    expect((await anonymous.closed).code).toBe(3500);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("P1: by default user_status and the /api/v1/online list reach the user's contacts only", async () => {
    server = await startServer();
    const { alice, bob, dave } = await users();
    const [b, d] = [await open(bob.token), await open(dave.token)];
    await open(alice.token);
    await b.next(statusOf(1, 'online'));
    await quiet();
    expect(d.frames.filter(statusOf(1, 'online'))).toEqual([]);
    const listed = async (token: string) =>
      ((await rest(server!.app, token).get('/api/v1/online')).body as { users: { user_id: number }[] }).users
        .map((u) => u.user_id)
        .sort();
    expect(await listed(bob.token)).toEqual([1]);
    expect(await listed(dave.token)).toEqual([]);
  });

  it("PARLEY_SEED003_PRESENCE=everyone: the seed's own behaviour, every seed 003 client hears everyone and the list shows every online user", async () => {
    server = await startServer({ PARLEY_SEED003_PRESENCE: 'everyone' });
    const { alice, dave } = await users();
    const d = await open(dave.token);
    const a = await open(alice.token);
    await d.next(statusOf(1, 'online'));
    a.close();
    await d.next(statusOf(1, 'offline'));
    const list = (await rest(server.app, dave.token).get('/api/v1/online')).body as { users: { user_id: number }[] };
    expect(list.users.map((u) => u.user_id)).toEqual([4]);
  });

  it('16.8: presence data is bounded in size and depth (INVALID_MESSAGE), a 30,000-deep payload breaks no delivery, and the data goes with the connection', async () => {
    server = await startServer({ PARLEY_AWAY_AFTER_MS: '600' });
    const { alice, bob } = await users();
    const b = await open(bob.token);
    let a = await open(alice.token);
    const presence = (status: string, device?: string) => (f: Record<string, unknown>) =>
      f.type === 'presence' &&
      (f.data as { status: string }).status === status &&
      (device === undefined || (f.data as { data: { device?: string } }).data.device === device);

    const deep = `{"type":"presence","status":"busy","data":{"a":${'['.repeat(30_000)}${']'.repeat(30_000)}}}`;
    a.send(deep);
    expect(await a.next((f) => f.type === 'error')).toMatchObject({ error_code: 'INVALID_MESSAGE' });
    a.send({ type: 'presence', status: 'busy', data: { blob: 'x'.repeat(2_000) } });
    const secondError = await a.next(
      (f) => f.type === 'error' && a.frames.filter((g) => g.type === 'error').length === 2,
    );
    expect(secondError).toMatchObject({ error_code: 'INVALID_MESSAGE' });
    // refused frames change nothing, and the next change reaches the contacts as usual
    a.send({ type: 'presence', status: 'busy', data: { device: 'mobile' } });
    await b.next(presence('busy', 'mobile'));

    // gone with the connection: back on a new one, automatic away shows no stale data
    a.close();
    await b.next(statusOf(1, 'offline'));
    a = await open(alice.token);
    const away = await b.next(presence('away'), 3_000);
    expect((away.data as { data: unknown }).data).toEqual({});
  });
});
