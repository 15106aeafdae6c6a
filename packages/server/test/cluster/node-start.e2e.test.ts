import { afterEach, describe, expect, it } from 'vitest';
import { hostToken } from '../helpers/host-token.js';
import { dropPrefix, PrivateRedis, testPrefix } from '../helpers/redis.js';
import { startServer, type TestServer } from '../helpers/test-server.js';
import { TestSocket } from '../helpers/test-socket.js';

/**
 * A node starting while Redis is not up yet: it accepts clients only once the bus is subscribed, so the bus's
 * first subscription (which raises a gap and closes every client then connected) cannot close a client that has
 * just said hello. Before this, a PARLEY_WORKERS worker could close its first clients with 3000 right after hello.
 */
describe('node start', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  }, 30_000);

  it('listens only once the bus is subscribed: its first clients are not closed by the first gap', async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.stop());
    await redis.down();
    const prefix = testPrefix();

    let upAt = 0;
    const upLater = new Promise<void>((resolve) =>
      setTimeout(() => {
        upAt = Date.now();
        redis.up().then(resolve, resolve);
      }, 700),
    );
    const server: TestServer = await startServer({ REDIS_URL: redis.url, PARLEY_REDIS_PREFIX: prefix });
    const listeningAt = Date.now();
    cleanups.push(async () => {
      await server.stop();
      await dropPrefix(prefix, redis.url);
    });
    await upLater;
    expect(upAt, 'started Redis before the node listened').toBeGreaterThan(0);
    expect(listeningAt).toBeGreaterThanOrEqual(upAt);

    const socket = await TestSocket.connect(server.wsUrl, await hostToken({ sub: '801' }), 10_000);
    cleanups.push(async () => socket.close());
    const outcome = await Promise.race([
      socket.closed.then((c) => `closed ${c.code}`),
      new Promise((r) => setTimeout(() => r('open'), 1_000)),
    ]);
    expect(outcome).toBe('open');
    expect(
      (await socket.call<{ presence: { status: string }[] }>('presence.query', { user_ids: [801] })).presence[0]
        ?.status,
    ).toBe('online');
  }, 60_000);
});
