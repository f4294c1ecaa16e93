/**
 * Unit tests of the alerting rules for `promtool test rules`: input series and, at chosen times, the alerts that
 * must be firing — with their labels (tenant, skill group, breaker, instance…) and rendered annotations — and
 * those that must not (a condition that did not hold long enough, a quiet queue, another tenant's objective, a
 * flapping breaker). Every rule is covered both ways; `alerts.test.ts` checks that.
 */
import { stringify } from 'yaml';
import { DEFAULT_RUNBOOK, resolvePanel, runbookAnchor } from './build.js';
import { ALERTS, type AlertDef, SLUICE_JOB } from './rules.js';

/** Labels of one expected alert (without `severity`, which comes from the rule). */
type Labels = Readonly<Record<string, string>>;

/** One alert expected to fire: its labels and its rendered summary. */
interface Firing {
  readonly labels: Labels;
  readonly summary: string;
}

/** At `at`, `alert` fires exactly for `firing` (empty: it does not fire). */
interface Check {
  readonly at: string;
  readonly alert: string;
  readonly firing: readonly Firing[];
}

/** One promtool test: series sampled every minute, and checks. */
export interface RuleTestCase {
  readonly name: string;
  /** Series (PromQL selector syntax) → promtool's expanding notation (`0+1x10`, `2x5`, `_`). */
  readonly series: Readonly<Record<string, string>>;
  readonly checks: readonly Check[];
}

const J = `job="${SLUICE_JOB}"`;

/** The test cases, by rule family. */
export const RULE_TESTS: readonly RuleTestCase[] = [
  {
    name: 'tenant levels: L2 for 10 minutes warns, L3 for 5 minutes is critical, per tenant, the for resets when the level drops',
    series: {
      'sluice_level{tenant="acme",skill_group="",instance="c1"}': '0 0 2x25',
      'sluice_level{tenant="acme",skill_group="billing",instance="c1"}': '0x27',
      // two control instances report the same (the leader's) level: one alert
      'sluice_level{tenant="beta",skill_group="",instance="c1"}': '0 0 3x25',
      'sluice_level{tenant="beta",skill_group="",instance="c2"}': '0 0 3x25',
      // a skill group at L2, interrupted at 9 m: the 10 minutes count again from 10 m
      'sluice_level{tenant="gamma",skill_group="vip",instance="c1"}': '2x8 0 2x17',
      'sluice_level{tenant="delta",skill_group="",instance="c1"}': '1x27',
    },
    checks: [
      { at: '11m', alert: 'SluiceTenantLevel2', firing: [] },
      {
        at: '12m',
        alert: 'SluiceTenantLevel2',
        firing: [
          { labels: { tenant: 'acme' }, summary: 'Tenant acme has been at level 2 or higher for 10 minutes (now L2)' },
          { labels: { tenant: 'beta' }, summary: 'Tenant beta has been at level 2 or higher for 10 minutes (now L3)' },
        ],
      },
      {
        at: '19m',
        alert: 'SluiceTenantLevel2',
        firing: [
          { labels: { tenant: 'acme' }, summary: 'Tenant acme has been at level 2 or higher for 10 minutes (now L2)' },
          { labels: { tenant: 'beta' }, summary: 'Tenant beta has been at level 2 or higher for 10 minutes (now L3)' },
        ],
      },
      {
        at: '20m',
        alert: 'SluiceTenantLevel2',
        firing: [
          { labels: { tenant: 'acme' }, summary: 'Tenant acme has been at level 2 or higher for 10 minutes (now L2)' },
          { labels: { tenant: 'beta' }, summary: 'Tenant beta has been at level 2 or higher for 10 minutes (now L3)' },
          { labels: { tenant: 'gamma' }, summary: 'Tenant gamma has been at level 2 or higher for 10 minutes (now L2)' },
        ],
      },
      { at: '6m', alert: 'SluiceTenantLevel3', firing: [] },
      {
        at: '7m',
        alert: 'SluiceTenantLevel3',
        firing: [{ labels: { tenant: 'beta' }, summary: 'Tenant beta has been at level 3 for 5 minutes' }],
      },
      {
        at: '25m',
        alert: 'SluiceTenantLevel3',
        firing: [{ labels: { tenant: 'beta' }, summary: 'Tenant beta has been at level 3 for 5 minutes' }],
      },
    ],
  },
  {
    name: "service level under the tenant's objective for 15 minutes, only where enough calls were offered",
    series: {
      'sluice_service_level_objective{tenant="acme",instance="w1"}': '0.8x30',
      'sluice_service_level_objective{tenant="beta",instance="w1"}': '0.65x30',
      'sluice_service_level{tenant="acme",skill_group="billing",variant="answered_offered",instance="w1"}': '0.7x30',
      'sluice_service_level{tenant="acme",skill_group="sales",variant="answered_offered",instance="w1"}': '0.5x30',
      'sluice_service_level{tenant="acme",skill_group="vip",variant="answered_offered",instance="w1"}': '0.9x30',
      'sluice_service_level{tenant="acme",skill_group="night",variant="answered_offered",instance="w1"}': '0.2x30',
      // 0.7 is under acme's 0.8 but over beta's own 0.65
      'sluice_service_level{tenant="beta",skill_group="billing",variant="answered",instance="w1"}': '0.7x30',
      'sluice_queue_offered_total{tenant="acme",skill_group="billing",instance="w1"}': '0+2x30',
      'sluice_queue_offered_total{tenant="acme",skill_group="sales",instance="w1"}': '0+2x30',
      'sluice_queue_offered_total{tenant="acme",skill_group="vip",instance="w1"}': '0+2x30',
      // three calls a quarter of an hour: too few to judge
      'sluice_queue_offered_total{tenant="acme",skill_group="night",instance="w1"}': '0+0.2x30',
      'sluice_queue_offered_total{tenant="beta",skill_group="billing",instance="w1"}': '0+2x30',
    },
    checks: [
      { at: '14m', alert: 'SluiceServiceLevelBelowObjective', firing: [] },
      {
        at: '20m',
        alert: 'SluiceServiceLevelBelowObjective',
        firing: [
          {
            labels: { tenant: 'acme', skill_group: 'billing', variant: 'answered_offered' },
            summary: 'Service level of acme/billing is 70%, under the objective, for 15 minutes',
          },
          {
            labels: { tenant: 'acme', skill_group: 'sales', variant: 'answered_offered' },
            summary: 'Service level of acme/sales is 50%, under the objective, for 15 minutes',
          },
        ],
      },
      { at: '14m', alert: 'SluiceServiceLevelFarBelowObjective', firing: [] },
      {
        at: '20m',
        alert: 'SluiceServiceLevelFarBelowObjective',
        firing: [
          {
            labels: { tenant: 'acme', skill_group: 'sales', variant: 'answered_offered' },
            summary: 'Service level of acme/sales is 50%, 20 points or more under the objective, for 15 minutes',
          },
        ],
      },
    ],
  },
  {
    name: 'calls refused for 5 minutes, per tenant over its reasons; one refusal does not',
    series: {
      'sluice_admission_calls_refused_total{tenant="acme",reason="no_target",instance="c1"}': '0+3x20',
      'sluice_admission_calls_refused_total{tenant="acme",reason="tenant_limit",instance="c1"}': '0+1x20',
      'sluice_admission_calls_refused_total{tenant="beta",reason="no_target",instance="c1"}': '0x4 1x16',
    },
    checks: [
      { at: '5m', alert: 'SluiceCallsRefused', firing: [] },
      {
        at: '10m',
        alert: 'SluiceCallsRefused',
        firing: [
          {
            labels: { tenant: 'acme' },
            summary: 'Tenant acme has had calls refused (no target at all) for 5 minutes: 20 in the last 5 minutes',
          },
        ],
      },
    ],
  },
  {
    name: 'breakers: not closed (open or half-open) for 2 minutes warns, for 15 minutes is critical; one that keeps closing does not',
    series: {
      'sluice_breaker_state{breaker="cti:cti-primary",instance="c1"}': '0 2 2 1 2 2 1 2x20',
      'sluice_breaker_state{breaker="cti:cti-primary",instance="c2"}': '0 2 2 1 2 2 1 2x20',
      'sluice_breaker_state{breaker="channel:chat",instance="c1"}': '0 2 0 1 0 2 0 2 0 1 0 2 0 2 0 1 0 2 0 2 0 0x6',
      'sluice_breaker_state{breaker="cti:cti-backup",instance="c1"}': '0x27',
    },
    checks: [
      { at: '2m', alert: 'SluiceBreakerOpen', firing: [] },
      {
        at: '3m',
        alert: 'SluiceBreakerOpen',
        firing: [{ labels: { breaker: 'cti:cti-primary' }, summary: 'Breaker cti:cti-primary has not been closed for 2 minutes' }],
      },
      {
        at: '20m',
        alert: 'SluiceBreakerOpen',
        firing: [{ labels: { breaker: 'cti:cti-primary' }, summary: 'Breaker cti:cti-primary has not been closed for 2 minutes' }],
      },
      { at: '15m', alert: 'SluiceBreakerOpenLong', firing: [] },
      {
        at: '16m',
        alert: 'SluiceBreakerOpenLong',
        firing: [{ labels: { breaker: 'cti:cti-primary' }, summary: 'Breaker cti:cti-primary has not been closed for 15 minutes' }],
      },
    ],
  },
  {
    name: 'consumer lag: over a minute for 5 minutes warns, over 5 minutes is critical, per worker',
    series: {
      [`sluice_consumer_lag_seconds{${J},instance="w1:8080"}`]: '5 90x20',
      [`sluice_consumer_lag_seconds{${J},instance="w2:8080"}`]: '5 400x20',
      [`sluice_consumer_lag_seconds{${J},instance="w3:8080"}`]: '30x20',
    },
    checks: [
      { at: '5m', alert: 'SluiceConsumerLagHigh', firing: [] },
      {
        at: '6m',
        alert: 'SluiceConsumerLagHigh',
        firing: [
          { labels: { job: SLUICE_JOB, instance: 'w1:8080' }, summary: 'Pipeline worker w1:8080 is 1m 30s behind real time' },
          { labels: { job: SLUICE_JOB, instance: 'w2:8080' }, summary: 'Pipeline worker w2:8080 is 6m 40s behind real time' },
        ],
      },
      { at: '5m', alert: 'SluiceConsumerLagCritical', firing: [] },
      {
        at: '6m',
        alert: 'SluiceConsumerLagCritical',
        firing: [{ labels: { job: SLUICE_JOB, instance: 'w2:8080' }, summary: 'Pipeline worker w2:8080 is 6m 40s behind real time' }],
      },
    ],
  },
  {
    name: 'ClickHouse insert errors in every window for 10 minutes; a single failed insert does not',
    series: {
      [`sluice_clickhouse_insert_errors_total{${J},instance="w1:8080"}`]: '0+1x20',
      [`sluice_clickhouse_insert_errors_total{${J},instance="w2:8080"}`]: '0 1x20',
    },
    checks: [
      { at: '10m', alert: 'SluiceClickHouseInsertErrors', firing: [] },
      {
        at: '12m',
        alert: 'SluiceClickHouseInsertErrors',
        firing: [
          {
            labels: { job: SLUICE_JOB, instance: 'w1:8080' },
            summary: 'w1:8080 has had failing ClickHouse inserts for 10 minutes: 5 in the last 5 minutes',
          },
        ],
      },
    ],
  },
  {
    name: "dead letters over 1 % of a source's input (and at least 10) in 15 minutes, also for a source with no events in",
    series: {
      'sluice_events_dead_lettered_total{source="agent",reason="bad_json",instance="w1"}': '0+2x30',
      'sluice_events_dead_lettered_total{source="agent",reason="schema",instance="w1"}': '0+1x30',
      'sluice_events_in_total{source="agent",instance="w1"}': '0+100x30',
      // 0.2 % of a busy source
      'sluice_events_dead_lettered_total{source="call",reason="bad_json",instance="w1"}': '0+2x30',
      'sluice_events_in_total{source="call",instance="w1"}': '0+1000x30',
      // 7.5 a quarter of an hour: fewer than 10
      'sluice_events_dead_lettered_total{source="queue",reason="schema",instance="w1"}': '0+0.5x30',
      // every event refused: no events_in series at all
      'sluice_events_dead_lettered_total{source="vendor",reason="schema",instance="w1"}': '0+1x30',
    },
    checks: [
      { at: '3m', alert: 'SluiceDeadLettersRising', firing: [] },
      {
        at: '25m',
        alert: 'SluiceDeadLettersRising',
        firing: [
          { labels: { source: 'agent' }, summary: '45 agent events dead-lettered in 15 minutes (over 1 % of the input)' },
          { labels: { source: 'vendor' }, summary: '15 vendor events dead-lettered in 15 minutes (over 1 % of the input)' },
        ],
      },
    ],
  },
  {
    name: "a tenant's events refused for its cardinality limits fire at once and resolve 15 minutes later",
    series: {
      'sluice_cardinality_refused_total{tenant="acme",kind="agents",instance="w1"}': '0 0 0 4 4x30',
      'sluice_cardinality_refused_total{tenant="beta",kind="skill_groups",instance="w1"}': '0x34',
    },
    checks: [
      { at: '2m', alert: 'SluiceTenantCardinalityRefused', firing: [] },
      {
        at: '5m',
        alert: 'SluiceTenantCardinalityRefused',
        firing: [
          {
            labels: { tenant: 'acme', kind: 'agents' },
            summary: 'Tenant acme brought more agents than its limit: 4 events refused in 15 minutes',
          },
        ],
      },
      { at: '30m', alert: 'SluiceTenantCardinalityRefused', firing: [] },
    ],
  },
  {
    name: 'a Sluice target down for 2 minutes; other jobs ignored; targets present',
    series: {
      [`up{${J},instance="s1:8080"}`]: '1 0x10',
      [`up{${J},instance="s2:8080"}`]: '1x10',
      'up{job="node",instance="n1:9100"}': '0x10',
    },
    checks: [
      { at: '2m', alert: 'SluiceDown', firing: [] },
      {
        at: '3m',
        alert: 'SluiceDown',
        firing: [{ labels: { job: SLUICE_JOB, instance: 's1:8080' }, summary: 'Prometheus cannot scrape Sluice at s1:8080 for 2 minutes' }],
      },
      { at: '10m', alert: 'SluiceTargetsMissing', firing: [] },
    ],
  },
  {
    name: 'no Sluice target at all for 5 minutes',
    series: { 'up{job="node",instance="n1:9100"}': '1x10' },
    checks: [
      { at: '4m', alert: 'SluiceTargetsMissing', firing: [] },
      {
        at: '6m',
        alert: 'SluiceTargetsMissing',
        firing: [{ labels: { job: SLUICE_JOB }, summary: 'Prometheus has no Sluice target to scrape (job sluice)' }],
      },
    ],
  },
  {
    name: 'readiness: most /readyz probes answered 503 for 5 minutes; an odd 503 does not',
    series: {
      [`sluice_http_request_duration_seconds_count{${J},instance="s1:8080",method="GET",route="/readyz",status="200"}`]: '0+2x4 8x20',
      [`sluice_http_request_duration_seconds_count{${J},instance="s1:8080",method="GET",route="/readyz",status="503"}`]: '0x4 0+2x20',
      [`sluice_http_request_duration_seconds_count{${J},instance="s2:8080",method="GET",route="/readyz",status="200"}`]: '0+2x24',
      [`sluice_http_request_duration_seconds_count{${J},instance="s2:8080",method="GET",route="/readyz",status="503"}`]: '0+0.2x24',
      // other routes do not count
      [`sluice_http_request_duration_seconds_count{${J},instance="s2:8080",method="GET",route="/v1/status",status="503"}`]: '0+10x24',
    },
    checks: [
      { at: '7m', alert: 'SluiceNotReady', firing: [] },
      {
        at: '20m',
        alert: 'SluiceNotReady',
        firing: [
          {
            labels: { job: SLUICE_JOB, instance: 's1:8080' },
            summary: 's1:8080 has answered most readiness probes with 503 for 5 minutes',
          },
        ],
      },
    ],
  },
  {
    name: 'SLA timer store errors in every window for 5 minutes; a single error does not',
    series: {
      [`sluice_sla_timer_errors_total{${J},instance="wf1:8080"}`]: '0+1x20',
      [`sluice_sla_timer_errors_total{${J},instance="wf2:8080"}`]: '0 1x20',
    },
    checks: [
      { at: '5m', alert: 'SluiceSlaTimerErrors', firing: [] },
      {
        at: '10m',
        alert: 'SluiceSlaTimerErrors',
        firing: [
          {
            labels: { job: SLUICE_JOB, instance: 'wf1:8080' },
            summary: 'wf1:8080: the SLA timer loop has had store errors for 5 minutes: 5 in the last 5 minutes',
          },
        ],
      },
    ],
  },
  {
    name: 'alert deliveries that failed for good fire at once, per channel; retries and sent ones do not',
    series: {
      'sluice_alert_deliveries_total{channel="sms",result="failed",instance="wf1"}': '0 0 1x20',
      'sluice_alert_deliveries_total{channel="sms",result="sent",instance="wf1"}': '0+5x22',
      'sluice_alert_deliveries_total{channel="email",result="retry",instance="wf1"}': '0+1x22',
      'sluice_alert_deliveries_total{channel="email",result="undeliverable",instance="wf1"}': '0x22',
    },
    checks: [
      { at: '1m', alert: 'SluiceAlertDeliveriesFailing', firing: [] },
      {
        at: '3m',
        alert: 'SluiceAlertDeliveriesFailing',
        firing: [{ labels: { channel: 'sms' }, summary: '1 alert deliveries by sms failed in the last 15 minutes' }],
      },
      { at: '20m', alert: 'SluiceAlertDeliveriesFailing', firing: [] },
    ],
  },
];

/** The links an alert with `labels` carries, written out (not through Prometheus' templates). */
export function expectedLinks(def: AlertDef, labels: Labels, bases: { runbook?: string; grafana?: string } = {}) {
  const query = Object.entries(def.panel.vars ?? {}).map(([v, label]) => {
    const value = labels[label];
    if (value === undefined)
      throw new Error(`${def.alert}: its dashboard link sets var-${v} from label ${label}, which the alert does not carry`);
    return `var-${v}=${encodeURIComponent(value)}`;
  });
  const dashboard = `${bases.grafana ?? ''}/d/${def.panel.dashboard}${query.length ? `?${query.join('&')}` : ''}`;
  const panel = resolvePanel(def.panel, def.alert);
  return {
    runbook_url: `${bases.runbook ?? DEFAULT_RUNBOOK}#${runbookAnchor(def.alert)}`,
    dashboard,
    panel: `${dashboard}${query.length ? '&' : '?'}viewPanel=${panel.id}`,
  };
}

/** The promtool test file for `rulesFile` (a path promtool can read), from `cases`. */
export function ruleTestsYaml(rulesFile: string, cases: readonly RuleTestCase[] = RULE_TESTS, defs: readonly AlertDef[] = ALERTS): string {
  const byName = new Map(defs.map((d) => [d.alert, d]));
  const doc = {
    rule_files: [rulesFile],
    evaluation_interval: '1m',
    tests: cases.map((c) => ({
      name: c.name,
      interval: '1m',
      input_series: Object.entries(c.series).map(([series, values]) => ({ series, values })),
      alert_rule_test: c.checks.map((k) => {
        const def = byName.get(k.alert);
        if (!def) throw new Error(`test "${c.name}": no rule ${k.alert}`);
        return {
          eval_time: k.at,
          alertname: k.alert,
          exp_alerts: k.firing.map((f) => ({
            exp_labels: { ...f.labels, severity: def.severity },
            exp_annotations: { summary: f.summary, description: def.description, ...expectedLinks(def, f.labels) },
          })),
        };
      }),
    })),
  };
  return stringify(doc, { lineWidth: 0 });
}
