import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAddressRange } from '../network/address-range.js';
import { ConfigError } from './config-error.js';
import { type Env, readEnum, readInt, readList, readOptional, readString, readUrl } from './parse-env.js';

export type DmPolicy = 'open' | 'friends';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * The whole configuration, validated and frozen. The environment is read here and nowhere else.
 * Every field is documented, with its variable and default, in docs/configuration.md.
 */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  database: DatabaseConfig;
  /** Redis for the bus between nodes and the shared presence (REDIS_URL); null = one node, in memory. */
  redis: { url: string; prefix: string } | null;
  /** Server processes sharing the port on this machine (PARLEY_WORKERS, default 1); > 1 needs PostgreSQL and Redis. */
  workers: number;
  nodeId: string;
  logLevel: LogLevel;
  auth: {
    /** HS256 secret for host tokens and Parley's own tokens; null = generate one and keep it in dataDir. */
    jwtSecret: string | null;
    issuer: string | null;
    audience: string | null;
    jwksUrl: string | null;
    accessTokenTtlSec: number;
    refreshTokenTtlSec: number;
    registration: 'open' | 'closed';
  };
  serverKey: string | null;
  allowedOrigins: string[];
  /** Bounds on one HTTP request and connection: a client that sends slowly is cut off (408 or closed). */
  http: {
    /** The whole request, headers and body, must arrive within this (PARLEY_HTTP_REQUEST_TIMEOUT_MS, 30000). */
    requestTimeoutMs: number;
    /** The headers must arrive within this (PARLEY_HTTP_HEADERS_TIMEOUT_MS, 10000; at most requestTimeoutMs). */
    headersTimeoutMs: number;
    /** An idle keep-alive connection is closed after this (PARLEY_HTTP_KEEP_ALIVE_TIMEOUT_MS, 10000). */
    keepAliveTimeoutMs: number;
  };
  /** Throttles on password sign-in and registration, per source address (see services/login-throttle.ts). */
  authLimits: {
    /** Wrong passwords per (account, source) before backoff (PARLEY_LOGIN_FREE_FAILURES, 5). */
    loginFreeFailures: number;
    /** First backoff wait, doubling per further failure (PARLEY_LOGIN_BACKOFF_MS, 1000). */
    loginBackoffMs: number;
    /** Longest backoff wait (PARLEY_LOGIN_BACKOFF_MAX_MS, 900000). */
    loginBackoffMaxMs: number;
    /** Failed logins per source address, all accounts: refill per minute and burst (PARLEY_LOGIN_SOURCE_PER_MIN 10, _BURST 30). */
    loginSourcePerMin: number;
    loginSourceBurst: number;
    /** Registrations per source address: refill per hour and burst (PARLEY_REGISTER_SOURCE_PER_HOUR 20, _BURST 10). */
    registerSourcePerHour: number;
    registerSourceBurst: number;
    /** Password hashes running at once (PARLEY_HASH_CONCURRENCY, 2) and waiting beyond them (PARLEY_HASH_QUEUE, 64). */
    hashConcurrency: number;
    hashQueue: number;
  };
  /** Least zxcvbn score (0–4) of a new password; 0 = no check (PARLEY_PASSWORD_MIN_SCORE, 3). */
  passwordMinScore: number;
  /** What one address and one account may hold (see gateway/connection-limits.ts); kept per node. */
  connectionLimits: {
    /** Proxies (IPs or CIDRs) whose X-Forwarded-For names the client (PARLEY_TRUSTED_PROXIES, none). */
    trustedProxies: string[];
    /** Open WebSocket connections per client address (PARLEY_MAX_CONNECTIONS_PER_IP, 1000). */
    perIp: number;
    /** WebSocket upgrades per client address: per second and burst (PARLEY_UPGRADES_PER_IP_PER_SEC 20, _BURST 100). */
    upgradesPerIpPerSec: number;
    upgradesPerIpBurst: number;
    /** Authenticated connections per account (PARLEY_MAX_CONNECTIONS_PER_USER, 100). */
    perUser: number;
    /** Devices (not revoked) per account (PARLEY_MAX_DEVICES_PER_USER, 100). */
    devicesPerUser: number;
  };
  dmPolicy: DmPolicy;
  limits: {
    maxFrameBytes: number;
    maxMessageChars: number;
    maxMetadataBytes: number;
    messagesPerSec: number;
    messagesBurst: number;
    framesPerSec: number;
    framesBurst: number;
    sendBufferBytes: number;
  };
  heartbeat: { intervalMs: number; timeoutMs: number; authTimeoutMs: number };
  /** ttlMs: a device's presence entry expires unless its node refreshes it (every ttlMs / 3); a dead node's users go offline within it. */
  presence: { graceMs: number; awayAfterMs: number; typingTtlMs: number; ttlMs: number };
  /**
   * Seed 003's presence (PARLEY_SEED003_PRESENCE): `contacts` (default) keeps P1 (its `user_status` / `presence`
   * pushes and `GET /api/v1/online` list only the caller's contacts); `everyone` is the seed's own behaviour: every
   * seed 003 client hears every user come and go, and the list shows every online user.
   */
  seed003Presence: 'contacts' | 'everyone';
  /** Catch-up replays at most this many messages per conversation; beyond it the client is told to page. */
  syncReplayLimit: number;
  /**
   * C4: how long after `hello` live events wait for the client's first frame (PARLEY_START_HOLD_MS, default 1000):
   * when that frame is a `sync`, they follow its result; otherwise, or after this long, they are released in order.
   */
  startHoldMs: number;
  /** A connection with this many requests awaiting their reply (sends awaiting their ack) is not read until half are answered. */
  maxUnackedPerConnection: number;
  webhook: { url: string; secret: string; maxAttempts: number; retryBaseMs: number; timeoutMs: number } | null;
  shutdownTimeoutMs: number;
  /** Settings that are valid but probably not what the operator wants; logged as warnings at start. */
  advisories: string[];
  /** PARLEY_WEB_DIR: the built web app served at `/` (default packages/web/dist in this repository). */
  webDir: string;
}

/** The store: one SQLite file (the default), or PostgreSQL (DATABASE_URL=postgres://..., for cluster mode). */
export type DatabaseConfig =
  | { kind: 'sqlite'; path: string; synchronous: 'full' | 'normal' }
  | {
      kind: 'postgres';
      url: string;
      /** Connections per process (PARLEY_PG_POOL_MAX, default 10). */
      poolMax: number;
      /** A connection attempt or a query slower than this fails with UNAVAILABLE (PARLEY_PG_TIMEOUT_MS, 5000). */
      timeoutMs: number;
      path?: never;
    };

const DAY = 86_400;
/** packages/web/dist of this repository (this file is packages/server/src/config/config.ts). */
const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../../web/dist', import.meta.url));

function readDatabase(env: Env, dataDir: string): DatabaseConfig {
  const synchronous = readEnum(env, 'PARLEY_SQLITE_SYNC', ['full', 'normal'] as const, 'full');
  const raw = readOptional(env, 'DATABASE_URL');
  if (raw === null) return { kind: 'sqlite', path: resolve(dataDir, 'parley.db'), synchronous };
  if (/^postgres(ql)?:\/\//.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError('DATABASE_URL', 'is not a valid PostgreSQL URL like postgres://user@host:5432/parley');
    }
    if (url.hostname === '' && !url.searchParams.has('host')) {
      throw new ConfigError('DATABASE_URL', 'names no PostgreSQL host, as in postgres://user@host:5432/parley');
    }
    return {
      kind: 'postgres',
      url: raw,
      poolMax: readInt(env, 'PARLEY_PG_POOL_MAX', 10, 1, 1_000),
      timeoutMs: readInt(env, 'PARLEY_PG_TIMEOUT_MS', 5_000, 100, 600_000),
    };
  }
  const path = raw.replace(/^sqlite:(\/\/)?/, '').replace(/^file:(\/\/)?/, '');
  if (path === '') throw new ConfigError('DATABASE_URL', 'the SQLite path is empty');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    throw new ConfigError('DATABASE_URL', `unsupported scheme in "${raw}"; use a SQLite file path`);
  }
  return { kind: 'sqlite', path: isAbsolute(path) ? path : resolve(path), synchronous };
}

function readRedis(env: Env): Config['redis'] {
  const url = readUrl(env, 'REDIS_URL', ['redis:', 'rediss:']);
  const prefix = readString(env, 'PARLEY_REDIS_PREFIX', 'parley:');
  if (!/^[A-Za-z0-9_.:{}-]{1,64}$/.test(prefix)) {
    throw new ConfigError('PARLEY_REDIS_PREFIX', 'must be 1-64 characters of A-Z a-z 0-9 _ . : - { }');
  }
  return url === null ? null : { url, prefix };
}

function readWorkers(env: Env, database: DatabaseConfig, redis: Config['redis']): number {
  const workers = readInt(env, 'PARLEY_WORKERS', 1, 1, 256);
  if (workers > 1 && (database.kind !== 'postgres' || redis === null)) {
    throw new ConfigError(
      'PARLEY_WORKERS',
      `${workers} processes need PostgreSQL (DATABASE_URL=postgres://...) and Redis (REDIS_URL): ` +
        'a SQLite file cannot be shared by several processes, nor can in-memory fan-out and presence',
    );
  }
  return workers;
}

function readSecret(env: Env, name: string, minLength: number): string | null {
  const v = readOptional(env, name);
  if (v !== null && v.length < minLength) throw new ConfigError(name, `must be at least ${minLength} characters`);
  return v;
}

function readWebhook(env: Env): Config['webhook'] {
  const url = readUrl(env, 'PARLEY_WEBHOOK_URL', ['https:', 'http:']);
  const secret = readSecret(env, 'PARLEY_WEBHOOK_SECRET', 16);
  if (url === null) {
    if (secret !== null) throw new ConfigError('PARLEY_WEBHOOK_SECRET', 'is set but PARLEY_WEBHOOK_URL is not');
    return null;
  }
  if (secret === null) throw new ConfigError('PARLEY_WEBHOOK_SECRET', 'is required when PARLEY_WEBHOOK_URL is set');
  return {
    url,
    secret,
    maxAttempts: readInt(env, 'PARLEY_WEBHOOK_MAX_ATTEMPTS', 6, 1, 100),
    retryBaseMs: readInt(env, 'PARLEY_WEBHOOK_RETRY_BASE_MS', 1_000, 10, 3_600_000),
    timeoutMs: readInt(env, 'PARLEY_WEBHOOK_TIMEOUT_MS', 5_000, 100, 120_000),
  };
}

export function loadConfig(env: Env = process.env): Config {
  const dataDir = resolve(readString(env, 'PARLEY_DATA_DIR', './data'));
  const heartbeatIntervalMs = readInt(env, 'PARLEY_HEARTBEAT_INTERVAL_MS', 25_000, 100, 3_600_000);
  const heartbeatTimeoutMs = readInt(env, 'PARLEY_HEARTBEAT_TIMEOUT_MS', 60_000, 200, 7_200_000);
  if (heartbeatTimeoutMs <= heartbeatIntervalMs) {
    throw new ConfigError('PARLEY_HEARTBEAT_TIMEOUT_MS', 'must be greater than PARLEY_HEARTBEAT_INTERVAL_MS');
  }
  const origins = readList(env, 'PARLEY_ALLOWED_ORIGINS', ['*']);
  for (const o of origins) {
    if (o !== '*' && !/^https?:\/\/[^/\s]+$/.test(o)) {
      throw new ConfigError('PARLEY_ALLOWED_ORIGINS', `"${o}" is not an origin like https://app.example.com or *`);
    }
  }
  const messagesPerSec = readInt(env, 'PARLEY_RATE_MESSAGES_PER_SEC', 20, 1, 1_000_000);
  const framesPerSec = readInt(env, 'PARLEY_RATE_FRAMES_PER_SEC', 100, 1, 1_000_000);
  const database = readDatabase(env, dataDir);
  const redis = readRedis(env);
  if (redis !== null && readOptional(env, 'PARLEY_JWT_SECRET') === null) {
    throw new ConfigError(
      'PARLEY_JWT_SECRET',
      'is required with REDIS_URL: every node must sign and verify tokens with the same secret',
    );
  }
  const requestTimeoutMs = readInt(env, 'PARLEY_HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000);
  const headersTimeoutMs = readInt(env, 'PARLEY_HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError('PARLEY_HTTP_HEADERS_TIMEOUT_MS', 'must not be greater than PARLEY_HTTP_REQUEST_TIMEOUT_MS');
  }
  const config: Config = {
    port: readInt(env, 'PORT', 3000, 0, 65_535),
    host: readString(env, 'HOST', '0.0.0.0'),
    dataDir,
    database,
    redis,
    workers: readWorkers(env, database, redis),
    nodeId: readString(env, 'PARLEY_NODE_ID', `${hostname()}-${process.pid}`),
    logLevel: readEnum(
      env,
      'PARLEY_LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      'info',
    ),
    auth: {
      jwtSecret: readSecret(env, 'PARLEY_JWT_SECRET', 32),
      issuer: readOptional(env, 'PARLEY_JWT_ISSUER'),
      audience: readOptional(env, 'PARLEY_JWT_AUDIENCE'),
      jwksUrl: readUrl(env, 'PARLEY_JWKS_URL', ['https:', 'http:']),
      accessTokenTtlSec: readInt(env, 'PARLEY_ACCESS_TOKEN_TTL_SEC', 900, 10, 30 * DAY),
      refreshTokenTtlSec: readInt(env, 'PARLEY_REFRESH_TOKEN_TTL_SEC', 30 * DAY, 60, 365 * DAY),
      registration: readEnum(env, 'PARLEY_REGISTRATION', ['open', 'closed'] as const, 'open'),
    },
    serverKey: readSecret(env, 'PARLEY_SERVER_KEY', 16),
    allowedOrigins: origins,
    http: {
      requestTimeoutMs,
      headersTimeoutMs,
      keepAliveTimeoutMs: readInt(env, 'PARLEY_HTTP_KEEP_ALIVE_TIMEOUT_MS', 10_000, 100, 600_000),
    },
    authLimits: {
      loginFreeFailures: readInt(env, 'PARLEY_LOGIN_FREE_FAILURES', 5, 1, 1_000),
      loginBackoffMs: readInt(env, 'PARLEY_LOGIN_BACKOFF_MS', 1_000, 1, 3_600_000),
      loginBackoffMaxMs: readInt(env, 'PARLEY_LOGIN_BACKOFF_MAX_MS', 900_000, 1, 86_400_000),
      loginSourcePerMin: readInt(env, 'PARLEY_LOGIN_SOURCE_PER_MIN', 10, 1, 1_000_000),
      loginSourceBurst: readInt(env, 'PARLEY_LOGIN_SOURCE_BURST', 30, 1, 1_000_000),
      registerSourcePerHour: readInt(env, 'PARLEY_REGISTER_SOURCE_PER_HOUR', 20, 1, 1_000_000),
      registerSourceBurst: readInt(env, 'PARLEY_REGISTER_SOURCE_BURST', 10, 1, 1_000_000),
      hashConcurrency: readInt(env, 'PARLEY_HASH_CONCURRENCY', 2, 1, 256),
      hashQueue: readInt(env, 'PARLEY_HASH_QUEUE', 64, 0, 100_000),
    },
    passwordMinScore: readInt(env, 'PARLEY_PASSWORD_MIN_SCORE', 3, 0, 4),
    connectionLimits: {
      trustedProxies: readTrustedProxies(env),
      perIp: readInt(env, 'PARLEY_MAX_CONNECTIONS_PER_IP', 1_000, 1, 10_000_000),
      upgradesPerIpPerSec: readInt(env, 'PARLEY_UPGRADES_PER_IP_PER_SEC', 20, 1, 1_000_000),
      upgradesPerIpBurst: readInt(env, 'PARLEY_UPGRADES_PER_IP_BURST', 100, 1, 10_000_000),
      perUser: readInt(env, 'PARLEY_MAX_CONNECTIONS_PER_USER', 100, 1, 1_000_000),
      devicesPerUser: readInt(env, 'PARLEY_MAX_DEVICES_PER_USER', 100, 1, 1_000_000),
    },
    dmPolicy: readEnum(env, 'PARLEY_DM_POLICY', ['open', 'friends'] as const, 'open'),
    limits: {
      maxFrameBytes: readInt(env, 'PARLEY_MAX_FRAME_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
      maxMessageChars: readInt(env, 'PARLEY_MAX_MESSAGE_CHARS', 4000, 1, 1_000_000),
      maxMetadataBytes: readInt(env, 'PARLEY_MAX_METADATA_BYTES', 8 * 1024, 0, 1024 * 1024),
      messagesPerSec,
      messagesBurst: readInt(env, 'PARLEY_RATE_MESSAGES_BURST', messagesPerSec * 2, 1, 10_000_000),
      framesPerSec,
      framesBurst: readInt(env, 'PARLEY_RATE_FRAMES_BURST', framesPerSec * 2, 1, 10_000_000),
      sendBufferBytes: readInt(env, 'PARLEY_SEND_BUFFER_BYTES', 8 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
    },
    heartbeat: {
      intervalMs: heartbeatIntervalMs,
      timeoutMs: heartbeatTimeoutMs,
      authTimeoutMs: readInt(env, 'PARLEY_AUTH_TIMEOUT_MS', 10_000, 100, 600_000),
    },
    presence: {
      graceMs: readInt(env, 'PARLEY_PRESENCE_GRACE_MS', 5_000, 0, 600_000),
      awayAfterMs: readInt(env, 'PARLEY_AWAY_AFTER_MS', 300_000, 0, 86_400_000),
      typingTtlMs: readInt(env, 'PARLEY_TYPING_TTL_MS', 6_000, 500, 60_000),
      ttlMs: readInt(env, 'PARLEY_PRESENCE_TTL_MS', 60_000, 300, 3_600_000),
    },
    seed003Presence: readEnum(env, 'PARLEY_SEED003_PRESENCE', ['contacts', 'everyone'] as const, 'contacts'),
    syncReplayLimit: readInt(env, 'PARLEY_SYNC_REPLAY_LIMIT', 2_000, 1, 1_000_000),
    startHoldMs: readInt(env, 'PARLEY_START_HOLD_MS', 1_000, 0, 60_000),
    maxUnackedPerConnection: readInt(env, 'PARLEY_MAX_UNACKED_PER_CONNECTION', 256, 1, 100_000),
    webhook: readWebhook(env),
    shutdownTimeoutMs: readInt(env, 'PARLEY_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    webDir: resolve(readString(env, 'PARLEY_WEB_DIR', DEFAULT_WEB_DIR)),
    advisories: [],
  };
  config.advisories.push(...advise(env, config));
  return deepFreeze(config);
}

/** PARLEY_TRUSTED_PROXIES: IPv4/IPv6 addresses or CIDR ranges, checked here so a typo stops the server. */
function readTrustedProxies(env: Env): string[] {
  const list = readList(env, 'PARLEY_TRUSTED_PROXIES', []);
  for (const entry of list) {
    if (!parseAddressRange(entry)) {
      throw new ConfigError('PARLEY_TRUSTED_PROXIES', `"${entry}" is not an IP address or CIDR range like 10.0.0.0/8`);
    }
  }
  return list;
}

/** Valid settings that deserve a warning at start. */
function advise(env: Env, config: Config): string[] {
  const out: string[] = [];
  const hostTokens = readOptional(env, 'PARLEY_JWT_SECRET') !== null || config.auth.jwksUrl !== null;
  if (hostTokens && readOptional(env, 'PARLEY_REGISTRATION') === null) {
    out.push(
      'Host-application tokens are configured (PARLEY_JWT_SECRET / PARLEY_JWKS_URL) and standalone registration is ' +
        'open by default: anyone can create accounts beside your users. Set PARLEY_REGISTRATION=closed if only your ' +
        'host application creates users, or PARLEY_REGISTRATION=open to keep both deliberately.',
    );
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
