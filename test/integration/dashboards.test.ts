import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failedRuns, runClickHouseQueries } from '../../dashboards/check/clickhouse.js';
import { promtoolCheckMetrics, requirePromtool } from '../../dashboards/check/promql.js';
import { promExpressions, promqlProblems, promVariables } from '../../dashboards/check/run.js';
import { simulatedSluice, type SimulatedRun } from '../../bench/dashboards/simulate.js';
import { buildDashboards } from '../../dashboards/index.js';

const dashboards = buildDashboards();

// One Sluice (every role, chDB in memory) filled by two hours of the traffic model (simulator/), routing
// decisions at a pinned L2 and a ticket whose 2 s SLA breaches: about 10 s on this machine.
describe('dashboards against a simulated run', () => {
  let run: SimulatedRun;
  let scrape: string;
  beforeAll(async () => {
    await requirePromtool(); // fails with how to install it (Debian's prometheus package) when missing
    run = await simulatedSluice();
    scrape = (await run.sluice.app.inject({ url: '/metrics' })).body;
  });
  afterAll(async () => {
    await run?.sluice.close();
  });

  it('every ClickHouse panel and variable query, expanded as the plugin expands it, runs on the real schema and returns rows', async () => {
    const runs = await runClickHouseQueries(run.sluice.clickhouse, dashboards, run);
    expect(failedRuns(runs)).toEqual([]);
    expect(runs.length).toBeGreaterThanOrEqual(60);
    expect(new Set(runs.map((r) => r.dashboard))).toEqual(
      new Set(['sluice-queues', 'sluice-agents', 'sluice-intervals', 'sluice-control', 'sluice-workflow']),
    );
  });

  it('the same queries find nothing outside the run, so rows come from it', async () => {
    const runs = await runClickHouseQueries(run.sluice.clickhouse, dashboards.slice(0, 1), {
      ...run,
      fromMs: Date.UTC(2001, 0, 1),
      toMs: Date.UTC(2001, 0, 2),
    });
    const empty = failedRuns(runs).filter((l) => l.includes('no rows'));
    expect(empty.length).toBeGreaterThan(0);
  });

  it('every PromQL expression parses with promtool and names only metrics /metrics exposes', async () => {
    const exprs = promExpressions(dashboards);
    expect(exprs.length).toBeGreaterThan(40);
    expect(await promqlProblems(exprs, scrape, promVariables(run))).toEqual([]);
  });

  it('reports an expression promtool cannot parse and a metric Sluice does not expose', async () => {
    const problems = await promqlProblems(
      [
        { where: 'bad syntax', text: 'sum(rate(sluice_events_in_total[5m])' },
        { where: 'unknown', text: 'sum(rate(sluice_calls_total[5m]))' },
      ],
      scrape,
      promVariables(run),
    );
    expect(problems.join('\n')).toMatch(/promtool: .*dashboards:expr_0.*parse error/);
    expect(problems).toContain('unknown: sluice_calls_total is not exposed on /metrics');
  });

  it('promtool check metrics passes on a scrape, and refuses a misnamed gauge', async () => {
    expect(await promtoolCheckMetrics(scrape)).toEqual([]);
    const bad = await promtoolCheckMetrics('# HELP x_total a gauge\n# TYPE x_total gauge\nx_total 1\n');
    expect(bad.join('\n')).toMatch(/x_total non-counter metrics should not have "_total" suffix/);
  });

  it('/metrics carries the run: real-time queues, the pinned level, events out, waits at the service-level bucket', () => {
    for (const g of run.skillGroups) expect(scrape).toContain(`sluice_queue_calls_waiting{tenant="demo",skill_group="${g}"}`);
    expect(scrape).toContain('sluice_level{tenant="demo",skill_group=""} 2');
    expect(scrape).toMatch(/sluice_events_out_total\{source="agent"\} [1-9]/);
    expect(scrape).toMatch(/sluice_queue_wait_seconds_bucket\{le="20",tenant="demo",skill_group="sales",outcome="answered"\} [1-9]/);
    expect(scrape).toMatch(/^sluice_queue_answered_within_sl_total\{tenant="demo",skill_group="sales"\} [1-9]/m);
    expect(scrape).toContain('sluice_service_level_threshold_seconds{tenant="demo",variant="answeredAndAbandoned"} 20');
    expect(scrape).toMatch(/sluice_route_decisions_total\{tenant="demo",target="(chat|callback|smart_ivr)",level="2"\} [1-9]/);
    expect(scrape).toContain('sluice_breaker_state{breaker="channel:chat"} 2');
    expect(scrape).toMatch(/sluice_route_decisions_total\{tenant="demo",target="callback",level="2"\} [1-9]/);
    expect(scrape).toMatch(/sluice_sla_warnings_total\{tenant="demo",kind="breach",level="0",delivered="(true|false)"\} 1/);
  });
});
