import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/config/config-error.js';
import type { Env } from '../../src/config/parse-env.js';

/** The settings of issue 16 (abuse limits): documented defaults, and bad values refused by name. */

function refusedVariable(env: Env): string {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.variable;
    throw err;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('abuse-limit settings', () => {
  it('HTTP timeouts default to 30 s for a request, 10 s for headers and idle keep-alives', () => {
    expect(loadConfig({}).http).toEqual({
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 10_000,
    });
  });

  it('a headers timeout above the request timeout is refused', () => {
    expect(refusedVariable({ PARLEY_HTTP_REQUEST_TIMEOUT_MS: '5000', PARLEY_HTTP_HEADERS_TIMEOUT_MS: '6000' })).toBe(
      'PARLEY_HTTP_HEADERS_TIMEOUT_MS',
    );
    expect(refusedVariable({ PARLEY_HTTP_REQUEST_TIMEOUT_MS: '10' })).toBe('PARLEY_HTTP_REQUEST_TIMEOUT_MS');
  });
});

describe('sign-in and registration limits', () => {
  it('default to the documented values', () => {
    expect(loadConfig({}).authLimits).toEqual({
      loginFreeFailures: 5,
      loginBackoffMs: 1_000,
      loginBackoffMaxMs: 900_000,
      loginSourcePerMin: 10,
      loginSourceBurst: 30,
      registerSourcePerHour: 20,
      registerSourceBurst: 10,
      hashConcurrency: 2,
      hashQueue: 64,
    });
  });

  it('a hash concurrency of 0 is refused', () => {
    expect(refusedVariable({ PARLEY_HASH_CONCURRENCY: '0' })).toBe('PARLEY_HASH_CONCURRENCY');
  });
});

describe('advisories', () => {
  it('host tokens with registration left open by default are advised against; an explicit choice is not', () => {
    expect(loadConfig({ PARLEY_JWT_SECRET: 'x'.repeat(32) }).advisories).toHaveLength(1);
    expect(loadConfig({ PARLEY_JWT_SECRET: 'x'.repeat(32), PARLEY_REGISTRATION: 'open' }).advisories).toEqual([]);
    expect(loadConfig({}).advisories).toEqual([]);
  });
});

describe('connection limits and trusted proxies', () => {
  it('default to the documented values, trusting no proxy', () => {
    expect(loadConfig({}).connectionLimits).toEqual({
      trustedProxies: [],
      perIp: 1_000,
      upgradesPerIpPerSec: 20,
      upgradesPerIpBurst: 100,
      perUser: 100,
      devicesPerUser: 100,
    });
  });

  it('PARLEY_TRUSTED_PROXIES takes addresses and CIDR ranges and refuses anything else', () => {
    expect(
      loadConfig({ PARLEY_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8,::1,fd00::/8' }).connectionLimits.trustedProxies,
    ).toEqual(['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8']);
    for (const bad of ['localhost', '10.0.0.0/33', '10.0.0.0/8/1', '::1/129', '10.0.0.0/x']) {
      expect(refusedVariable({ PARLEY_TRUSTED_PROXIES: bad })).toBe('PARLEY_TRUSTED_PROXIES');
    }
  });
});

describe('password strength setting', () => {
  it('defaults to 3 and takes 0 to 4', () => {
    expect(loadConfig({}).passwordMinScore).toBe(3);
    expect(loadConfig({ PARLEY_PASSWORD_MIN_SCORE: '0' }).passwordMinScore).toBe(0);
    expect(refusedVariable({ PARLEY_PASSWORD_MIN_SCORE: '5' })).toBe('PARLEY_PASSWORD_MIN_SCORE');
  });
});
