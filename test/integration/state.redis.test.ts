import { inject } from 'vitest';
import { stateStoreContract } from '../../adapters/state/state.contract.js';
import { RedisStateStore } from '../../adapters/state/redis.js';

stateStoreContract('redis-server via ioredis', async () => {
  const store = new RedisStateStore({ url: inject('redisUrl'), prefix: 'contract:' });
  await store.ready();
  return store;
});
