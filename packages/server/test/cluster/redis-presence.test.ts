import { afterEach, describe, expect, it } from 'vitest';
import { RedisPresenceStore } from '../../src/cluster/redis-presence-store.js';
import { PrivateRedis } from '../helpers/redis.js';

/** What only the Redis presence store must show: presence is best effort, so an outage never becomes an error. */

let redis: PrivateRedis | null = null;
let store: RedisPresenceStore | null = null;
afterEach(async () => {
  await store?.close();
  await redis?.stop();
  store = null;
  redis = null;
});

describe('Redis presence store', () => {
  it('while Redis is down, writes report the device itself and reads report nobody online, without throwing; it recovers', async () => {
    redis = await PrivateRedis.start();
    store = new RedisPresenceStore({ url: redis.url, prefix: 'p:' }, 30_000);
    expect(await store.set('a', 'c1', 'online')).toEqual({ before: 'offline', after: 'online' });
    expect(Object.fromEntries(await store.statuses(['a']))).toEqual({ a: 'online' });

    await redis.down();
    expect(await store.set('b', 'c2', 'busy')).toEqual({ before: 'offline', after: 'busy' });
    expect(await store.remove('a', 'c1')).toEqual({ before: 'offline', after: 'offline' });
    expect((await store.statuses(['a', 'b'])).size).toBe(0);
    expect(await store.onlineCount()).toBe(0);
    expect(await store.onlineUsers(10)).toEqual([]);
    await store.refresh([{ userId: 'a', connectionId: 'c1' }]);
    expect(store.failures).toBeGreaterThanOrEqual(6);

    // Redis came back empty (it keeps nothing on disk): presence is written again as devices reconnect
    await redis.up();
    const deadline = Date.now() + 20_000;
    while ((await store.set('b', 'c3', 'away')).after !== 'away' || !(await store.statuses(['b'])).has('b')) {
      if (Date.now() > deadline) throw new Error('presence store did not recover');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(Object.fromEntries(await store.statuses(['a', 'b']))).toEqual({ b: 'away' });
    expect(await store.onlineCount()).toBe(1);
  }, 60_000);
});
