import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connectClickHouse } from '../../adapters/clickhouse/connect.js';
import { freePort } from '../../services/ports.js';
import { clickhouseEnv, clickhouseServer } from '../support/clickhouse.js';
import { spawnSluice } from '../support/process.js';

const ADMIN = 'logs-acme-admin-key-000000001';
const DB = `logs_${process.pid}`;

/** Every line of `text` that is not one JSON object with pino's fields. */
function notJson(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter((l) => {
      try {
        const o = JSON.parse(l) as Record<string, unknown>;
        return !(typeof o.level === 'number' && typeof o.time === 'number' && typeof o.msg === 'string');
      } catch {
        return true;
      }
    });
}

// Logs a log shipper can read (issue 21): `sluice start` as deployed — keys, Kafka, Redis, ClickHouse over HTTP — and
// every line it writes, on stdout and stderr, from start to stop, is one JSON object; a healthy run logs no error.
describe('sluice start writes JSON lines only', () => {
  afterAll(async () => {
    const ch = await connectClickHouse(clickhouseServer());
    await ch.client.command({ query: `DROP DATABASE IF EXISTS ${DB}` });
    await ch.close();
  });

  it('from start through ingest to a graceful stop, and when it refuses to start', async () => {
    const port = await freePort();
    const p = spawnSluice(['start', '--port', String(port)], {
      SLUICE_API_KEYS: `${ADMIN}:acme:admin`,
      KAFKA_BROKERS: inject('kafkaBrokers'),
      KAFKA_TOPIC_PREFIX: `logs${process.pid}`,
      KAFKA_GROUP_ID: `logs-${randomUUID()}`,
      REDIS_URL: inject('redisUrl'),
      ...clickhouseEnv(),
      CLICKHOUSE_DATABASE: DB,
      LOG_LEVEL: 'info',
    });
    let stdout = '';
    let stderr = '';
    p.child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
    p.child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    try {
      await expect
        .poll(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status, {
          timeout: 60_000,
          interval: 250,
        })
        .toBe(200);
      const now = Date.now();
      const r = await fetch(`http://127.0.0.1:${port}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          events: [
            {
              v: 1,
              tenant: 'acme',
              source: 'skillgroup',
              id: randomUUID(),
              ts: now,
              body: { skillGroup: 'care', callId: 'c1', type: 'OFFERED' },
            },
            { v: 1, tenant: 'acme', source: 'skillgroup', id: randomUUID(), ts: now, body: { skillGroup: 'care', type: 'NOPE' } },
          ],
        }),
      });
      expect(r.status).toBe(202);
      // Let the worker take the batch (and the bad event be dead-lettered) before the stop.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exited).toBe(0);
    const all = `${stdout}\n${stderr}`;
    expect(notJson(all), all.slice(-3000)).toEqual([]);
    const lines = all
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines.some((l) => l.msg === 'configuration')).toBe(true);
    expect(lines.some((l) => /listening on/.test(l.msg))).toBe(true);
    expect(lines.some((l) => l.msg === 'stopped')).toBe(true);
    // The test's redis-server runs without persistence: said once, as a warning.
    expect(lines.filter((l) => l.level === 40 && /Redis persistence is off/.test(l.msg))).toHaveLength(1);
    expect(
      lines.filter((l) => l.level >= 50),
      'a healthy run logs nothing at error',
    ).toEqual([]);

    // A start refused by the configuration says why in one JSON line, on stderr, whatever LOG_LEVEL says.
    const refused = spawnSluice(['start'], { SLUICE_API_KEYS: `${ADMIN}:acme:admin`, KAFKA_SASL_MECHANISM: 'plain', LOG_LEVEL: 'silent' });
    expect(await refused.exited).toBe(2);
    expect(notJson(refused.output())).toEqual([]);
    expect(refused.output()).toMatch(/"level":60.*KAFKA_SASL_MECHANISM=plain needs KAFKA_SASL_USERNAME/);
  });
});
