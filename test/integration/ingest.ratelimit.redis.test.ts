/**
 * The per-key ingest rate (`SLUICE_INGEST_EVENTS_PER_SEC`) shared by two instances through a real
 * redis-server, and what happens when Redis goes away: each instance keeps limiting on its own.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createRedis, whenReady } from '../../adapters/redis/connect.js';
import { IngestRate } from '../../pipelines/http/ingest-rate.js';
import { startRedis } from '../../services/redis.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** One instance's limiter: 1,000 events a key in a 20 s window, counted in Redis at `url` under `prefix`. */
async function instance(url: string, prefix: string): Promise<IngestRate> {
  const redis: Redis = createRedis(url, { commandTimeoutMs: 250 });
  cleanup.push(() => redis.disconnect());
  await whenReady(redis, 5_000);
  return new IngestRate(50, 20, { redis, prefix });
}

describe('ingest rate on a real redis-server', () => {
  it("one key's events count on every instance; another key keeps its own count", async () => {
    const prefix = `ingest-${randomUUID()}`;
    const [one, two] = [await instance(inject('redisUrl'), prefix), await instance(inject('redisUrl'), prefix)];
    expect(await one.take('acme', 600)).toBeUndefined();
    // 600 + 500 > 1,000: refused on the other instance, whole, with the seconds to wait.
    const wait = await two.take('acme', 500);
    expect(wait).toBeGreaterThan(0);
    expect(await one.exhausted('acme')).toBeUndefined();
    // The refused request was given back: 400 more still fit, across instances.
    expect(await two.take('acme', 400)).toBeUndefined();
    expect(await one.exhausted('acme')).toBeGreaterThan(0);
    expect(await one.take('acme', 1)).toBeGreaterThan(0);
    // globex has its own count.
    expect(await two.take('globex', 1_000)).toBeUndefined();
  });

  it('while Redis is down each instance limits on its own, without waiting for Redis', async () => {
    const server = await startRedis();
    cleanup.push(() => server.stop());
    const prefix = `ingest-${randomUUID()}`;
    const [one, two] = [await instance(server.url, prefix), await instance(server.url, prefix)];
    await server.halt();
    const t0 = performance.now();
    expect(await one.take('acme', 1_000)).toBeUndefined();
    expect(await one.take('acme', 1)).toBeGreaterThan(0);
    // Not shared while Redis is away: the other instance counts from nothing.
    expect(await two.take('acme', 1_000)).toBeUndefined();
    // The margin is for a loaded machine: each refused command is bounded by the client's 250 ms timeout.
    expect(performance.now() - t0).toBeLessThan(5_000);
  });
});
