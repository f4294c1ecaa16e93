import { pino } from 'pino';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClickHouse } from '../../adapters/clickhouse/connect.js';
import { connectRedis } from '../../adapters/redis/connect.js';
import { redisPersistence } from '../../adapters/redis/persistence.js';
import { loadConfig } from '../../app/config.js';
import { startSluice } from '../../app/main.js';
import { startRedis, startRedisSentinel, type RedisSentinel, type RedisServer } from '../../services/redis.js';
import { clickhouseEnv, clickhouseServer } from '../support/clickhouse.js';

const ADMIN = 'prereq-acme-admin-key-0000001';
const DB = `prereq_${process.pid}`;

/** A pino logger whose lines (parsed) are kept in `lines`. */
function captured() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, log: pino({ level: 'info' }, stream) };
}

// Redis as a deployment runs it (issue 21): persistence checked at start with the test's own redis-server, and the
// state reached through Redis Sentinel.
describe('Redis prerequisites: persistence warning, Sentinel', () => {
  let volatile: RedisServer;
  let durable: RedisServer;
  let sentinel: RedisSentinel;

  beforeAll(async () => {
    [volatile, durable] = await Promise.all([startRedis(), startRedis({ appendOnly: true })]);
    sentinel = await startRedisSentinel(volatile, 'sluice-test');
  });
  afterAll(async () => {
    await sentinel?.stop();
    await Promise.all([volatile?.stop(), durable?.stop()]);
    const ch = await connectClickHouse(clickhouseServer());
    await ch.client.command({ query: `DROP DATABASE IF EXISTS ${DB}` });
    await ch.close();
  });

  it('reads persistence as Redis reports it: off, and append-only', async () => {
    for (const [server, aof] of [
      [volatile, false],
      [durable, true],
    ] as const) {
      const redis = await connectRedis(server.url);
      try {
        const p = await redisPersistence(redis);
        expect(p.aof).toBe(aof);
        expect(p.rdbSchedule).toBe('');
        expect(p.evictionPolicy).toBe('noeviction');
        if (aof) expect(p.warning).toBeUndefined();
        else expect(p.warning).toMatch(/Redis persistence is off \(appendonly no, no save schedule\): a Redis restart loses every ticket/);
      } finally {
        redis.disconnect();
      }
    }
  });

  it('warns when a full Redis would evict any key', async () => {
    const redis = await connectRedis(durable.url);
    try {
      await redis.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
      expect((await redisPersistence(redis)).warning).toMatch(
        /maxmemory-policy is allkeys-lru: when it fills, Redis deletes keys Sluice needs/,
      );
    } finally {
      await redis.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
      redis.disconnect();
    }
  });

  it('tolerates CONFIG being disabled: the append-only flag still comes from INFO, the rest is said to be unknown', async () => {
    const redis = await connectRedis(volatile.url);
    try {
      // As managed Redis services do: CONFIG renamed away. ACL is the runtime way to refuse it to one user.
      await redis.call('ACL', 'SETUSER', 'noconfig', 'on', '>noconfig-pw', '~*', '&*', '+@all', '-config');
      const limited = await connectRedis(`redis://noconfig:noconfig-pw@127.0.0.1:${volatile.port}`);
      try {
        const p = await redisPersistence(limited);
        expect(p.aof).toBe(false);
        expect(p.configUnavailable).toMatch(/NOPERM/);
        expect(p.warning).toMatch(/append-only file is off and its snapshot schedule could not be read/);
      } finally {
        limited.disconnect();
      }
    } finally {
      await redis.call('ACL', 'DELUSER', 'noconfig');
      redis.disconnect();
    }
  });

  it('sluice start through Sentinel: the state store and workflow find the master by name, and the start warns that persistence is off', async () => {
    const { lines, log } = captured();
    const config = loadConfig({
      SLUICE_API_KEYS: `${ADMIN}:acme:admin`,
      REDIS_SENTINELS: sentinel.address,
      REDIS_SENTINEL_NAME: sentinel.name,
      ...clickhouseEnv(),
      CLICKHOUSE_DATABASE: DB,
      PORT: '0',
    });
    expect(config.redisUrl).toContain('sentinels=');
    const s = await startSluice(config, { logger: log, httpLogger: false });
    try {
      const ready = await fetch(`${s.url}/readyz`);
      expect(ready.status).toBe(200);
      const warned = lines.filter((l) => l.level === 40 && /Redis persistence is off/.test(l.msg));
      expect(warned).toHaveLength(1);
      // The shipped flows were deployed through the sentinels: read back through them, and found on the master they name.
      const flows = await fetch(`${s.url}/v1/flows`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(flows.status).toBe(200);
      expect(JSON.stringify(await flows.json())).toContain('callback');
      const direct = await connectRedis(volatile.url);
      try {
        expect((await direct.keys('*')).length).toBeGreaterThan(0);
      } finally {
        direct.disconnect();
      }
    } finally {
      await s.close();
    }
  });
});
