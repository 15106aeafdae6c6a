import { CLOSE_CODES, WS_PATH } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { argon2Hasher, type PasswordHasher } from './auth/password-hasher.js';
import { boundedHasher } from './auth/bounded-hasher.js';
import { zxcvbnStrength } from './auth/password-strength.js';
import { loadOrCreateSecret } from './auth/secret-file.js';
import { TokenService } from './auth/token-service.js';
import type { Bus } from './cluster/bus.js';
import { MemoryBus } from './cluster/memory-bus.js';
import { MemoryPresenceStore } from './cluster/memory-presence-store.js';
import { startPresenceRefresh } from './cluster/presence-refresh.js';
import type { PresenceStore } from './cluster/presence-store.js';
import { RedisBus } from './cluster/redis-bus.js';
import { RedisPresenceStore } from './cluster/redis-presence-store.js';
import type { Config } from './config/config.js';
import { CanonicalDialect } from './gateway/canonical/canonical-dialect.js';
import type { GatewayContext } from './gateway/context.js';
import { startHeartbeatSweep } from './gateway/heartbeat-sweep.js';
import { Hub } from './gateway/hub.js';
import { PendingReplies } from './gateway/pending-replies.js';
import { Sessions } from './gateway/sessions.js';
import { WsGateway } from './gateway/ws-gateway.js';
import { registerSeedDialects } from './gateway/dialects/register-seed-dialects.js';
import { buildHttp } from './http/http-server.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics } from './ops/metrics.js';
import { AuthService } from './services/auth-service.js';
import { type Clock, systemClock } from './services/clock.js';
import { ConversationService } from './services/conversation-service.js';
import { DeviceService } from './services/device-service.js';
import { type HostEvents, noHostEvents } from './services/host-events.js';
import { NotificationService } from './services/notification-service.js';
import { ReceiptAnnouncer } from './services/receipt-announcer.js';
import { ReceiptService } from './services/receipt-service.js';
import { SyncService } from './services/sync-service.js';
import { TypingService } from './services/typing-service.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import { GroupService } from './services/group-service.js';
import { LoginThrottle } from './services/login-throttle.js';
import { MembershipCache } from './services/membership-cache.js';
import { MessageDeletionService } from './services/message-deletion-service.js';
import { MessageService } from './services/message-service.js';
import { PresenceService } from './services/presence-service.js';
import { RateLimiter } from './services/rate-limiter.js';
import { SocialService } from './services/social-service.js';
import { UserService } from './services/user-service.js';
import { GroupCommit } from './storage/group-commit.js';
import { PositionBatch } from './storage/position-batch.js';
import { createPostgresStore } from './storage/postgres/postgres-store.js';
import { createSqliteStore } from './storage/sqlite/sqlite-store.js';
import type { Store } from './storage/store.js';

export interface AppOptions {
  logger?: Logger;
  clock?: Clock;
  hasher?: PasswordHasher;
}

export interface ParleyApp {
  readonly config: Config;
  readonly http: FastifyInstance;
  readonly store: Store;
  readonly log: Logger;
  /** Listens on config.port (0 = any free port); resolves with the port bound. */
  start(): Promise<number>;
  /**
   * Graceful drain: stop accepting, finish frames being handled, flush pending writes and their acks, close every
   * socket with 3000 "server restarting, reconnect", close the store. No acknowledged message is lost.
   */
  stop(): Promise<void>;
}

/** The composition root: the only place that picks implementations (store, bus, presence) from config. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<ParleyApp> {
  const log = options.logger ?? createLogger(config.logLevel, config.nodeId);
  const clock = options.clock ?? systemClock;
  for (const advice of config.advisories) log.warn({ advice: true }, advice);
  // One node: SQLite and in-memory bus and presence. A cluster: PostgreSQL (DATABASE_URL) and Redis (REDIS_URL).
  const store =
    config.database.kind === 'postgres'
      ? await createPostgresStore({ ...config.database, applicationName: `parley ${config.nodeId}` })
      : createSqliteStore(config.database);
  const bus: Bus = config.redis ? new RedisBus(config.redis) : new MemoryBus();
  // A user who left is announced offline by the node they left after the grace period; past it and a TTL, by any.
  const leavingMs = config.presence.graceMs + config.presence.ttlMs;
  const presenceStore: PresenceStore = config.redis
    ? new RedisPresenceStore(config.redis, config.presence.ttlMs, Date.now, leavingMs)
    : new MemoryPresenceStore(config.presence.ttlMs, Date.now, leavingMs);

  let sessions: Sessions | null = null;
  const hub = new Hub(
    config.limits.sendBufferBytes,
    (conn) => sessions?.close(conn, CLOSE_CODES.SLOW_CONSUMER, 'slow consumer, reconnect and catch up'),
    (n) => metrics.framesOut.inc(n),
    (dialect, err) => log.error({ err, dialect: dialect.name }, 'an event could not be encoded; not delivered in it'),
  );
  const metrics = new Metrics(
    () => hub.connectionCount,
    () => hub.userCount,
  );
  const tokens = new TokenService({
    secret: config.auth.jwtSecret ?? loadOrCreateSecret(config.dataDir),
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    jwksUrl: config.auth.jwksUrl,
    accessTokenTtlSec: config.auth.accessTokenTtlSec,
  });
  const webhooks = config.webhook ? new WebhookDispatcher(config.webhook, log.child({ component: 'webhooks' })) : null;
  const host: HostEvents = webhooks ?? noHostEvents;
  const limits = config.authLimits;
  const strength = zxcvbnStrength(config.passwordMinScore);
  const hasher = boundedHasher(options.hasher ?? argon2Hasher, limits.hashConcurrency, limits.hashQueue);
  const users = new UserService(store, hasher, clock);
  const devices = new DeviceService(store, bus, clock, config.connectionLimits.devicesPerUser);
  const auth = new AuthService({
    users,
    repo: store,
    tokens,
    clock,
    refreshTtlSec: config.auth.refreshTokenTtlSec,
    registration: config.auth.registration,
    devices,
    logins: new LoginThrottle(
      {
        freeFailures: limits.loginFreeFailures,
        backoffMs: limits.loginBackoffMs,
        backoffMaxMs: limits.loginBackoffMaxMs,
        sourcePerMin: limits.loginSourcePerMin,
        sourceBurst: limits.loginSourceBurst,
      },
      clock,
    ),
    registrations: new RateLimiter(limits.registerSourcePerHour / 3600, limits.registerSourceBurst, clock),
    strength,
  });
  const social = new SocialService(store, users, bus, clock);
  const membership = new MembershipCache(store);
  const presence = new PresenceService(
    presenceStore,
    store,
    store,
    bus,
    clock,
    config.presence.graceMs,
    host,
    config.seed003Presence === 'everyone',
  );
  const conversations = new ConversationService(store, users, social, presence, membership, clock, config.dmPolicy);
  const groups = new GroupService(store, users, membership, bus, clock, conversations, social);
  const commit = new GroupCommit(store, (size, seconds, written) => {
    metrics.storeBatchSize.observe(size);
    metrics.storeBatchSeconds.observe(seconds);
    metrics.messagesStored.inc(written);
  });
  const messages = new MessageService(
    store,
    commit,
    conversations,
    users,
    bus,
    new RateLimiter(config.limits.messagesPerSec, config.limits.messagesBurst, clock),
    clock,
    { maxMessageChars: config.limits.maxMessageChars, maxMetadataBytes: config.limits.maxMetadataBytes },
    presence,
    host,
  );
  const receipts = new ReceiptService(
    conversations,
    store,
    store,
    store,
    bus,
    new PositionBatch(store),
    new ReceiptAnnouncer(store, store, bus, (err) => log.warn({ err }, 'receipts of a turn could not be sent')),
  );
  const typing = new TypingService(conversations, social, bus, clock, config.presence.typingTtlMs);
  const notifications = new NotificationService(store, store, bus, clock);
  const sync = new SyncService(store, store, config.syncReplayLimit);
  sessions = new Sessions(hub, users, presence, devices, log, config.connectionLimits.perUser);

  const ctx: GatewayContext = {
    config,
    clock,
    log,
    metrics,
    hub,
    sessions,
    tokens,
    users,
    messages,
    conversations,
    presence,
    receipts,
    typing,
    devices,
    notifications,
    sync,
    frameRate: new RateLimiter(config.limits.framesPerSec, config.limits.framesBurst, clock),
    replies: new PendingReplies(),
  };
  const gateway = new WsGateway(ctx);
  gateway.route(WS_PATH, new CanonicalDialect(ctx));

  bus.subscribe((message) => {
    switch (message.kind) {
      case 'deliver':
        return hub.deliver(message);
      case 'members-changed':
        return membership.invalidate(message.conversationId);
      case 'device-revoked':
        devices.forget(message.userId, message.deviceId);
        return gateway.revokeDevice(message.userId, message.deviceId);
      case 'gap':
        return recoverFromGap(message.userIds);
    }
  });

  /** Bus messages may have been lost: drop what they keep fresh, and have the clients concerned catch up. */
  function recoverFromGap(userIds: string[] | null): void {
    if (userIds === null) {
      membership.clear();
      devices.forgetAll();
    }
    const conns = userIds === null ? [...hub.all] : userIds.flatMap((u) => [...(hub.connectionsOf(u) ?? [])]);
    if (conns.length > 0) log.warn({ connections: conns.length }, 'bus gap: clients reconnect and catch up');
    for (const conn of conns) {
      sessions?.close(conn, CLOSE_CODES.SERVER_RESTARTING, 'events may have been missed, reconnect and catch up');
    }
  }

  const http = await buildHttp(
    {
      config,
      store,
      hub,
      metrics,
      tokens,
      auth,
      users,
      social,
      groups,
      conversations,
      messages,
      presence,
      receipts,
      devices,
      notifications,
    },
    log,
  );
  http.server.on('upgrade', (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  // The seeds' protocols (docs/compatibility.md): /ws, /api/v1/ws, /socket.io/ and their REST routes.
  const deletion = new MessageDeletionService(store, conversations, clock, bus);
  registerSeedDialects({ ...ctx, groups, social, store, deletion }, gateway, http);

  let stopSweep: (() => void) | null = null;
  let stopPresenceRefresh: (() => void) | null = null;
  let stopping: Promise<void> | null = null;

  const settleFrames = () =>
    withTimeout(Promise.allSettled([...hub.all].map((c) => c.chain)), config.shutdownTimeoutMs);

  return {
    config,
    http,
    store,
    log,
    async start() {
      // Accept clients only once other nodes' events reach this node; if the bus is not up by then, start anyway:
      // its first subscription raises a gap that has the clients accepted meanwhile reconnect and catch up.
      let busReady = false;
      await withTimeout(
        bus.ready().then(() => {
          busReady = true;
        }),
        BUS_READY_TIMEOUT_MS,
      );
      if (!busReady) log.warn({ waitedMs: BUS_READY_TIMEOUT_MS }, 'bus not subscribed yet; accepting clients anyway');
      await http.listen({ port: config.port, host: config.host });
      stopSweep = startHeartbeatSweep(ctx);
      stopPresenceRefresh = startPresenceRefresh(
        presenceStore,
        () => [...hub.all].flatMap((c) => (c.userId === null ? [] : [{ userId: c.userId, connectionId: c.id }])),
        config.presence.ttlMs,
        log,
        {
          expired: (users) => presence.expired(users),
          missing: async (entries) => {
            for (const { userId, connectionId } of entries) {
              const conn = [...(hub.connectionsOf(userId) ?? [])].find((c) => c.id === connectionId);
              if (conn) await presence.restore(userId, connectionId, conn.status);
            }
          },
        },
      );
      const address = http.server.address();
      return typeof address === 'object' && address ? address.port : config.port;
    },
    stop() {
      stopping ??= (async () => {
        gateway.stopAccepting();
        const httpClosed = http.close();
        await settleFrames();
        await commit.drain();
        await withTimeout(ctx.replies.settled(), config.shutdownTimeoutMs);
        gateway.closeAll();
        await settleFrames();
        await commit.drain();
        await withTimeout(httpClosed, config.shutdownTimeoutMs);
        stopSweep?.();
        stopPresenceRefresh?.();
        presence.stop();
        await webhooks?.stop();
        await bus.close();
        await presenceStore.close();
        await strength.close();
        await store.close();
      })();
      return stopping;
    },
  };
}

/** How long start() waits for the bus (Redis) before accepting clients regardless. */
const BUS_READY_TIMEOUT_MS = 10_000;

function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    p.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}
