import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { rest } from '../helpers/rest.js';
import { hostUser } from '../helpers/users.js';
import { startServer, type TestServer } from '../helpers/test-server.js';

/** Issue 16 item 6: standalone registration beside a host application's users. */

describe.each(['sqlite', 'postgres'] as const)('a registration never takes a host user’s username (%s)', (kind) => {
  let server: TestServer;
  let db: TestDatabase | null = null;

  beforeAll(async () => {
    db = kind === 'postgres' ? await createTestDatabase() : null;
    server = await startServer(db ? { DATABASE_URL: db.url } : {});
  });
  afterAll(async () => {
    await server.stop();
    await db?.drop();
  });

  it('a stranger cannot register the username of a host user, in any letter case', async () => {
    await hostUser(server.app, '4242', 'alice.host');
    for (const username of ['alice.host', 'ALICE.HOST', 'Alice.Host']) {
      const res = await rest(server.app).post('/v1/auth/register', { username, password: 'correct-horse-battery' });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ error: { code: 'CONFLICT', field: 'username' } });
    }
    // A name nobody has is still free.
    const free = await rest(server.app).post('/v1/auth/register', {
      username: 'alice.other',
      password: 'correct-horse-battery',
    });
    expect(free.status).toBe(201);
  });
});

describe('the start-up warning about open registration beside host tokens', () => {
  async function warningsAtStart(env: Record<string, string>): Promise<string[]> {
    const dir = mkdtempSync(join(tmpdir(), 'parley-warn-'));
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const app = await createApp(loadConfig({ PARLEY_DATA_DIR: dir, ...env }), {
      logger: pino({ level: 'warn' }, sink),
    });
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
    return lines
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level === 40)
      .map((l) => l.msg);
  }

  it('is logged when host tokens are configured and registration is left open by default', async () => {
    const warnings = await warningsAtStart({ PARLEY_JWT_SECRET: 'h'.repeat(40) });
    expect(warnings.some((w) => w.includes('PARLEY_REGISTRATION=closed'))).toBe(true);
    const jwks = await warningsAtStart({ PARLEY_JWKS_URL: 'https://idp.invalid/jwks.json' });
    expect(jwks.some((w) => w.includes('PARLEY_REGISTRATION=closed'))).toBe(true);
  });

  it('is not logged when registration is set explicitly, nor in standalone mode', async () => {
    const envs: Record<string, string>[] = [
      { PARLEY_JWT_SECRET: 'h'.repeat(40), PARLEY_REGISTRATION: 'closed' },
      { PARLEY_JWT_SECRET: 'h'.repeat(40), PARLEY_REGISTRATION: 'open' },
      {},
    ];
    for (const env of envs) {
      expect((await warningsAtStart(env)).filter((w) => w.includes('PARLEY_REGISTRATION'))).toEqual([]);
    }
  });
});
