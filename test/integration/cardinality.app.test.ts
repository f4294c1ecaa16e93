import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadConfig } from '../../app/config.js';
import { startSluice, type Sluice } from '../../app/main.js';

const NOISY = 'card-noisy-admin-key-0001';
const QUIET = 'card-quiet-admin-key-0001';
const QUIET_ROUTER = 'card-quiet-router-key-001';
const PLATFORM_ROUTER = 'card-platform-router-0001';
const PLATFORM_VIEWER = 'card-platform-viewer-001';
const LIMIT = 50;

/**
 * Issue 14, finding 3 at a small scale, through the composition root: one tenant sends thousands of new
 * skill-group names (on main: 48k names took memory from 0.57 to 2.96 GB and /metrics to 552k series), and a
 * platform router key routes for made-up tenants. What it may cost is bounded; the other tenant is untouched.
 */
describe('unbounded names from one tenant (embedded defaults)', () => {
  let sluice: Sluice;
  const db = `card_${process.pid}`;
  beforeAll(async () => {
    const config = loadConfig({
      SLUICE_API_KEYS: `${NOISY}:noisy:admin,${QUIET}:quiet:admin,${QUIET_ROUTER}:quiet:router,${PLATFORM_ROUTER}:*:router,${PLATFORM_VIEWER}:*:viewer`,
      SLUICE_TENANTS: 'noisy,quiet',
      // A call may come before the control tick has seen its group's first event: route it at the tenant level.
      SLUICE_CONTROL_UNKNOWN_SKILL_GROUPS: 'tenant-level',
      SLUICE_MAX_SKILL_GROUPS_PER_TENANT: String(LIMIT),
      SLUICE_METRIC_LABEL_VALUES: String(LIMIT),
      CHDB_PATH: ':memory:',
      CLICKHOUSE_DATABASE: db,
      PORT: '0',
      LOG_LEVEL: 'warn',
    });
    sluice = await startSluice(config, { logger: pino({ level: 'warn' }), httpLogger: false });
  });
  afterAll(async () => {
    await sluice?.close();
  });

  /** Posts as a well-behaved client: waits as a 503's Retry-After asks (ingest backpressure) and sends again. */
  const post = async (key: string, events: object[]) => {
    for (;;) {
      const res = await sluice.app.inject({ method: 'POST', url: '/v1/events', headers: { 'x-api-key': key }, payload: { events } });
      if (res.statusCode !== 503 || res.headers['retry-after'] === undefined) return res;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const call = (tenant: string, skillGroup: string, i: number, type: 'OFFERED' | 'ANSWERED') => ({
    v: 1,
    tenant,
    source: 'skillgroup',
    id: `${tenant}-${skillGroup}-${type}-${i}`,
    ts: Date.now() - 1_000,
    body: { skillGroup, callId: `${tenant}-c${i}`, type, ...(type === 'ANSWERED' && { waitMs: 4_000 }) },
  });
  const count = async (sql: string) =>
    Number(
      (await (await sluice.clickhouse.client.query({ query: sql.replaceAll('{db}', db), format: 'JSONEachRow' })).json<{ n: string }>())[0]!
        .n,
    );

  it('holds the noisy tenant to its limit in memory and /metrics, dead-letters the excess, and keeps the other tenant flowing', async () => {
    let sent = 0;
    const quiet = (round: number) =>
      ['sales', 'care'].flatMap((sg, j) => [call('quiet', sg, round * 2 + j, 'OFFERED'), call('quiet', sg, round * 2 + j, 'ANSWERED')]);
    for (let r = 0; r < 12; r++) {
      // 250 new names per request, each with an answered call (a histogram per name on main).
      const noisy = Array.from({ length: 250 }, (_, i) => call('noisy', `sg-${r}-${i}`, r * 250 + i, 'ANSWERED'));
      expect((await post(NOISY, noisy)).statusCode).toBe(202);
      expect((await post(QUIET, quiet(r))).statusCode).toBe(202);
      sent += noisy.length + 4;
    }
    for (let i = 0; i < 200; i++) {
      const routed = await sluice.app.inject({
        method: 'POST',
        url: '/v1/route',
        headers: { 'x-api-key': PLATFORM_ROUTER },
        payload: { tenant: `made-up-${i}`, callId: `m${i}`, skillGroup: `sg${i}`, priority: 'normal' },
      });
      expect(routed.statusCode).toBeLessThan(500);
    }
    const route = await sluice.app.inject({
      method: 'POST',
      url: '/v1/route',
      headers: { 'x-api-key': QUIET_ROUTER },
      payload: { tenant: 'quiet', callId: 'q-1', skillGroup: 'sales', priority: 'normal' },
    });
    expect(route.statusCode).toBe(200);
    while (sluice.worker!.handled < sent) await new Promise((r) => setTimeout(r, 20));

    // The other tenant: every event stored, its skill groups with series of their own.
    expect(await count(`SELECT count() AS n FROM {db}.events_raw FINAL WHERE tenant = 'quiet'`)).toBe(12 * 4);
    // The noisy tenant: the first LIMIT names stored, the rest dead-lettered with the reason.
    expect(await count(`SELECT count() AS n FROM {db}.events_raw FINAL WHERE tenant = 'noisy'`)).toBe(LIMIT);
    expect(await count(`SELECT count() AS n FROM {db}.dead_letters WHERE tenant = 'noisy' AND code = 'cardinality-limit'`)).toBe(
      3_000 - LIMIT,
    );
    expect(await count(`SELECT count() AS n FROM {db}.dead_letters WHERE code != 'cardinality-limit' OR tenant != 'noisy'`)).toBe(0);

    // Real-time entries: bounded by the limit.
    const rt = await sluice.app.inject({ url: '/v1/realtime/skillgroups?tenant=noisy', headers: { 'x-api-key': PLATFORM_VIEWER } });
    expect(rt.json().skillGroups).toHaveLength(LIMIT);

    const metrics = await sluice.app.inject({ url: '/metrics', headers: { 'x-api-key': PLATFORM_VIEWER } });
    const lines = metrics.body.split('\n').filter((l) => l && !l.startsWith('#'));
    const of = (name: string, tenant: string) => lines.filter((l) => l.startsWith(`${name}{`) && l.includes(`tenant="${tenant}"`));
    expect(of('sluice_queue_calls_waiting', 'noisy').length).toBeLessThanOrEqual(LIMIT + 1);
    // Answered and abandoned waits of each skill group the tenant may name (pre-set at 0 with its first call).
    expect(of('sluice_queue_wait_seconds_count', 'noisy').length).toBeLessThanOrEqual(2 * (LIMIT + 1));
    expect(of('sluice_queue_wait_seconds_count', 'quiet').sort()).toEqual([
      'sluice_queue_wait_seconds_count{tenant="quiet",skill_group="care",outcome="abandoned"} 0',
      'sluice_queue_wait_seconds_count{tenant="quiet",skill_group="care",outcome="answered"} 12',
      'sluice_queue_wait_seconds_count{tenant="quiet",skill_group="sales",outcome="abandoned"} 0',
      'sluice_queue_wait_seconds_count{tenant="quiet",skill_group="sales",outcome="answered"} 12',
    ]);
    expect(lines).toContain('sluice_cardinality_names{tenant="noisy",kind="skillGroup"} 50');
    expect(lines).toContain(`sluice_cardinality_refused_total{tenant="noisy",kind="skillGroup"} ${3_000 - LIMIT}`);
    expect(lines).toContain(`sluice_events_dead_lettered_total{source="skillgroup",reason="cardinality-limit"} ${3_000 - LIMIT}`);
    // A platform router key's made-up tenants have no series of their own.
    expect(metrics.body).not.toContain('made-up');
    // Per-skill-group series grow with the limit, not with the names sent: at most LIMIT + 1 (the fold) times what one
    // of the quiet tenant's skill groups has (its queue figures, wait histograms, service-level counters).
    const groupSeries = (tenant: string) => lines.filter((l) => l.includes(`tenant="${tenant}"`) && l.includes('skill_group="')).length;
    const perGroup = groupSeries('quiet') / 2;
    expect(perGroup).toBeGreaterThan(10);
    expect(groupSeries('noisy')).toBeLessThanOrEqual((LIMIT + 1) * perGroup);
    expect(groupSeries('noisy')).toBeGreaterThan(0);
  });
});
