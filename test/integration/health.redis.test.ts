import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { startSluice, type Sluice } from '../../app/main.js';
import { startRedis, type RedisServer } from '../../services/redis.js';
import { clickhouseEnv, clickhouseServer } from '../support/clickhouse.js';
import { connectClickHouse } from '../../adapters/clickhouse/connect.js';

const PLATFORM = 'health-platform-viewer-key-01';
const TENANT = 'health-acme-admin-key-000001';
const BOUND_MS = 400;

/** GET on a running instance; `ms` is how long the answer took. */
async function get(s: Sluice, path: string, key?: string): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const t0 = performance.now();
  const r = await fetch(`${s.url}${path}`, key ? { headers: { authorization: `Bearer ${key}` } } : {});
  return { status: r.status, body: (await r.json()) as Record<string, unknown>, ms: performance.now() - t0 };
}

// Health as a load balancer and an operator see it, with the test's own redis-server frozen by SIGSTOP (a hung
// host: connections stay open, nothing answers). Issue 21.
describe('health probes: no key needed, bounded in time, readiness per role', () => {
  let redis: RedisServer;
  const running: Sluice[] = [];
  let control: Sluice;
  let workflow: Sluice;

  const start = (role: string) =>
    startSluice(
      loadConfig({
        SLUICE_ROLE: role,
        SLUICE_API_KEYS: `${PLATFORM}:*:viewer,${TENANT}:acme:admin`,
        SLUICE_TENANTS: 'acme',
        REDIS_URL: redis.url,
        SLUICE_DECISION_KEY: 'health-test-decision-key-of-32-chars-or-more',
        SLUICE_HEALTH_CHECK_TIMEOUT_MS: String(BOUND_MS),
        // The route below asks for a skill group no event has named yet.
        SLUICE_CONTROL_UNKNOWN_SKILL_GROUPS: 'tenant-level',
        // ClickHouse as deployed: the shared server over HTTP (two instances in one process cannot both open chDB).
        ...clickhouseEnv(),
        CLICKHOUSE_DATABASE: `health_${process.pid}`,
        PORT: '0',
        LOG_LEVEL: 'silent',
      }),
      { logger: pino({ level: 'silent' }), httpLogger: false },
    ).then((s) => {
      running.push(s);
      return s;
    });

  beforeAll(async () => {
    redis = await startRedis();
    control = await start('control');
    workflow = await start('workflow');
  });
  afterAll(async () => {
    redis?.resume();
    for (const s of running) await s.close().catch(() => {});
    await redis?.stop();
    const ch = await connectClickHouse(clickhouseServer());
    await ch.client.command({ query: `DROP DATABASE IF EXISTS health_${process.pid}` });
    await ch.close();
  });

  it('liveness and readiness answer without a key and reveal nothing but up and ready; details need a platform key', async () => {
    for (const s of [control, workflow]) {
      expect(await get(s, '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
      expect((await get(s, '/readyz')).body).toEqual({ status: 'ready' });
      expect((await get(s, '/v1/status')).status).toBe(401);
      expect((await get(s, '/v1/status', TENANT)).status).toBe(403);
      const detail = await get(s, '/v1/status', PLATFORM);
      expect(detail.status).toBe(200);
      expect(detail.body).toMatchObject({ status: 'ready', state: 'running', checks: { redis: { ok: true }, clickhouse: { ok: true } } });
      expect(JSON.stringify(detail.body)).not.toContain(TENANT);
      expect(JSON.stringify(detail.body)).not.toContain('health-test-decision-key');
    }
  });

  it('with Redis frozen: every probe answers within the bound; control stays ready (fail-static routing), workflow is not', async () => {
    redis.pause();
    try {
      const c = await get(control, '/readyz');
      const w = await get(workflow, '/readyz');
      expect(c.status).toBe(200);
      expect(w).toMatchObject({ status: 503, body: { status: 'not ready' } });
      // The bound plus the request itself on a busy 2-core machine: far below the 30 s a hung check used to take.
      for (const ms of [c.ms, w.ms]) expect(ms).toBeLessThan(BOUND_MS + 2_000);
      const detail = await get(control, '/v1/status', PLATFORM);
      expect(detail.body).toMatchObject({
        status: 'ready',
        checks: { redis: { ok: false, required: false, error: `timed out after ${BOUND_MS} ms` } },
      });
      const wDetail = await get(workflow, '/v1/status', PLATFORM);
      expect(wDetail.status).toBe(503);
      expect(wDetail.body).toMatchObject({ error: { code: 'SLUICE_ERR_NOT_READY' } });
      // The router keeps answering while Redis is frozen.
      const route = await fetch(`${control.url}/v1/route`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TENANT}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tenant: 'acme', callId: 'health-1', skillGroup: 'care', priority: 'normal' }),
      });
      expect(route.status).toBe(200);
    } finally {
      redis.resume();
    }
    await expect.poll(async () => (await get(workflow, '/readyz')).status, { timeout: 15_000 }).toBe(200);
  });
});
