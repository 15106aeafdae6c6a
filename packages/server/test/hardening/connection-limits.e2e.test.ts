import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WS_PATH } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApp, type ParleyApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { TEST_SECRET } from '../helpers/host-token.js';
import { register, rest } from '../helpers/rest.js';
import { waitFor } from '../helpers/sync.js';
import { TestSocket } from '../helpers/test-socket.js';

/**
 * Issue 16 item 7: what one address and one account may hold, over real sockets; and client addresses behind a
 * trusted proxy. The server's clock stands still, so rates never refill during a test.
 */

let app: ParleyApp;
let dir: string;
let wsUrl: string;
const sockets: WebSocket[] = [];

async function serve(env: Record<string, string>): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), 'parley-limits-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PARLEY_DATA_DIR: dir,
    PARLEY_LOG_LEVEL: 'silent',
    PARLEY_JWT_SECRET: TEST_SECRET,
    PARLEY_SQLITE_SYNC: 'normal',
    PARLEY_PASSWORD_MIN_SCORE: '0',
    PARLEY_REGISTRATION: 'open',
    ...env,
  });
  const now = Date.now();
  app = await createApp(config, { clock: () => now });
  wsUrl = `ws://127.0.0.1:${await app.start()}${WS_PATH}`;
}

afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Upgrade = { opened: true; ws: WebSocket } | { opened: false; status: number; body: string; retryAfter?: string };

/** Tries one upgrade; resolves with the open socket or with the HTTP refusal. */
function upgrade(query = '', headers: Record<string, string> = {}): Promise<Upgrade> {
  const ws = new WebSocket(`${wsUrl}${query}`, { headers });
  sockets.push(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ opened: true, ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () =>
        resolve({
          opened: false,
          status: res.statusCode ?? 0,
          body,
          ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}),
        }),
      );
    });
    ws.once('error', (err) => {
      if (!String(err).includes('Unexpected server response')) reject(err);
    });
  });
}

const codeOf = (u: Upgrade) => (u.opened ? 'opened' : (JSON.parse(u.body) as { error: { code: string } }).error.code);

describe('per-address limits on WebSocket upgrades and connections (issue 16.7)', () => {
  it('a burst of upgrades from one address beyond PARLEY_UPGRADES_PER_IP_BURST gets HTTP 429 RATE_LIMITED', async () => {
    await serve({ PARLEY_UPGRADES_PER_IP_PER_SEC: '1', PARLEY_UPGRADES_PER_IP_BURST: '5' });
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await upgrade());
    expect(results.map(codeOf)).toEqual([
      'opened',
      'opened',
      'opened',
      'opened',
      'opened',
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);
    const refused = results[5] as Extract<Upgrade, { opened: false }>;
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('1');
  });

  it('one address holds at most PARLEY_MAX_CONNECTIONS_PER_IP open connections; a closed one frees its place', async () => {
    await serve({ PARLEY_MAX_CONNECTIONS_PER_IP: '3' });
    const held = [];
    for (let i = 0; i < 3; i++) held.push(await upgrade());
    const refused = await upgrade();
    expect(refused).toMatchObject({ opened: false, status: 429 });
    expect(codeOf(refused)).toBe('TOO_MANY_CONNECTIONS');
    // Unauthenticated sockets count too: the flood in the issue never authenticated.
    (held[0] as { ws: WebSocket }).ws.terminate();
    let again: Upgrade | null = null;
    await waitFor(async () => {
      again = await upgrade();
      return again.opened;
    }, 'a place freed by the closed connection');
    expect(codeOf(again as unknown as Upgrade)).toBe('opened');
  });

  it('X-Forwarded-For is ignored unless the peer is a trusted proxy', async () => {
    await serve({ PARLEY_MAX_CONNECTIONS_PER_IP: '2' });
    const spoofed = [];
    for (let i = 0; i < 3; i++) spoofed.push(await upgrade('', { 'x-forwarded-for': `10.9.9.${i}` }));
    expect(spoofed.map(codeOf)).toEqual(['opened', 'opened', 'TOO_MANY_CONNECTIONS']);
  });

  it('behind a trusted proxy each client has its own allowance: no global lockout', async () => {
    await serve({ PARLEY_MAX_CONNECTIONS_PER_IP: '2', PARLEY_TRUSTED_PROXIES: '127.0.0.0/8, ::1' });
    const viaProxy = (client: string) => upgrade('', { 'x-forwarded-for': `6.6.6.6, ${client}` });
    expect(codeOf(await viaProxy('10.0.0.1'))).toBe('opened');
    expect(codeOf(await viaProxy('10.0.0.1'))).toBe('opened');
    expect(codeOf(await viaProxy('10.0.0.1'))).toBe('TOO_MANY_CONNECTIONS');
    // Another client of the same proxy, and the spoofed left-most entry is not who is counted.
    expect(codeOf(await viaProxy('10.0.0.2'))).toBe('opened');
  });

  it('behind a trusted proxy, sign-in throttling counts the forwarded client, not the proxy', async () => {
    await serve({ PARLEY_TRUSTED_PROXIES: '127.0.0.1', PARLEY_LOGIN_FREE_FAILURES: '2' });
    await register(app, 'victim');
    const login = (password: string, client: string) =>
      app.http.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { username: 'victim', password },
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-for': client },
      });
    for (let i = 0; i < 2; i++) expect((await login(`wrong-${i}`, '10.0.0.66')).statusCode).toBe(401);
    expect((await login('wrong-again', '10.0.0.66')).statusCode).toBe(429);
    expect((await login('correct-horse-battery', '10.0.0.7')).statusCode).toBe(200);
  });
});

describe('per-account limits on connections and devices (issue 16.7)', () => {
  it('an account holds at most PARLEY_MAX_CONNECTIONS_PER_USER connections: the next gets TOO_MANY_CONNECTIONS and close 3005', async () => {
    await serve({ PARLEY_MAX_CONNECTIONS_PER_USER: '2' });
    const alice = await register(app, 'alice');
    const bob = await register(app, 'bob');
    const a1 = await TestSocket.connect(wsUrl, alice.token);
    const a2 = await TestSocket.connect(wsUrl, alice.token);
    const a3 = await TestSocket.open(wsUrl, { token: alice.token });
    const error = await a3.next((f) => f.type === 'error');
    expect(error).toMatchObject({ code: 'TOO_MANY_CONNECTIONS', retryable: true });
    expect((await a3.closed).code).toBe(3005);
    // Others are not affected, and the account's open connections keep working.
    const b1 = await TestSocket.connect(wsUrl, bob.token);
    expect((await a1.request('ping')).type).toBe('pong');
    for (const s of [a1, a2, b1]) s.close();
  });

  it('an account has at most PARLEY_MAX_DEVICES_PER_USER devices: a new one is refused until one is revoked', async () => {
    await serve({ PARLEY_MAX_DEVICES_PER_USER: '2' });
    const alice = await register(app, 'alice');
    const login = (device_id: string) =>
      rest(app).post('/v1/auth/login', { username: 'alice', password: 'correct-horse-battery', device_id });
    expect((await login('phone')).status).toBe(200);
    expect((await login('laptop')).status).toBe(200);
    const third = await login('tablet');
    expect(third.status).toBe(409);
    expect(third.body).toMatchObject({ error: { code: 'TOO_MANY_DEVICES', retryable: false } });
    // Over the WebSocket: a new device id is refused with the terminal close 3504.
    const s = await TestSocket.open(`${wsUrl}?device_id=watch`, { token: alice.token });
    expect(await s.next((f) => f.type === 'error')).toMatchObject({ code: 'TOO_MANY_DEVICES' });
    expect((await s.closed).code).toBe(3504);
    // Known devices still sign in; revoking one frees a place.
    expect((await login('laptop')).status).toBe(200);
    expect((await rest(app, alice.token).delete('/v1/devices/phone')).status).toBe(204);
    expect((await login('tablet')).status).toBe(200);
    const devices = (await rest(app, alice.token).get('/v1/devices')).body as { devices: unknown[] };
    expect(devices.devices).toHaveLength(3);
  });

  it('concurrent sign-ins with new devices cannot exceed the allowance together', async () => {
    await serve({ PARLEY_MAX_DEVICES_PER_USER: '3' });
    await register(app, 'alice');
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        app.http.inject({
          method: 'POST',
          url: '/v1/auth/login',
          payload: { username: 'alice', password: 'correct-horse-battery', device_id: `d${i}` },
          remoteAddress: `192.0.2.${i + 1}`,
        }),
      ),
    );
    expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(3);
    expect(answers.filter((a) => a.statusCode === 409)).toHaveLength(5);
  });
});
