import { MemoryPresenceStore } from '../../src/cluster/memory-presence-store.js';
import { RedisPresenceStore } from '../../src/cluster/redis-presence-store.js';
import { dropPrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';
import { registerPresenceContract } from './presence-contract.js';

registerPresenceContract('memory (nodes in one process share one store)', async (nodes, ttlMs, now) => {
  const store = new MemoryPresenceStore(ttlMs, now);
  return { stores: Array.from({ length: nodes }, () => store), cleanup: () => store.close() };
});

registerPresenceContract('redis (a store per node, a key prefix per test)', async (nodes, ttlMs, now) => {
  const prefix = testPrefix();
  const stores = Array.from({ length: nodes }, () => new RedisPresenceStore({ url: REDIS_URL, prefix }, ttlMs, now));
  return {
    stores,
    async cleanup() {
      await Promise.all(stores.map((s) => s.close()));
      await dropPrefix(prefix);
    },
  };
});
