import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { workQueueContract } from '../../adapters/queue/queue.contract.js';
import { RedisStreamQueue } from '../../adapters/queue/redis.js';

workQueueContract(
  'redis-server stream',
  async (claimAfterMs) => new RedisStreamQueue({ url: inject('redisUrl'), stream: `contract:q:${randomUUID()}`, group: 'g', claimAfterMs }),
);
