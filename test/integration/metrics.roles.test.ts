import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadConfig } from '../../app/config.js';
import { startSluice, type Sluice } from '../../app/main.js';
import { exposedMetricNames, metricNames, promtoolCheckMetrics, requirePromtool } from '../../dashboards/check/promql.js';
import { promExpressions } from '../../dashboards/check/run.js';
import { buildDashboards } from '../../dashboards/index.js';

const ROLES = ['pipeline', 'control', 'workflow'] as const;

// Sluice split over three processes' worth of roles (in one test process, in-memory twins): each exposes
// the metrics of its role only, every scrape passes promtool, and together they expose every metric the
// dashboards ask for.
describe('/metrics with roles in separate processes', () => {
  const scrapes = new Map<string, string>();
  const running: Sluice[] = [];
  beforeAll(async () => {
    await requirePromtool();
    for (const role of ROLES) {
      const config = loadConfig({
        SLUICE_OPEN: 'true',
        SLUICE_ROLE: role,
        CHDB_PATH: ':memory:',
        CLICKHOUSE_DATABASE: `roles_${role}_${process.pid}`,
        PORT: '0',
        LOG_LEVEL: 'warn',
        SLUICE_TENANTS: 'demo',
      });
      const s = await startSluice(config, { logger: pino({ level: 'warn' }), httpLogger: false });
      running.push(s);
      scrapes.set(role, (await s.app.inject({ url: '/metrics' })).body);
    }
  });
  afterAll(async () => {
    for (const s of running) await s.close();
  });

  it("each role exposes its own metrics and not the others'", () => {
    const has = (role: string, name: string) => exposedMetricNames(scrapes.get(role)!).has(name);
    expect(
      has('pipeline', 'sluice_queue_calls_waiting') &&
        has('pipeline', 'sluice_consumer_lag_seconds') &&
        has('pipeline', 'sluice_events_in_total'),
    ).toBe(true);
    expect(has('control', 'sluice_queue_calls_waiting') || has('workflow', 'sluice_queue_calls_waiting')).toBe(false);
    expect(has('control', 'sluice_level') && has('control', 'sluice_breaker_state')).toBe(true);
    expect(has('pipeline', 'sluice_level') || has('workflow', 'sluice_level')).toBe(false);
    expect(has('workflow', 'sluice_workflow_tickets') && !has('control', 'sluice_workflow_tickets')).toBe(true);
    for (const role of ROLES) expect(has(role, 'sluice_event_loop_delay_seconds'), role).toBe(true);
  });

  it('every scrape passes promtool check metrics', async () => {
    for (const role of ROLES) expect(await promtoolCheckMetrics(scrapes.get(role)!), role).toEqual([]);
  });

  it('together the roles expose every metric the dashboards query', () => {
    const exposed = new Set(ROLES.flatMap((r) => [...exposedMetricNames(scrapes.get(r)!)]));
    const missing = promExpressions(buildDashboards()).flatMap((e) =>
      metricNames(e.text.replace(/\$__rate_interval|\$__range/g, '1m'))
        .filter((n) => !exposed.has(n))
        .map((n) => `${e.where}: ${n}`),
    );
    expect(missing).toEqual([]);
  });
});
