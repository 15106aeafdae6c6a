import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/config/config-error.js';
import type { Env } from '../../src/config/parse-env.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const SECRET_32 = 'x'.repeat(32);

/** Asserts that loading `env` throws a ConfigError naming `variable`, and returns its message. */
function configError(env: Env, variable: string): string {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected a ConfigError for ${JSON.stringify(env)}`).toBeInstanceOf(ConfigError);
  const err = caught as ConfigError;
  expect(err.variable).toBe(variable);
  expect(err.message).toContain(variable);
  return err.message;
}

describe('loadConfig defaults', () => {
  it('an empty environment gives the documented defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.host).toBe('0.0.0.0');
    expect(c.dataDir).toBe(resolve('./data'));
    expect(c.database).toEqual({ kind: 'sqlite', path: resolve('./data', 'parley.db'), synchronous: 'full' });
    expect(c.nodeId).toBe(`${hostname()}-${process.pid}`);
    expect(c.logLevel).toBe('info');
    expect(c.auth).toEqual({
      jwtSecret: null,
      issuer: null,
      audience: null,
      jwksUrl: null,
      accessTokenTtlSec: 900,
      refreshTokenTtlSec: 30 * 86_400,
      registration: 'open',
    });
    expect(c.serverKey).toBeNull();
    expect(c.allowedOrigins).toEqual(['*']);
    expect(c.dmPolicy).toBe('open');
    expect(c.limits).toEqual({
      maxFrameBytes: 64 * 1024,
      maxMessageChars: 4000,
      maxMetadataBytes: 8 * 1024,
      messagesPerSec: 20,
      messagesBurst: 40,
      framesPerSec: 100,
      framesBurst: 200,
      sendBufferBytes: 8 * 1024 * 1024,
    });
    expect(c.heartbeat).toEqual({ intervalMs: 25_000, timeoutMs: 60_000, authTimeoutMs: 10_000 });
    expect(c.shutdownTimeoutMs).toBe(10_000);
  });

  it('the data directory is resolved to an absolute path and holds the SQLite file', () => {
    const c = loadConfig({ PARLEY_DATA_DIR: 'some/rel/dir' });
    expect(c.dataDir).toBe(resolve('some/rel/dir'));
    expect(c.database.path).toBe(resolve('some/rel/dir', 'parley.db'));
    const abs = loadConfig({ PARLEY_DATA_DIR: '/var/lib/parley' });
    expect(abs.dataDir).toBe('/var/lib/parley');
    expect(abs.database.path).toBe('/var/lib/parley/parley.db');
  });

  it('empty strings count as unset', () => {
    const c = loadConfig({
      PORT: '',
      HOST: '',
      PARLEY_DM_POLICY: '',
      PARLEY_JWT_SECRET: '',
      PARLEY_ALLOWED_ORIGINS: ' ',
    });
    expect(c.port).toBe(3000);
    expect(c.host).toBe('0.0.0.0');
    expect(c.dmPolicy).toBe('open');
    expect(c.auth.jwtSecret).toBeNull();
    expect(c.allowedOrigins).toEqual(['*']);
  });

  it('burst limits default to twice the per-second rate', () => {
    const c = loadConfig({ PARLEY_RATE_MESSAGES_PER_SEC: '7', PARLEY_RATE_FRAMES_PER_SEC: '11' });
    expect(c.limits.messagesBurst).toBe(14);
    expect(c.limits.framesBurst).toBe(22);
  });
});

describe('loadConfig reads every variable', () => {
  it('reads each setting from its variable', () => {
    const c = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      PARLEY_DATA_DIR: '/srv/parley',
      PARLEY_SQLITE_SYNC: 'normal',
      PARLEY_NODE_ID: 'node-7',
      PARLEY_LOG_LEVEL: 'debug',
      PARLEY_JWT_SECRET: SECRET_32,
      PARLEY_JWT_ISSUER: 'https://issuer.test',
      PARLEY_JWT_AUDIENCE: 'parley-app',
      PARLEY_JWKS_URL: 'https://issuer.test/.well-known/jwks.json',
      PARLEY_ACCESS_TOKEN_TTL_SEC: '600',
      PARLEY_REFRESH_TOKEN_TTL_SEC: '86400',
      PARLEY_REGISTRATION: 'closed',
      PARLEY_SERVER_KEY: 'k'.repeat(16),
      PARLEY_ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:5173',
      PARLEY_DM_POLICY: 'friends',
      PARLEY_MAX_FRAME_BYTES: '2048',
      PARLEY_MAX_MESSAGE_CHARS: '500',
      PARLEY_MAX_METADATA_BYTES: '0',
      PARLEY_RATE_MESSAGES_PER_SEC: '5',
      PARLEY_RATE_MESSAGES_BURST: '9',
      PARLEY_RATE_FRAMES_PER_SEC: '50',
      PARLEY_RATE_FRAMES_BURST: '60',
      PARLEY_SEND_BUFFER_BYTES: '65536',
      PARLEY_HEARTBEAT_INTERVAL_MS: '1000',
      PARLEY_HEARTBEAT_TIMEOUT_MS: '3000',
      PARLEY_AUTH_TIMEOUT_MS: '2000',
      PARLEY_SHUTDOWN_TIMEOUT_MS: '0',
    });
    expect(c).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir: '/srv/parley',
      database: { kind: 'sqlite', path: '/srv/parley/parley.db', synchronous: 'normal' },
      nodeId: 'node-7',
      logLevel: 'debug',
      auth: {
        jwtSecret: SECRET_32,
        issuer: 'https://issuer.test',
        audience: 'parley-app',
        jwksUrl: 'https://issuer.test/.well-known/jwks.json',
        accessTokenTtlSec: 600,
        refreshTokenTtlSec: 86_400,
        registration: 'closed',
      },
      serverKey: 'k'.repeat(16),
      allowedOrigins: ['https://app.example.com', 'http://localhost:5173'],
      dmPolicy: 'friends',
      limits: {
        maxFrameBytes: 2048,
        maxMessageChars: 500,
        maxMetadataBytes: 0,
        messagesPerSec: 5,
        messagesBurst: 9,
        framesPerSec: 50,
        framesBurst: 60,
        sendBufferBytes: 65_536,
      },
      heartbeat: { intervalMs: 1000, timeoutMs: 3000, authTimeoutMs: 2000 },
      shutdownTimeoutMs: 0,
    });
  });

  it('PORT accepts the whole range 0..65535', () => {
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65_535);
  });

  it('enum values are case-insensitive', () => {
    const c = loadConfig({ PARLEY_DM_POLICY: 'Friends', PARLEY_LOG_LEVEL: 'WARN', PARLEY_SQLITE_SYNC: 'Normal' });
    expect(c.dmPolicy).toBe('friends');
    expect(c.logLevel).toBe('warn');
    expect(c.database).toMatchObject({ kind: 'sqlite', synchronous: 'normal' });
  });

  it('DATABASE_URL accepts SQLite paths and sqlite:/file: URLs', () => {
    expect(loadConfig({ DATABASE_URL: '/abs/chat.db' }).database.path).toBe('/abs/chat.db');
    expect(loadConfig({ DATABASE_URL: 'rel/chat.db' }).database.path).toBe(resolve('rel/chat.db'));
    expect(loadConfig({ DATABASE_URL: 'sqlite:///abs/chat.db' }).database.path).toBe('/abs/chat.db');
    expect(loadConfig({ DATABASE_URL: 'sqlite:rel.db' }).database.path).toBe(resolve('rel.db'));
    expect(loadConfig({ DATABASE_URL: 'file:///abs/f.db' }).database.path).toBe('/abs/f.db');
    const c = loadConfig({ DATABASE_URL: '/abs/chat.db', PARLEY_SQLITE_SYNC: 'normal' });
    expect(c.database).toEqual({ kind: 'sqlite', path: '/abs/chat.db', synchronous: 'normal' });
  });

  it('PARLEY_ALLOWED_ORIGINS accepts * and trims entries', () => {
    expect(loadConfig({ PARLEY_ALLOWED_ORIGINS: '*' }).allowedOrigins).toEqual(['*']);
    expect(loadConfig({ PARLEY_ALLOWED_ORIGINS: ' https://a.test ,, https://b.test:8443 ' }).allowedOrigins).toEqual([
      'https://a.test',
      'https://b.test:8443',
    ]);
  });

  it('secrets of exactly the minimum length are accepted', () => {
    const c = loadConfig({ PARLEY_JWT_SECRET: SECRET_32, PARLEY_SERVER_KEY: 's'.repeat(16) });
    expect(c.auth.jwtSecret).toBe(SECRET_32);
    expect(c.serverKey).toBe('s'.repeat(16));
  });

  it('PARLEY_JWKS_URL accepts http and https', () => {
    expect(loadConfig({ PARLEY_JWKS_URL: 'http://idp.local/jwks' }).auth.jwksUrl).toBe('http://idp.local/jwks');
    expect(loadConfig({ PARLEY_JWKS_URL: 'https://idp.test/jwks' }).auth.jwksUrl).toBe('https://idp.test/jwks');
  });
});

describe('loadConfig refuses bad values with a ConfigError naming the variable', () => {
  const cases: [string, Env, string][] = [
    ['PORT=abc', { PORT: 'abc' }, 'PORT'],
    ['PORT=70000', { PORT: '70000' }, 'PORT'],
    ['PORT=-1', { PORT: '-1' }, 'PORT'],
    ['PORT=80.5', { PORT: '80.5' }, 'PORT'],
    ['PORT=1e3', { PORT: '1e3' }, 'PORT'],
    ['PARLEY_DM_POLICY=maybe', { PARLEY_DM_POLICY: 'maybe' }, 'PARLEY_DM_POLICY'],
    ['PARLEY_LOG_LEVEL=loud', { PARLEY_LOG_LEVEL: 'loud' }, 'PARLEY_LOG_LEVEL'],
    ['PARLEY_SQLITE_SYNC=off', { PARLEY_SQLITE_SYNC: 'off' }, 'PARLEY_SQLITE_SYNC'],
    ['PARLEY_REGISTRATION=invite', { PARLEY_REGISTRATION: 'invite' }, 'PARLEY_REGISTRATION'],
    ['PARLEY_JWT_SECRET too short', { PARLEY_JWT_SECRET: 'x'.repeat(31) }, 'PARLEY_JWT_SECRET'],
    ['PARLEY_SERVER_KEY too short', { PARLEY_SERVER_KEY: 'k'.repeat(15) }, 'PARLEY_SERVER_KEY'],
    ['PARLEY_ALLOWED_ORIGINS=not-an-origin', { PARLEY_ALLOWED_ORIGINS: 'not-an-origin' }, 'PARLEY_ALLOWED_ORIGINS'],
    [
      'PARLEY_ALLOWED_ORIGINS with a path',
      { PARLEY_ALLOWED_ORIGINS: 'https://ok.test,https://app.test/chat' },
      'PARLEY_ALLOWED_ORIGINS',
    ],
    [
      'PARLEY_HEARTBEAT_TIMEOUT_MS equal to the interval',
      { PARLEY_HEARTBEAT_INTERVAL_MS: '30000', PARLEY_HEARTBEAT_TIMEOUT_MS: '30000' },
      'PARLEY_HEARTBEAT_TIMEOUT_MS',
    ],
    [
      'PARLEY_HEARTBEAT_TIMEOUT_MS below the interval',
      { PARLEY_HEARTBEAT_INTERVAL_MS: '30000', PARLEY_HEARTBEAT_TIMEOUT_MS: '20000' },
      'PARLEY_HEARTBEAT_TIMEOUT_MS',
    ],
    [
      'PARLEY_HEARTBEAT_TIMEOUT_MS below the default interval',
      { PARLEY_HEARTBEAT_TIMEOUT_MS: '25000' },
      'PARLEY_HEARTBEAT_TIMEOUT_MS',
    ],
    ['DATABASE_URL=postgres:// without a host', { DATABASE_URL: 'postgres://' }, 'DATABASE_URL'],
    ['DATABASE_URL=postgresql:///parley without a host', { DATABASE_URL: 'postgresql:///parley' }, 'DATABASE_URL'],
    ['PARLEY_WORKERS=2 with SQLite', { PARLEY_WORKERS: '2' }, 'PARLEY_WORKERS'],
    ['PARLEY_WORKERS=2 without Redis', { PARLEY_WORKERS: '2', DATABASE_URL: 'postgres://db/parley' }, 'PARLEY_WORKERS'],
    ['PARLEY_WORKERS=0', { PARLEY_WORKERS: '0' }, 'PARLEY_WORKERS'],
    ['REDIS_URL=http://x', { REDIS_URL: 'http://x' }, 'REDIS_URL'],
    ['PARLEY_REDIS_PREFIX with a space', { PARLEY_REDIS_PREFIX: 'my app' }, 'PARLEY_REDIS_PREFIX'],
    ['DATABASE_URL=mysql://...', { DATABASE_URL: 'mysql://root@db/parley' }, 'DATABASE_URL'],
    ['DATABASE_URL=sqlite:// (empty path)', { DATABASE_URL: 'sqlite://' }, 'DATABASE_URL'],
    ['PARLEY_JWKS_URL=ftp://x', { PARLEY_JWKS_URL: 'ftp://x' }, 'PARLEY_JWKS_URL'],
    ['PARLEY_JWKS_URL not a URL', { PARLEY_JWKS_URL: 'jwks.json' }, 'PARLEY_JWKS_URL'],
    ['PARLEY_MAX_FRAME_BYTES below its minimum', { PARLEY_MAX_FRAME_BYTES: '10' }, 'PARLEY_MAX_FRAME_BYTES'],
    ['PARLEY_RATE_MESSAGES_PER_SEC=0', { PARLEY_RATE_MESSAGES_PER_SEC: '0' }, 'PARLEY_RATE_MESSAGES_PER_SEC'],
    ['PARLEY_ACCESS_TOKEN_TTL_SEC=ten', { PARLEY_ACCESS_TOKEN_TTL_SEC: 'ten' }, 'PARLEY_ACCESS_TOKEN_TTL_SEC'],
  ];

  it.each(cases)('%s', (_label, env, variable) => {
    configError(env, variable);
  });

  it('the message says what is wrong', () => {
    expect(configError({ PORT: 'abc' }, 'PORT')).toMatch(/integer/);
    expect(configError({ PORT: '70000' }, 'PORT')).toMatch(/65535/);
    expect(configError({ PARLEY_DM_POLICY: 'maybe' }, 'PARLEY_DM_POLICY')).toMatch(/open, friends/);
    expect(configError({ PARLEY_WORKERS: '4' }, 'PARLEY_WORKERS')).toMatch(/PostgreSQL.*Redis/);
    expect(configError({ PARLEY_JWT_SECRET: 'short' }, 'PARLEY_JWT_SECRET')).toMatch(/32/);
  });
});

describe('the configuration is frozen', () => {
  it('deeply: top level, nested objects and arrays', () => {
    const c = loadConfig({ PARLEY_ALLOWED_ORIGINS: 'https://a.test' });
    for (const part of [c, c.database, c.auth, c.limits, c.heartbeat, c.allowedOrigins]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
    expect(() => {
      (c as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (c.limits as { maxMessageChars: number }).maxMessageChars = 1;
    }).toThrow(TypeError);
    expect(() => {
      (c.auth as { jwtSecret: string | null }).jwtSecret = 'stolen';
    }).toThrow(TypeError);
    expect(() => c.allowedOrigins.push('https://evil.test')).toThrow(TypeError);
    expect(c.port).toBe(3000);
    expect(c.allowedOrigins).toEqual(['https://a.test']);
  });

  it('every nested object is frozen', () => {
    const walk = (v: unknown, path: string) => {
      if (v === null || typeof v !== 'object') return;
      expect(Object.isFrozen(v), `${path} is frozen`).toBe(true);
      for (const [k, child] of Object.entries(v)) walk(child, `${path}.${k}`);
    };
    walk(loadConfig({}), 'config');
  });
});

describe('the server process refuses bad configuration', () => {
  /** Runs the real entry point with `extra` on top of an environment cleaned of Parley settings. */
  function runServer(extra: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v === undefined || k.startsWith('PARLEY_') || k === 'PORT' || k === 'HOST' || k === 'DATABASE_URL') continue;
      env[k] = v;
    }
    const child = spawn(process.execPath, ['--import', 'tsx', 'packages/server/src/main.ts'], {
      cwd: ROOT,
      env: { ...env, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.resume();
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the server did not exit; stderr: ${stderr}`));
      }, 15_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolvePromise({ code, stderr });
      });
    });
  }

  it('PORT=abc: exits with code 2 and names PORT on stderr', async () => {
    const { code, stderr } = await runServer({ PORT: 'abc' });
    expect(code).toBe(2);
    expect(stderr).toContain('PORT');
    expect(stderr).toMatch(/configuration error/);
  });

  it('PARLEY_DM_POLICY=maybe: exits with code 2 and names the variable', async () => {
    const { code, stderr } = await runServer({ PARLEY_DM_POLICY: 'maybe' });
    expect(code).toBe(2);
    expect(stderr).toContain('PARLEY_DM_POLICY');
  });
});
