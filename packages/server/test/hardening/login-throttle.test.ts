import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type ParleyApp } from '../../src/app.js';
import { argon2Hasher, type PasswordHasher } from '../../src/auth/password-hasher.js';
import { loadConfig } from '../../src/config/config.js';
import { TEST_SECRET } from '../helpers/host-token.js';
import { waitFor } from '../helpers/sync.js';

/**
 * Issue 16 item 3: password guessing and mass registration are throttled per source address, and per
 * (account, source) with backoff, so the attacker is slowed and the account's owner is not locked out.
 * REST through inject, each request from a chosen client address.
 */

const ATTACKER = '203.0.113.66';
const VICTIM = '198.51.100.7';
const PASSWORD = 'correct-horse-battery';

let app: ParleyApp;
let dir: string;
let now = Date.now();

async function serve(env: Record<string, string> = {}, hasher?: PasswordHasher): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), 'parley-login-'));
  const config = loadConfig({
    PARLEY_DATA_DIR: dir,
    PARLEY_LOG_LEVEL: 'silent',
    PARLEY_JWT_SECRET: TEST_SECRET,
    PARLEY_SQLITE_SYNC: 'normal',
    PARLEY_PASSWORD_MIN_SCORE: '0',
    ...env,
  });
  now = Date.now();
  app = await createApp(config, { clock: () => now, ...(hasher ? { hasher } : {}) });
}

afterEach(async () => {
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Answer = {
  status: number;
  body: { error: { code: string; retryable: boolean; retry_after_ms?: number }; access_token?: string };
  headers: Record<string, unknown>;
};

async function post(url: string, payload: Record<string, unknown>, from: string): Promise<Answer> {
  const res = await app.http.inject({ method: 'POST', url, payload, remoteAddress: from });
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}
const login = (username: string, password: string, from: string) =>
  post('/v1/auth/login', { username, password }, from);
const register = (username: string, from: string) => post('/v1/auth/register', { username, password: PASSWORD }, from);

describe('login throttling (issue 16.3)', () => {
  it('many wrong passwords from one address get 429 RATE_LIMITED with retry_after; the victim from another address still logs in', async () => {
    await serve();
    expect((await register('victim', VICTIM)).status).toBe(201);
    for (let i = 0; i < 5; i++) {
      const res = await login('victim', `guess-number-${i}`, ATTACKER);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('BAD_CREDENTIALS');
    }
    const limited = await login('victim', 'guess-number-5', ATTACKER);
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 'RATE_LIMITED', retryable: true, retry_after_ms: 1000 });
    expect(limited.headers['retry-after']).toBe('1');
    // Even the right password is not checked from the attacker's address while it waits: guessing stays slow.
    expect((await login('victim', PASSWORD, ATTACKER)).status).toBe(429);
    // The owner, from elsewhere, is not locked out.
    const owner = await login('victim', PASSWORD, VICTIM);
    expect(owner.status).toBe(200);
    expect(owner.body.access_token).toEqual(expect.any(String));
  });

  it('the wait doubles with each further wrong password, and a right password clears it', async () => {
    await serve({ PARLEY_LOGIN_FREE_FAILURES: '2' });
    await register('victim', VICTIM);
    for (let i = 0; i < 2; i++) expect((await login('victim', `guess-${i}`, ATTACKER)).status).toBe(401);
    expect((await login('victim', 'guess-x', ATTACKER)).body.error.retry_after_ms).toBe(1000);
    now += 1000;
    expect((await login('victim', 'guess-2', ATTACKER)).status).toBe(401);
    expect((await login('victim', 'guess-y', ATTACKER)).body.error.retry_after_ms).toBe(2000);
    now += 2000;
    expect((await login('victim', 'guess-3', ATTACKER)).status).toBe(401);
    expect((await login('victim', 'guess-z', ATTACKER)).body.error.retry_after_ms).toBe(4000);
    now += 4000;
    expect((await login('victim', PASSWORD, ATTACKER)).status).toBe(200);
    expect((await login('victim', 'typo-once', ATTACKER)).status).toBe(401);
    expect((await login('victim', PASSWORD, ATTACKER)).status).toBe(200);
  });

  it('concurrent guesses cannot pass the gate together', async () => {
    await serve();
    await register('victim', VICTIM);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => login('victim', `parallel-guess-${i}`, ATTACKER)),
    );
    expect(answers.filter((a) => a.status === 401)).toHaveLength(5);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(35);
  });

  it('spraying one password over many accounts from one address is throttled per address', async () => {
    await serve({ PARLEY_LOGIN_SOURCE_BURST: '8', PARLEY_REGISTER_SOURCE_BURST: '100' });
    for (let i = 0; i < 10; i++) await register(`user${i}`, VICTIM);
    const codes: number[] = [];
    for (let i = 0; i < 10; i++) codes.push((await login(`user${i}`, 'Summer2026!', ATTACKER)).status);
    expect(codes).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 429, 429]);
    // Right passwords do not count against an address.
    for (let i = 0; i < 10; i++) expect((await login(`user${i}`, PASSWORD, VICTIM)).status).toBe(200);
  });

  it('unknown accounts are answered and throttled exactly like wrong passwords, with one password check each', async () => {
    let checks = 0;
    const counting: PasswordHasher = {
      hash: (p) => argon2Hasher.hash(p),
      verify: (h, p) => {
        checks += 1;
        return argon2Hasher.verify(h, p);
      },
    };
    await serve({}, counting);
    await register('known', VICTIM);
    const known: unknown[] = [];
    const unknown: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      known.push((await login('known', `wrong-${i}`, ATTACKER)).body);
      unknown.push((await login('nobody-here', `wrong-${i}`, ATTACKER)).body);
    }
    expect(unknown).toEqual(known);
    expect(checks).toBe(10);
  });

  it('registration is limited per address; other addresses still register', async () => {
    await serve({ PARLEY_REGISTER_SOURCE_BURST: '3' });
    for (let i = 0; i < 3; i++) expect((await register(`bulk${i}`, ATTACKER)).status).toBe(201);
    const refused = await register('bulk3', ATTACKER);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('RATE_LIMITED');
    expect(refused.body.error.retry_after_ms).toBeGreaterThan(0);
    expect((await register('someone', VICTIM)).status).toBe(201);
  });

  it('password checks run at most PARLEY_HASH_CONCURRENCY at once; beyond the queue, 503 OVERLOADED', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let held = 0;
    const holding: PasswordHasher = {
      hash: (p) => argon2Hasher.hash(p),
      verify: async (h, p) => {
        held += 1;
        await gate;
        return argon2Hasher.verify(h, p);
      },
    };
    await serve({ PARLEY_HASH_CONCURRENCY: '1', PARLEY_HASH_QUEUE: '2' }, holding);
    await register('someone', VICTIM);
    const settled: Answer[] = [];
    const pending = Array.from({ length: 6 }, (_, i) =>
      login('someone', `wrong-${i}`, `192.0.2.${i + 1}`).then((r) => {
        settled.push(r);
        return r;
      }),
    );
    // One check runs, two wait; the other three are refused at once.
    await waitFor(() => settled.length === 3, 'three refusals');
    for (const r of settled) {
      expect(r.status).toBe(503);
      expect(r.body.error).toMatchObject({ code: 'OVERLOADED', retryable: true });
    }
    expect(held).toBe(1);
    release();
    const all = await Promise.all(pending);
    expect(all.filter((r) => r.status === 401)).toHaveLength(3);
    expect(held).toBe(3);
  });
});
