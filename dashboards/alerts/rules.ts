/**
 * Sluice's Prometheus alerting rules, as code beside the dashboards. `sluice dashboards build` writes them to
 * `dashboards/provisioning/alerts/sluice.rules.yml` (committed; the shipped `prometheus.yml` loads it under
 * `rule_files`), `sluice dashboards check` runs `promtool check rules` and the unit tests of `tests.ts` on it.
 *
 * These alert the people who run Sluice and the centre's monitoring (through Prometheus and Alertmanager). They are
 * not Sluice's own "centre alerts" (`workflow/alerts`, rules in a tenant's control policy, delivered to supervisors
 * by the workflow role): both exist, and both may watch the same level or breaker for different people.
 *
 * Thresholds and durations are for a contact centre: a level held through a few of the control loop's ticks is a
 * real overload, not a blip; a queue's service level is judged over a quarter of an hour (the shortest interval a
 * centre reports on) and only when enough calls were offered to make it mean something. Each rule's entry in
 * `docs/runbook.md` says what it means, what to check, how to fix it and when it resolves; the table there lists the
 * same thresholds (a unit test keeps them equal).
 */
import { SL_BY_GROUP_TITLE } from '../sdk/service-level.js';

/** How urgent: `critical` pages someone, `warning` goes to the operators' channel. */
export type Severity = 'warning' | 'critical';

/** The dashboard panel that shows what an alert is about. */
export interface PanelRef {
  /** Dashboard uid (`sluice-control`, …). */
  readonly dashboard: string;
  /**
   * Which panel: the first whose title equals `title`, or (when `shows` is given) the first Prometheus panel whose
   * query selects a metric starting with `shows` — robust to a panel being renamed.
   */
  readonly title?: string;
  readonly shows?: string;
  /** Grafana variables to set from the alert's labels: variable name → label name. */
  readonly vars?: Readonly<Record<string, string>>;
}

/** One alerting rule. */
export interface AlertDef {
  /** Alert name, also the runbook heading (`### <alert>` in docs/runbook.md). */
  readonly alert: string;
  readonly expr: string;
  /** How long the condition must hold before the alert fires (Prometheus duration); omitted: at once. */
  readonly for?: string;
  readonly severity: Severity;
  /** One line, Prometheus template (labels and `$value`). */
  readonly summary: string;
  /** What it means, in a sentence or two (no template). */
  readonly description: string;
  readonly panel: PanelRef;
}

/** A named group of rules (one evaluation group in Prometheus). */
export interface AlertGroup {
  readonly name: string;
  readonly rules: readonly AlertDef[];
}

/** The job name of the shipped scrape configuration (`dashboards/provisioning/prometheus.yml`). */
export const SLUICE_JOB = 'sluice';

/** Calls a queue must have been offered in the last 15 minutes before its service level is judged. */
export const SL_MIN_OFFERED = 10;

const TENANT = { tenant: 'tenant' } as const;
const JOB = { job: 'job' } as const;

/** Every rule, by group. */
export const ALERT_GROUPS: readonly AlertGroup[] = [
  {
    name: 'sluice-centre',
    rules: [
      {
        alert: 'SluiceTenantLevel2',
        // Control instances all report the leader's levels: max over instances and the tenant's scopes.
        expr: 'max by (tenant) (sluice_level) >= 2',
        for: '10m',
        severity: 'warning',
        summary: 'Tenant {{ $labels.tenant }} has been at level 2 or higher for 10 minutes (now L{{ $value }})',
        description:
          'The control loop has held the tenant (or one of its skill groups) at L2 for 10 minutes: calls are being diverted to self-service and callback because agents cannot keep up.',
        panel: { dashboard: 'sluice-control', shows: 'sluice_level', vars: TENANT },
      },
      {
        alert: 'SluiceTenantLevel3',
        expr: 'max by (tenant) (sluice_level) >= 3',
        for: '5m',
        severity: 'critical',
        summary: 'Tenant {{ $labels.tenant }} has been at level 3 for 5 minutes',
        description:
          'The control loop has held the tenant (or one of its skill groups) at L3, its strongest degradation, for 5 minutes: callers are refused or sent away from agents.',
        panel: { dashboard: 'sluice-control', shows: 'sluice_level', vars: TENANT },
      },
      {
        alert: 'SluiceServiceLevelBelowObjective',
        expr: `(max by (tenant, skill_group, variant) (sluice_service_level) < on (tenant) group_left () max by (tenant) (sluice_service_level_objective)) and on (tenant, skill_group) (sum by (tenant, skill_group) (increase(sluice_queue_offered_total[15m])) >= ${SL_MIN_OFFERED})`,
        for: '15m',
        severity: 'warning',
        summary:
          'Service level of {{ $labels.tenant }}/{{ $labels.skill_group }} is {{ $value | humanizePercentage }}, under the objective, for 15 minutes',
        description: `The queue's service level (the tenant's one definition, variant in the label) has stayed under the tenant's objective for 15 minutes while it was offered at least ${SL_MIN_OFFERED} calls a quarter of an hour.`,
        panel: { dashboard: 'sluice-queues', title: SL_BY_GROUP_TITLE, vars: { tenant: 'tenant', skill_group: 'skill_group' } },
      },
      {
        alert: 'SluiceServiceLevelFarBelowObjective',
        expr: `(max by (tenant, skill_group, variant) (sluice_service_level) < on (tenant) group_left () (max by (tenant) (sluice_service_level_objective) - 0.2)) and on (tenant, skill_group) (sum by (tenant, skill_group) (increase(sluice_queue_offered_total[15m])) >= ${SL_MIN_OFFERED})`,
        for: '15m',
        severity: 'critical',
        summary:
          'Service level of {{ $labels.tenant }}/{{ $labels.skill_group }} is {{ $value | humanizePercentage }}, 20 points or more under the objective, for 15 minutes',
        description:
          'The queue has missed its objective by 20 percentage points or more (e.g. under 60 % against 80 %) for 15 minutes: the interval will be reported as failed.',
        panel: { dashboard: 'sluice-queues', title: SL_BY_GROUP_TITLE, vars: { tenant: 'tenant', skill_group: 'skill_group' } },
      },
      {
        alert: 'SluiceCallsRefused',
        expr: 'sum by (tenant) (increase(sluice_admission_calls_refused_total[5m])) > 0',
        for: '5m',
        severity: 'warning',
        summary:
          'Tenant {{ $labels.tenant }} has had calls refused (no target at all) for 5 minutes: {{ $value | humanize }} in the last 5 minutes',
        description:
          'Admission found no target for some calls (every target refused them) in every 5-minute window for 5 minutes: those callers got no agent, queue or self-service.',
        panel: { dashboard: 'sluice-control', shows: 'sluice_admission_', vars: TENANT },
      },
      {
        alert: 'SluiceBreakerOpen',
        // Open (2) and half-open (1) alternate while a dependency stays down: "not closed" holds through both.
        expr: 'max by (breaker) (sluice_breaker_state) >= 1',
        for: '2m',
        severity: 'warning',
        summary: 'Breaker {{ $labels.breaker }} has not been closed for 2 minutes',
        description:
          'The circuit breaker of a CTI node or channel has been open or probing (half-open) for 2 minutes: calls are routed past that target.',
        panel: { dashboard: 'sluice-control', shows: 'sluice_breaker_state' },
      },
      {
        alert: 'SluiceBreakerOpenLong',
        expr: 'max by (breaker) (sluice_breaker_state) >= 1',
        for: '15m',
        severity: 'critical',
        summary: 'Breaker {{ $labels.breaker }} has not been closed for 15 minutes',
        description:
          'The circuit breaker of a CTI node or channel has stayed open or half-open for 15 minutes: its target is down or refused, not a passing blip.',
        panel: { dashboard: 'sluice-control', shows: 'sluice_breaker_state' },
      },
    ],
  },
  {
    name: 'sluice-pipeline',
    rules: [
      {
        alert: 'SluiceConsumerLagHigh',
        expr: 'max by (job, instance) (sluice_consumer_lag_seconds) > 60',
        for: '5m',
        severity: 'warning',
        summary: 'Pipeline worker {{ $labels.instance }} is {{ $value | humanizeDuration }} behind real time',
        description:
          'A pipeline worker has been more than a minute behind the events for 5 minutes: wallboards, real-time queue figures and the levels fed by them are stale.',
        panel: { dashboard: 'sluice-engine', shows: 'sluice_consumer_lag_seconds', vars: JOB },
      },
      {
        alert: 'SluiceConsumerLagCritical',
        expr: 'max by (job, instance) (sluice_consumer_lag_seconds) > 300',
        for: '5m',
        severity: 'critical',
        summary: 'Pipeline worker {{ $labels.instance }} is {{ $value | humanizeDuration }} behind real time',
        description:
          'A pipeline worker has been more than 5 minutes behind the events for 5 minutes: supervisors see the past, and the control loop reacts to it.',
        panel: { dashboard: 'sluice-engine', shows: 'sluice_consumer_lag_seconds', vars: JOB },
      },
      {
        alert: 'SluiceClickHouseInsertErrors',
        expr: 'sum by (job, instance) (increase(sluice_clickhouse_insert_errors_total[5m])) > 0',
        for: '10m',
        severity: 'warning',
        summary: '{{ $labels.instance }} has had failing ClickHouse inserts for 10 minutes: {{ $value | humanize }} in the last 5 minutes',
        description:
          'Inserts into ClickHouse have failed in every 5-minute window for 10 minutes. Each is retried, so nothing is lost yet, but reports and ClickHouse panels fall behind and consumer lag grows.',
        panel: { dashboard: 'sluice-engine', shows: 'sluice_clickhouse_insert_errors_total', vars: JOB },
      },
      {
        alert: 'SluiceDeadLettersRising',
        // Share of a source's input refused; a source whose every event is refused has no events_in series: `or … * 0`.
        expr: 'sum by (source) (increase(sluice_events_dead_lettered_total[15m])) >= 10 and on (source) sum by (source) (increase(sluice_events_dead_lettered_total[15m])) > 0.01 * (sum by (source) (increase(sluice_events_dead_lettered_total[15m])) + (sum by (source) (increase(sluice_events_in_total[15m])) or on (source) sum by (source) (increase(sluice_events_dead_lettered_total[15m])) * 0))',
        for: '5m',
        severity: 'warning',
        summary: '{{ $value | humanize }} {{ $labels.source }} events dead-lettered in 15 minutes (over 1 % of the input)',
        description:
          "More than 1 % of a source's input (and at least 10 events) has been refused and written to the dead-letter sink over 15 minutes: those events are missing from the figures.",
        panel: { dashboard: 'sluice-engine', shows: 'sluice_events_dead_lettered_total' },
      },
      {
        alert: 'SluiceTenantCardinalityRefused',
        expr: 'sum by (tenant, kind) (increase(sluice_cardinality_refused_total[15m])) > 0',
        severity: 'warning',
        summary:
          'Tenant {{ $labels.tenant }} brought more {{ $labels.kind }} than its limit: {{ $value | humanize }} events refused in 15 minutes',
        description:
          'Events were dead-lettered because they brought the tenant past its limit of distinct skill groups, agents or extensions: raise the limit or find the feed that invents names.',
        panel: { dashboard: 'sluice-engine', shows: 'sluice_events_dead_lettered_total' },
      },
    ],
  },
  {
    name: 'sluice-service',
    rules: [
      {
        alert: 'SluiceDown',
        expr: `up{job="${SLUICE_JOB}"} == 0`,
        for: '2m',
        severity: 'critical',
        summary: 'Prometheus cannot scrape Sluice at {{ $labels.instance }} for 2 minutes',
        description: 'The process is down, unreachable, or refuses the scrape (a wrong or expired platform key on /metrics).',
        panel: { dashboard: 'sluice-engine', shows: 'process_cpu_seconds_total', vars: JOB },
      },
      {
        alert: 'SluiceTargetsMissing',
        expr: `absent(up{job="${SLUICE_JOB}"})`,
        for: '5m',
        severity: 'critical',
        summary: 'Prometheus has no Sluice target to scrape (job {{ $labels.job }})',
        description: 'No target of the sluice job exists: the scrape configuration was lost or its service discovery finds nothing.',
        panel: { dashboard: 'sluice-engine', shows: 'process_cpu_seconds_total' },
      },
      {
        alert: 'SluiceNotReady',
        expr: 'sum by (job, instance) (rate(sluice_http_request_duration_seconds_count{route="/readyz",status="503"}[5m])) / sum by (job, instance) (rate(sluice_http_request_duration_seconds_count{route="/readyz"}[5m])) > 0.5',
        for: '5m',
        severity: 'critical',
        summary: '{{ $labels.instance }} has answered most readiness probes with 503 for 5 minutes',
        description:
          'More than half of the /readyz probes (the container HEALTHCHECK, a load balancer) were answered "not ready" for 5 minutes: a dependency its role needs is down and the instance is out of rotation.',
        panel: { dashboard: 'sluice-engine', shows: 'sluice_http_request_duration_seconds', vars: JOB },
      },
      {
        alert: 'SluiceSlaTimerErrors',
        expr: 'sum by (job, instance) (increase(sluice_sla_timer_errors_total[5m])) > 0',
        for: '5m',
        severity: 'warning',
        summary:
          '{{ $labels.instance }}: the SLA timer loop has had store errors for 5 minutes: {{ $value | humanize }} in the last 5 minutes',
        description:
          'The workflow role could not read or write its SLA timers in every 5-minute window for 5 minutes: ticket warnings and breaches fire late or not at all.',
        panel: { dashboard: 'sluice-workflow', shows: 'sluice_sla_timer_lateness_seconds' },
      },
      {
        alert: 'SluiceAlertDeliveriesFailing',
        expr: 'sum by (channel) (increase(sluice_alert_deliveries_total{result=~"failed|undeliverable"}[15m])) > 0',
        severity: 'warning',
        summary: '{{ $value | humanize }} alert deliveries by {{ $labels.channel }} failed in the last 15 minutes',
        description: 'Alerts Sluice sends people (SLA warnings, centre alerts) failed for good on this channel: someone was not told.',
        panel: { dashboard: 'sluice-workflow', shows: 'sluice_sla_warnings_total' },
      },
    ],
  },
];

/** Every rule, in group order. */
export const ALERTS: readonly AlertDef[] = ALERT_GROUPS.flatMap((g) => g.rules);
