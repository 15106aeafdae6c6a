import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/config/config-error.js';

const SECRET = { PARLEY_JWT_SECRET: 's'.repeat(32) };

describe('cluster configuration', () => {
  it('DATABASE_URL=postgres://... selects PostgreSQL with its pool settings', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://parley:pw@db:5432/parley' });
    expect(c.database).toEqual({
      kind: 'postgres',
      url: 'postgres://parley:pw@db:5432/parley',
      poolMax: 10,
      timeoutMs: 5_000,
    });
    const tuned = loadConfig({
      DATABASE_URL: 'postgresql://db/parley?sslmode=require',
      PARLEY_PG_POOL_MAX: '40',
      PARLEY_PG_TIMEOUT_MS: '2500',
    });
    expect(tuned.database).toMatchObject({ kind: 'postgres', poolMax: 40, timeoutMs: 2_500 });
    expect(loadConfig({ DATABASE_URL: 'postgresql:///parley?host=/var/run/postgresql' }).database.kind).toBe(
      'postgres',
    );
  });

  it('REDIS_URL selects Redis, under the prefix "parley:" unless PARLEY_REDIS_PREFIX says otherwise', () => {
    expect(loadConfig({}).redis).toBeNull();
    expect(loadConfig({ ...SECRET, REDIS_URL: 'redis://127.0.0.1:6379' }).redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      prefix: 'parley:',
    });
    expect(
      loadConfig({ ...SECRET, REDIS_URL: 'rediss://cache:6380/2', PARLEY_REDIS_PREFIX: 'chat-eu:' }).redis,
    ).toEqual({
      url: 'rediss://cache:6380/2',
      prefix: 'chat-eu:',
    });
  });

  it('PARLEY_WORKERS defaults to 1 and accepts more with PostgreSQL and Redis', () => {
    expect(loadConfig({}).workers).toBe(1);
    const c = loadConfig({
      ...SECRET,
      PARLEY_WORKERS: '4',
      DATABASE_URL: 'postgres://db/parley',
      REDIS_URL: 'redis://cache',
    });
    expect(c.workers).toBe(4);
  });

  it('REDIS_URL without PARLEY_JWT_SECRET is refused: nodes must share the token secret', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://cache' })).toThrow(ConfigError);
    expect(() => loadConfig({ REDIS_URL: 'redis://cache' })).toThrow(/PARLEY_JWT_SECRET/);
  });

  it('PARLEY_PRESENCE_TTL_MS defaults to 60 s', () => {
    expect(loadConfig({}).presence.ttlMs).toBe(60_000);
    expect(loadConfig({ PARLEY_PRESENCE_TTL_MS: '15000' }).presence.ttlMs).toBe(15_000);
  });
});
