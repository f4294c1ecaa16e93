import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { connectRedis, createRedis, reconnectDelayMs, redactError, whenReady } from './connect.js';

/** Nothing listens on port 1: connections are refused at once. */
const UNREACHABLE = 'redis://:hunter2-secret@127.0.0.1:1/0';

describe('the Redis connection factory', () => {
  it('creates clients with the project options: fail fast, one retry per command, the shared reconnect policy', () => {
    const redis = createRedis(UNREACHABLE, { lazyConnect: true, commandTimeoutMs: 250 });
    try {
      expect(redis.options).toMatchObject({
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        enableAutoPipelining: false,
        commandTimeout: 250,
        lazyConnect: true,
      });
      expect(redis.options.retryStrategy).toBe(reconnectDelayMs);
      expect([0, 1, 3, 5, 10].map(reconnectDelayMs)).toEqual([50, 100, 400, 1_600, 2_000]);
      const queued = createRedis(UNREACHABLE, { lazyConnect: true, offlineQueue: true, autoPipelining: true, maxRetriesPerRequest: 2 });
      expect(queued.options).toMatchObject({ enableOfflineQueue: true, enableAutoPipelining: true, maxRetriesPerRequest: 2 });
      queued.disconnect();
    } finally {
      redis.disconnect();
    }
  });

  it('refuses to connect with a message naming the URL without its password, and closes the client', async () => {
    const err = await connectRedis(UNREACHABLE, {}, 2_000).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0 is unreachable: /);
    expect(err?.message).not.toContain('hunter2-secret');
  });

  it('reports connection errors to onStatus with the URL secrets hidden from the message', async () => {
    const seen: string[] = [];
    const redis = createRedis(UNREACHABLE, { onStatus: (s, e) => seen.push(`${s}: ${e?.message ?? ''}`) });
    try {
      await new Promise<void>((resolve) => redis.once('error', () => resolve()));
      expect(seen[0]).toMatch(/^error: /);
    } finally {
      redis.disconnect();
    }
    const leaky = new Error('WRONGPASS invalid password hunter2-secret for redis://:hunter2-secret@cache');
    expect(redactError(leaky, UNREACHABLE).message).toBe('WRONGPASS invalid password *** for redis://:***@cache');
    const plain = new Error('connect ECONNREFUSED 127.0.0.1:1');
    expect(redactError(plain, UNREACHABLE)).toBe(plain);
  });

  it('whenReady gives up after its timeout on the injected clock, leaving no timer behind', async () => {
    const clock = new ManualClock(0);
    const redis = createRedis(UNREACHABLE, { lazyConnect: true });
    try {
      const ready = whenReady(redis, 2_000, clock);
      expect(clock.pending).toBe(1);
      clock.advance(2_000);
      expect(await ready).toBe(false);
      expect(clock.pending).toBe(0);
      expect(redis.listenerCount('ready')).toBe(1);
    } finally {
      redis.disconnect();
    }
  });
});
