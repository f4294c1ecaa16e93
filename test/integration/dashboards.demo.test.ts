import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkDemoDashboards, type DemoCheckReport, type RunningDemo } from '../../cli/dashboards-check-demo.js';
import { panelsOf } from '../../dashboards/check/targets.js';
import { buildDashboards, type DashboardFile } from '../../dashboards/index.js';
import { finishDashboard, PROM_SCOPE, sluiceDashboard, TENANT_AND_GROUPS, timeseries } from '../../dashboards/sdk/panels.js';
import { chSeries, prom } from '../../dashboards/sdk/queries.js';
import { parseExposition, type Sample, sampleSum } from '../support/exposition.js';

const dashboards = buildDashboards();

/**
 * Panels broken on purpose, so the check is seen to fail on an empty panel and an impossible value: a Prometheus
 * series nobody exposes, a ClickHouse query that finds no row, a level times ten.
 */
const spec = { unit: 'short', range: [0, 3], bounded: true, scope: 'tenant', meaning: 'The level.' } as const;
const broken: DashboardFile = {
  file: 'broken.json',
  dashboard: finishDashboard(
    sluiceDashboard({ title: 'Broken on purpose', uid: 'broken', tags: [], description: 'd', refresh: '10s', from: 'now-1h' })
      .withPanel(timeseries('Empty Prometheus panel', spec, [prom(`max by (skill_group) (sluice_levels{${PROM_SCOPE}})`)]))
      .withPanel(
        timeseries('Empty ClickHouse panel', spec, [
          chSeries(
            `SELECT $__timeInterval(ts) AS time, max(to_level) AS level FROM \${database}.level_changes WHERE $__timeFilter(ts) AND ${TENANT_AND_GROUPS} AND to_level > 99 GROUP BY time ORDER BY time`,
          ),
        ]),
      )
      .withPanel(timeseries('Level ×10', spec, [prom(`10 * max by (skill_group) (sluice_level{${PROM_SCOPE}})`, '{{skill_group}}')]))
      .build(),
  ),
};

/** What the Control and Workflow panels read, by metric name and labels (their order is the exporter's business). */
const WANTED = {
  'primary breaker opened': ['sluice_breaker_transitions_total', { breaker: 'cti:cti-primary', to: 'open' }],
  'SLA warnings': ['sluice_sla_warnings_total', { tenant: 'demo', kind: 'warning', level: '1' }],
  'keypad IVR at L3': ['sluice_route_decisions_total', { tenant: 'demo', target: 'keypad_ivr', level: '3' }],
} as const;

/** What the demo showed while it ran, looked at once its panels were checked (see `whileRunning`). */
interface Seen {
  counters: Record<string, number>;
  /** The tenant's level and where its calls went, for failure messages. */
  context: string;
  targets: { target: string; decisions: string }[];
  tickets: { flow_id: string; n: string }[];
  warnings: { kind: string; n: string }[];
  backupAgentCalls: number;
  toL3: number;
  /** Each write, DDL, setting or file read tried through the read-only endpoint, and what it answered. */
  refused: Record<string, string>;
  /** Rows of the refused insert found afterwards. */
  intruderRows: string;
  /** What a missing or wrong key got. */
  strangers: string[];
  rawStatus: number;
  output: () => string;
}

/** The answer to `fn`: its error's message, or `accepted` (the refusals below must all be errors). */
const outcome = (fn: () => Promise<unknown>) =>
  fn().then(
    () => 'accepted',
    (err: unknown) => (err as Error).message,
  );

/**
 * What `sluice demo` shows besides its panels, in the same run: the scripted trouble's breaker, SLA warnings and L3
 * diversions on /metrics (waited for up to 4 minutes after the start: the demo's clock is the wall clock, and a loaded
 * machine only makes each step later), the rows behind the Control and Workflow panels through the read-only
 * ClickHouse endpoint Grafana uses, and that endpoint's refusals.
 */
async function lookAt(demo: RunningDemo, until: number): Promise<Seen> {
  let counters: Record<string, number> = {};
  let context = '';
  for (;;) {
    const samples: Sample[] = parseExposition(await (await fetch(`${demo.url}/metrics`)).text());
    counters = Object.fromEntries(Object.entries(WANTED).map(([what, [name, labels]]) => [what, sampleSum(samples, name, labels)]));
    context = samples
      .filter((x) => (x.name === 'sluice_level' && x.labels.skill_group === '') || x.name === 'sluice_route_decisions_total')
      .filter((x) => x.value > 0)
      .map((x) => `${x.name}${JSON.stringify(x.labels)} ${x.value}`)
      .join('\n');
    if (Object.values(counters).every((n) => n > 0) || Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  const { url, user, key } = demo.clickhouse;
  const ch = createClient({ url, username: user, password: key, log: { level: ClickHouseLogLevel.OFF } });
  const rows = async <T>(query: string, query_params: Record<string, unknown> = {}) =>
    (await ch.query({ query, query_params, format: 'JSONEachRow' })).json<T>();
  try {
    let targets: Seen['targets'] = [];
    let tickets: Seen['tickets'] = [];
    let warnings: Seen['warnings'] = [];
    // Rows reach ClickHouse within seconds of the figures on /metrics.
    for (let i = 0; i < 20; i++) {
      // A dashboard-style query: time buckets, the tenant as a parameter.
      targets = await rows(
        'SELECT target, toString(count()) AS decisions FROM (SELECT toStartOfInterval(ts, INTERVAL 10 second) AS time, target FROM sluice.route_decisions WHERE tenant = {tenant:String} AND ts >= now() - INTERVAL 1 HOUR) GROUP BY target ORDER BY target',
        { tenant: 'demo' },
      );
      tickets = await rows(
        "SELECT flow_id, toString(count()) AS n FROM sluice.ticket_events WHERE tenant = {tenant:String} AND event = 'ticket.created' GROUP BY flow_id ORDER BY flow_id",
        { tenant: 'demo' },
      );
      warnings = await rows(
        "SELECT kind, toString(count()) AS n FROM sluice.sla_warnings WHERE tenant = 'demo' GROUP BY kind ORDER BY kind",
      );
      const diverted = ['agent', 'keypad_ivr'].every((t) => targets.some((r) => r.target === t));
      if (diverted && tickets.length >= 3 && warnings.some((w) => w.kind === 'warning')) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const [backup] = await rows<{ n: string }>(
      "SELECT toString(count()) AS n FROM sluice.route_decisions WHERE tenant = 'demo' AND target = 'agent' AND cti_node = 'cti-backup'",
    );
    const [toL3] = await rows<{ n: string }>(
      "SELECT toString(count()) AS n FROM sluice.level_changes WHERE tenant = 'demo' AND skill_group = '' AND to_level = 3",
    );
    const refused = {
      insert: await outcome(() => ch.insert({ table: 'sluice.route_decisions', values: [{ tenant: 'x' }], format: 'JSONEachRow' })),
      'DROP TABLE': await outcome(() => ch.command({ query: 'DROP TABLE sluice.route_decisions' })),
      'CREATE TABLE': await outcome(() => ch.command({ query: 'CREATE TABLE sluice.x (a UInt8) ENGINE = Memory' })),
      'SETTINGS readonly = 0': await outcome(() => ch.query({ query: 'SELECT 1 SETTINGS readonly = 0' })),
      "file('/etc/hostname')": await outcome(() => ch.query({ query: "SELECT * FROM file('/etc/hostname', 'LineAsString')" })),
    };
    const [intruder] = await rows<{ n: string }>("SELECT toString(count()) AS n FROM sluice.route_decisions WHERE tenant = 'x'");
    const strangers: string[] = [];
    for (const password of ['', 'wrong-key-0123456789abcdef']) {
      const stranger = createClient({ url, username: user, password, log: { level: ClickHouseLogLevel.OFF } });
      strangers.push(await outcome(() => stranger.query({ query: 'SELECT 1' })));
      await stranger.close();
    }
    const raw = await fetch(`${url}/?query=${encodeURIComponent('SELECT 1')}`);
    return {
      counters,
      context,
      targets,
      tickets,
      warnings,
      backupAgentCalls: Number(backup?.n),
      toL3: Number(toL3?.n),
      refused,
      intruderRows: intruder?.n ?? '',
      strangers,
      rawStatus: raw.status,
      output: demo.output,
    };
  } finally {
    await ch.close();
  }
}

// `sluice dashboards check --demo` as CI runs it: `sluice demo` in a child process at its own rate, as `npm start`
// runs it (it starts with 15 to 30 minutes of history), its script compressed (CTI trouble due after 2 s, for its
// minute; SLA warnings after 3 s, breach after 6 s), scraped every 5 s by Debian's Prometheus as prometheus-demo.yml says;
// from 90 s on, every panel is evaluated over its dashboard's default time range through Prometheus' HTTP API and the
// demo's read-only ClickHouse HTTP endpoint, again every 20 s while a real panel is still empty, up to 4 minutes
// (the trouble begins once the centre is calm and the primary node has answered 20 calls: about a minute or more).
describe('dashboards against sluice demo (npm start), scraped by a real Prometheus', () => {
  let report: DemoCheckReport;
  let seen: Seen;
  const lines: string[] = [];
  const isReal = (p: string) => !p.startsWith('broken ');
  beforeAll(async () => {
    const started = Date.now();
    report = await checkDemoDashboards((l) => lines.push(l), {
      minutes: 1.5,
      retry: { untilMinutes: 4, everyS: 20, again: (problems) => problems.some(isReal) },
      env: { SIM_CTI_FAILURE_AT_MS: '2000', SIM_SLA_WARNING_MS: '3000', LOG_LEVEL: 'info' },
      dashboards: [...dashboards, broken],
      progressEveryS: 15,
      whileRunning: async (demo) => {
        seen = await lookAt(demo, started + 4 * 60_000);
      },
    });
  }, 360_000);
  const real = () => report.problems.filter(isReal);

  it('evaluated every query of every panel, Prometheus and ClickHouse, and the demo exited 0 on SIGINT', () => {
    const evaluated = new Set(report.panels.map((p) => `${p.dashboard} ${p.panel} ${p.refId}`));
    for (const { dashboard } of dashboards)
      for (const panel of panelsOf(dashboard))
        for (const t of (panel.targets ?? []) as { refId?: string }[])
          expect(evaluated).toContain(`${dashboard.uid} ${panel.title} ${t.refId}`);
    expect(report.counted.prometheusQueries).toBeGreaterThan(45);
    expect(report.counted.clickhousePanelQueries).toBeGreaterThan(40);
    expect(report.run.skillGroups).toEqual(['billing', 'sales', 'support']);
    expect(report.run.exitCode).toBe(0);
  });

  it('no panel is empty and no value is outside its declared range (and every other check passes)', () => {
    expect(real(), lines.join('\n')).toEqual([]);
  });

  it('moved the Control and Workflow figures: the primary breaker opened, SLA warnings fired, callers went to the keypad IVR at L3', () => {
    const out = seen.output();
    for (const [what, n] of Object.entries(seen.counters))
      expect(n, `${what}: ${JSON.stringify(seen.counters)}\n${seen.context}\n${out.slice(-3000)}`).toBeGreaterThan(0);
    // The scripted trouble began once control answered calls (so it is never lost to a slow start) and was logged.
    expect(out).toMatch(/"msg":"demo: scripted CTI trouble begins"/);
    expect(out).toMatch(/"msg":"demo control traffic stopped"/);
  });

  it('stored what the dashboards read: decisions to agents and the keypad IVR, through the backup; L3; tickets of every demo flow', () => {
    // The smart IVR and chat of L1 and L2 are left to app/demo-control.test.ts: the level may pass them in a tick each
    // on its way up, and steps down through them only after the breaker closed and a hold passed.
    expect(
      seen.targets.map((t) => t.target),
      JSON.stringify(seen.targets),
    ).toEqual(expect.arrayContaining(['agent', 'keypad_ivr']));
    expect(seen.backupAgentCalls).toBeGreaterThan(0);
    expect(seen.toL3).toBeGreaterThan(0);
    // Callers diverted at L3 got callback tickets; the back office's fee reductions and the short-SLA flow too.
    expect(seen.tickets.map((t) => t.flow_id)).toEqual(['callback', 'demo-quick-check', 'fee-reduction']);
    expect(seen.warnings.map((w) => w.kind)).toContain('warning');
  });

  it('serves its chDB to Grafana read-only and only with its key: writes, DDL, settings and files refused, data unchanged', () => {
    expect(seen.output()).toMatch(
      /ClickHouse for Grafana {2}http:\/\/127\.0\.0\.1:\d+ {2}\(read-only; user sluice, key \S+; database sluice\)/,
    );
    for (const [what, answer] of Object.entries(seen.refused)) {
      if (what.startsWith('file')) expect(answer, what).toMatch(/not allowed/);
      else expect(answer, what).toMatch(/readonly/i);
    }
    expect(seen.intruderRows).toBe('0');
    for (const answer of seen.strangers) expect(answer).toMatch(/Authentication failed/);
    expect(seen.rawStatus).toBe(403);
  });

  it('reports the panels broken on purpose: empty (Prometheus and ClickHouse) and out of range', () => {
    const found = report.problems.filter((p) => p.startsWith('broken '));
    expect(found).toContain('broken / panel "Empty Prometheus panel" A (skill_group=All): no series');
    expect(found).toContain('broken / panel "Empty ClickHouse panel" A (skill_group=All): no rows');
    expect(found).toContainEqual(
      expect.stringMatching(
        /^broken \/ panel "Level ×10" A \(skill_group=All\): \d+ of \d+ values outside the declared short range 0\.\.3: /,
      ),
    );
  });
});

describe('reading /metrics by name and labels (test/support/exposition.ts)', () => {
  it('matches labels in any order, sums the matching series, reads escapes and skips comments', () => {
    const text = [
      '# HELP sluice_sla_warnings_total SLA warnings.',
      '# TYPE sluice_sla_warnings_total counter',
      'sluice_sla_warnings_total{tenant="demo",kind="warning",level="1",delivered="true"} 2',
      'sluice_sla_warnings_total{kind="warning",level="1",tenant="demo",delivered="false"} 3',
      'sluice_sla_warnings_total{tenant="demo",kind="breach",level="0",delivered="true"} 7',
      'sluice_sla_warnings_total{tenant="a \\"quoted\\" one, with = and \\\\",kind="warning",level="1"} 1 1700000000000',
      'sluice_up 1',
      '',
    ].join('\n');
    expect(sampleSum(text, 'sluice_sla_warnings_total', { tenant: 'demo', kind: 'warning', level: '1' })).toBe(5);
    expect(sampleSum(text, 'sluice_sla_warnings_total', { level: '1', kind: 'warning' })).toBe(6);
    expect(sampleSum(text, 'sluice_sla_warnings_total', { tenant: 'a "quoted" one, with = and \\' })).toBe(1);
    expect(sampleSum(text, 'sluice_sla_warnings_total', { tenant: 'nobody' })).toBe(0);
    expect(sampleSum(text, 'sluice_up')).toBe(1);
    expect(() => parseExposition('sluice_up{tenant="x} 1')).toThrow(/unterminated/);
    expect(() => parseExposition('not a sample')).toThrow(/not a sample line/);
  });
});
