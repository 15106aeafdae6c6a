import { MemoryBus } from '../../src/cluster/memory-bus.js';
import { RedisBus } from '../../src/cluster/redis-bus.js';
import { dropPrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';
import { registerBusContract } from './bus-contract.js';

registerBusContract('memory (nodes in one process share one bus)', async (nodes) => {
  const bus = new MemoryBus();
  return { buses: Array.from({ length: nodes }, () => bus), cleanup: () => bus.close() };
});

registerBusContract('redis (a RedisBus per node, a key prefix per test)', async (nodes) => {
  const prefix = testPrefix();
  const buses = Array.from({ length: nodes }, () => new RedisBus({ url: REDIS_URL, prefix }));
  await Promise.all(buses.map((b) => b.ready()));
  return {
    buses,
    async cleanup() {
      await Promise.all(buses.map((b) => b.close()));
      await dropPrefix(prefix);
    },
  };
});
