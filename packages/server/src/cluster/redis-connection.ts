import { Redis } from 'ioredis';

export interface RedisSettings {
  url: string;
  /** Every key and channel starts with it: one Redis can serve several deployments (or test runs). */
  prefix: string;
}

/**
 * A connection that reconnects by itself (backoff capped at 1 s). Commands issued before the first connection
 * wait for it (a process starting); once it was up, a command issued while disconnected fails at once instead of
 * piling up and replaying stale commands later: the bus drops it and signals a gap, presence reports nobody.
 */
export function connectRedis(url: string, name: string): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    autoResubscribe: false,
    retryStrategy: (attempt) => Math.min(50 * attempt, 1_000),
  });
  redis.once('ready', () => {
    redis.options.enableOfflineQueue = false;
  });
  // Errors surface on the commands that fail; the connection itself keeps retrying.
  redis.on('error', () => {});
  return redis;
}
