import { buildInfo } from './build-info.js';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { OUTCOME_KINDS, SAFETY_ORDER } from '../control/index.js';
import { DEAD_LETTER_CODES } from '../pipelines/dead-letters.js';
import { SOURCES } from '../pipelines/events/types.js';
import { DELIVERY_CHANNELS } from '../workflow/alerts/types.js';
import type { PipelineObserver } from '../pipelines/worker.js';
import type { DeliveryWorker } from '../workflow/alerts/worker.js';
import type { Workflow } from '../workflow/wire.js';
import type { Control } from '../control/wire.js';
import type { TelemetryEvent } from '../pipelines/events/types.js';
import type { SkillGroupNow } from '../pipelines/realtime/state.js';
import type { AgentNow } from '../pipelines/realtime/figures.js';
import type { CardinalityLimiter, CardinalityRefusal } from '../pipelines/limits/cardinality.js';
import { foldSeries, LabelBounds, type LabelBoundsOptions } from './metric-labels.js';
import { BATCH_SIZE_BUCKETS, ROUTE_DECISION_BUCKETS, TIMER_LATENESS_BUCKETS, waitBuckets } from './metric-buckets.js';

export { waitBuckets } from './metric-buckets.js';

/** Thresholds that place histogram buckets where the call-center domain reads them. */
export interface MetricsOptions {
  /** Service-level threshold T, seconds (`SLUICE_SERVICE_LEVEL_MS` / 1000; default 20). */
  serviceLevelSeconds?: number;
  /** Short-abandon threshold, seconds (`SLUICE_SHORT_ABANDON_MS` / 1000; default 5). */
  shortAbandonSeconds?: number;
  /** Which tenants get series of their own, and how many values every other input-driven label keeps. */
  labels?: Omit<LabelBoundsOptions, 'onFold'>;
}

/** Which source's figures each pipeline table holds (for `sluice_events_out_total`). */
const SOURCE_OF_TABLE: Readonly<Record<string, string>> = {
  skillgroup_minute: 'skillgroup',
  agent_window: 'agent',
  extension_window: 'extension',
  interval_report: 'interval',
};

/** prom-client default gauges whose `_total` suffix breaks the naming rules; `sum(nodejs_active_handles)` etc. give them. */
export const MISNAMED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

/** Circuit breaker states as the gauge `sluice_breaker_state` reports them. */
export const BREAKER_STATE_VALUE: Readonly<Record<string, number>> = {
  closed: 0,
  'forced-closed': 0,
  'half-open': 1,
  open: 2,
  'forced-open': 2,
};

/**
 * prom-client's event-loop gauges from a `monitorEventLoopDelay` at 10 ms resolution: each sample is the whole
 * interval between its timer's runs, so they never read below ~10 ms. `sluice_event_loop_delay_seconds` replaces
 * them; `nodejs_eventloop_lag_seconds` (one setImmediate's wait at scrape time) stays.
 */
export const MISLEADING_EVENT_LOOP_METRICS = [
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
] as const;

/** Sampling resolution of `sluice_event_loop_delay_seconds`, ms (the smallest `monitorEventLoopDelay` takes). */
export const EVENT_LOOP_RESOLUTION_MS = 1;

/** States a breaker transition goes to (`sluice_breaker_transitions_total{to}`). */
const BREAKER_STATES = ['closed', 'open', 'half-open', 'forced-open', 'forced-closed'] as const;
/** Why a call got no target (`sluice_admission_calls_refused_total{reason}`). */
const CALL_REFUSAL_REASONS = ['admission', 'unavailable'] as const;
/** The control bounds of `sluice_control_limit_hits_total{limit}` (control's `LimitName`). */
const CONTROL_LIMITS = ['route', 'outcome', 'api', 'pending-tenant', 'pending-total', 'skill-groups'] as const;
/** Ticket states (`sluice_workflow_ticket_transitions_total{state}`). */
const TICKET_STATES = ['active', 'paused', 'closed'] as const;
/** Alert delivery results (`sluice_alert_deliveries_total{result}`). */
const DELIVERY_RESULTS = ['sent', 'retry', 'failed', 'undeliverable'] as const;

/**
 * Sluice's Prometheus metrics, on a registry of their own (one per instance, so tests can run several).
 * Names follow Prometheus conventions: `sluice_` prefix, base units, `_total` on counters; labels are
 * bounded (tenant, skill group, source, reason, table, route, level, target, breaker) — never call or
 * agent ids: per-agent figures live in ClickHouse. Every label whose value comes from input goes through
 * {@link LabelBounds} (known tenants; a fixed set of values per tenant; the rest `_other`). Gauges of state
 * read it at scrape time. Every process exposes what its roles do; dashboards `sum` counters across
 * processes and `max` gauges that every instance of a role reports alike (levels, breakers, ticket counts).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly eventsIn = new Counter({
    name: 'sluice_events_in_total',
    help: 'Events decoded and stored, by source.',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly eventsOut = new Counter({
    name: 'sluice_events_out_total',
    help: 'Figures the pipelines wrote out to ClickHouse (window rows; vendor reports for interval), by source.',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly queueWait: Histogram<'tenant' | 'skill_group' | 'outcome'>;
  readonly deadLettered = new Counter({
    name: 'sluice_events_dead_lettered_total',
    help: 'Inputs refused and written to the dead-letter sink, by source and reason.',
    labelNames: ['source', 'reason'],
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: 'sluice_events_duplicate_total',
    help: 'Events dropped as duplicates of an id already counted, by source.',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly late = new Counter({
    name: 'sluice_events_late_total',
    help: "Events that arrived after their window's allowed lateness, by source.",
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'sluice_pipeline_batch_size',
    help: 'Messages per consumed batch (the in-process bus: one; a 4 MiB Kafka fetch holds ten thousand and more). Buckets: app/metric-buckets.ts.',
    buckets: [...BATCH_SIZE_BUCKETS],
    registers: [this.registry],
  });
  readonly insertSeconds = new Histogram({
    name: 'sluice_clickhouse_insert_duration_seconds',
    help: 'ClickHouse insert latency, by table.',
    labelNames: ['table'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly insertRows = new Counter({
    name: 'sluice_clickhouse_inserted_rows_total',
    help: 'Rows inserted into ClickHouse, by table.',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly insertErrors = new Counter({
    name: 'sluice_clickhouse_insert_errors_total',
    help: 'Failed ClickHouse inserts (each is retried).',
    registers: [this.registry],
  });
  readonly commitErrors = new Counter({
    name: 'sluice_consumer_commit_errors_total',
    help: 'Failed offset commits (the range is read again).',
    registers: [this.registry],
  });
  readonly httpSeconds = new Histogram({
    name: 'sluice_http_request_duration_seconds',
    help: 'HTTP request latency, by method, route and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly labelsFolded = new Counter({
    name: 'sluice_metric_labels_folded_total',
    help: 'Label values folded into "_other" (an unknown tenant, or a value past its label\'s set), by label; counted per observation and per scrape.',
    labelNames: ['label'],
    registers: [this.registry],
  });
  readonly refusedPastLimit = new Counter({
    name: 'sluice_cardinality_refused_total',
    help: 'Events dead-lettered because they brought a tenant past its limit of skill groups, agents or extensions, by tenant and kind.',
    labelNames: ['tenant', 'kind'],
    registers: [this.registry],
  });
  readonly authRequests = new Counter({
    name: 'sluice_auth_requests_total',
    help: 'Requests authenticated or refused, by method (key: an API key, token: an OpenID bearer token, open: the demo without a credential), result (ok, refused, unavailable) and reason (ok; missing, unknown_key for keys; the token refusals of adapters/oidc/types.ts).',
    labelNames: ['method', 'result', 'reason'],
    registers: [this.registry],
  });
  readonly ingestRateLimited = new Counter({
    name: 'sluice_ingest_rate_limited_total',
    help: 'POST /v1/events requests refused (429) because their API key sent more events a second than SLUICE_INGEST_EVENTS_PER_SEC, by tenant.',
    labelNames: ['tenant'],
    registers: [this.registry],
  });
  readonly nonCriticalSlowedTotal = new Counter({
    name: 'sluice_non_critical_slowed_total',
    help: "Non-critical work slowed while the control loop's level for the tenant slows it (policy slowNonCritical, L1+ by default), by tenant and work: stream_push (a push sent at the slowed pace), report_queued (a report that waited its turn), report_refused (a report refused, 503).",
    labelNames: ['tenant', 'work'],
    registers: [this.registry],
  });
  /** The bounds every input-driven label goes through. */
  readonly labels: LabelBounds;
  /** Tenant label values whose series of known label sets are at 0 already, and what sets each section's. */
  readonly #presetTenants = new Set<string>();
  readonly #tenantPresets: ((tenant: string) => void)[] = [];
  readonly #loop: IntervalHistogram;
  /** Tenant and skill group label pairs whose wait series exist (set to 0 at their first offered call). */
  readonly #waitSeries = new Set<string>();

  constructor(opts: MetricsOptions = {}) {
    this.labels = new LabelBounds({ ...opts.labels, onFold: (label) => this.labelsFolded.inc({ label }) });
    collectDefaultMetrics({ register: this.registry });
    // prom-client names three gauges `_total`, which Prometheus reserves for counters (promtool check metrics
    // refuses them); each is the sum over `type` of the gauge without the suffix, which stays.
    for (const name of MISNAMED_DEFAULT_METRICS) this.registry.removeSingleMetric(name);
    for (const name of MISLEADING_EVENT_LOOP_METRICS) this.registry.removeSingleMetric(name);
    this.#loop = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
    this.#loop.enable();
    this.registry.registerMetric(eventLoopDelaySummary(this.#loop));
    // Counters of fixed label sets start at 0, so rate() and increase() see their first increment: the configured
    // tenants' now, a tenant first seen later (an unconfigured deployment, `_other`) when it first shows.
    for (const t of opts.labels?.tenants ?? []) this.#presetTenants.add(this.labels.tenant(t));
    for (const source of SOURCES) {
      for (const c of [this.eventsIn, this.eventsOut, this.late, this.duplicates]) c.inc({ source }, 0);
      for (const reason of DEAD_LETTER_CODES) this.deadLettered.inc({ source, reason }, 0);
    }
    for (const label of ['tenant', 'skill_group', 'source', 'reason', 'breaker', 'target', 'sla_level'])
      this.labelsFolded.inc({ label }, 0);
    this.#onTenant((tenant) => {
      this.ingestRateLimited.inc({ tenant }, 0);
      for (const kind of ['skillGroup', 'agent', 'extension']) this.refusedPastLimit.inc({ tenant, kind }, 0);
      for (const work of ['stream_push', 'report_queued', 'report_refused']) this.nonCriticalSlowedTotal.inc({ tenant, work }, 0);
    });
    const build = buildInfo();
    new Gauge({
      name: 'sluice_build_info',
      help: 'Always 1; the labels say which Sluice build this process runs (package version, git commit, Node.js version).',
      labelNames: ['version', 'commit', 'node'],
      registers: [this.registry],
    }).set({ version: build.version, commit: build.commit, node: build.node }, 1);
    this.queueWait = new Histogram({
      name: 'sluice_queue_wait_seconds',
      help: 'Queue wait of calls that left the queue, by tenant, skill group and outcome (answered, abandoned); a bucket sits at the service-level threshold.',
      labelNames: ['tenant', 'skill_group', 'outcome'],
      buckets: waitBuckets(opts.serviceLevelSeconds ?? 20, opts.shortAbandonSeconds ?? 5),
      registers: [this.registry],
    });
  }

  /** Stops sampling the event loop (the process's {@link startSluice} close calls it). */
  close(): void {
    this.#loop.disable();
  }

  /** The tenant label of `tenant` (bounded); the first time a value shows, its counters' known label sets are set to 0. */
  #tenant(tenant: string): string {
    const t = this.labels.tenant(tenant);
    if (!this.#presetTenants.has(t)) {
      this.#presetTenants.add(t);
      for (const preset of this.#tenantPresets) preset(t);
    }
    return t;
  }

  /** Runs `preset` for every tenant label value known now and for each that shows later. */
  #onTenant(preset: (tenant: string) => void): void {
    this.#tenantPresets.push(preset);
    for (const t of this.#presetTenants) preset(t);
  }

  /**
   * Counts the waits of answered and abandoned calls among stored events. A skill group's wait series are set to 0
   * when its first call is offered (seconds before any wait is known), so increase() sees the first wait.
   */
  observeEvents(events: readonly TelemetryEvent[]): void {
    for (const e of events) {
      if (e.source !== 'skillgroup') continue;
      const { type, skillGroup, waitMs } = e.body;
      const answered = type === 'ANSWERED' || type === 'ABANDONED';
      if (!(type === 'OFFERED' || (answered && waitMs !== undefined))) continue;
      const series = { tenant: this.#tenant(e.tenant), skill_group: this.labels.value('skill_group', e.tenant, skillGroup) };
      // zero() resets a series: only a skill group's first event sets them (the label bounds bound the set).
      const key = `${series.tenant}\u0000${series.skill_group}`;
      if (!this.#waitSeries.has(key)) {
        this.#waitSeries.add(key);
        this.queueWait.zero({ ...series, outcome: 'answered' });
        this.queueWait.zero({ ...series, outcome: 'abandoned' });
      }
      if (answered) this.queueWait.observe({ ...series, outcome: type.toLowerCase() }, waitMs! / 1000);
    }
  }

  /** Real-time queue figures (calls waiting, longest wait, agents by state), read at scrape time from `view`. */
  observeRealtime(
    view: { skillGroups(now: number): SkillGroupNow[]; agents?(): readonly Pick<AgentNow, 'tenant' | 'state'>[] },
    now: () => number,
  ): void {
    const r = [this.registry];
    const labels = this.labels;
    // Skill groups folded into one series add up (the longest wait: the longest of them).
    const read = () =>
      view
        .skillGroups(now())
        .map((g) => ({ g, labels: { tenant: labels.tenant(g.tenant), skill_group: labels.value('skill_group', g.tenant, g.skillGroup) } }));
    new Gauge({
      name: 'sluice_queue_calls_waiting',
      help: 'Calls waiting in queue now, by tenant and skill group.',
      labelNames: ['tenant', 'skill_group'],
      registers: r,
      collect() {
        this.reset();
        for (const s of foldSeries(
          read().map((x) => ({ labels: x.labels, value: x.g.callsWaiting })),
          'sum',
        ))
          this.set(s.labels, s.value);
      },
    });
    new Gauge({
      name: 'sluice_queue_longest_wait_seconds',
      help: 'Wait of the longest-waiting call now, by tenant and skill group (0 when none waits).',
      labelNames: ['tenant', 'skill_group'],
      registers: r,
      collect() {
        this.reset();
        for (const s of foldSeries(
          read().map((x) => ({ labels: x.labels, value: x.g.longestWaitMs / 1000 })),
          'max',
        ))
          this.set(s.labels, s.value);
      },
    });
    new Gauge({
      name: 'sluice_queue_agents',
      help: 'Agents serving a skill group now, by tenant, skill group and state; an agent in several skill groups counts in each (totals: sluice_agents).',
      labelNames: ['tenant', 'skill_group', 'state'],
      registers: r,
      collect() {
        this.reset();
        const each = read().flatMap((x) =>
          Object.entries(x.g.agents).map(([state, n]) => ({ labels: { ...x.labels, state }, value: n ?? 0 })),
        );
        for (const s of foldSeries(each, 'sum')) this.set(s.labels, s.value);
      },
    });
    const agents = view.agents?.bind(view);
    if (agents)
      new Gauge({
        name: 'sluice_agents',
        help: "Agents now, by tenant and state, each agent counted once whatever skill groups it serves (this worker's partitions: sum across workers).",
        labelNames: ['tenant', 'state'],
        registers: r,
        collect() {
          this.reset();
          const each = agents().map((a) => ({ labels: { tenant: labels.tenant(a.tenant), state: a.state }, value: 1 }));
          for (const s of foldSeries(each, 'sum')) this.set(s.labels, s.value);
        },
      });
  }

  /** Window state held by the pipeline worker, per source (read at scrape time). */
  observeWindowState(read: () => Record<string, number>): void {
    new Gauge({
      name: 'sluice_window_state_entries',
      help: 'Entries of event-time window state held in memory, by source: event ids remembered for dedup, window accumulators (one per key per open pane), entity timelines, and agent and extension windows (until they are past their lateness).',
      labelNames: ['source'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [source, n] of Object.entries(read())) this.set({ source }, n);
      },
    });
  }

  /** A gauge whose value is read at scrape time. */
  gauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** Adapts the pipeline worker's reports to these metrics. */
  pipelineObserver(): PipelineObserver {
    return {
      eventsIn: (source, n) => this.eventsIn.inc({ source: this.labels.shared('source', source) }, n),
      deadLettered: (source, code) =>
        this.deadLettered.inc({ source: this.labels.shared('source', source), reason: this.labels.shared('reason', code) }),
      late: (source, n) => this.late.inc({ source: this.labels.shared('source', source) }, n),
      duplicates: (source, n) => this.duplicates.inc({ source: this.labels.shared('source', source) }, n),
      batch: (size) => this.batchSize.observe(size),
      insertFailed: () => this.insertErrors.inc(),
      commitFailed: () => this.commitErrors.inc(),
    };
  }

  /** Ticket transitions, SLA warnings, timer lateness and open tickets by state, for the given tenants. */
  observeWorkflow(wf: Pick<Workflow, 'observe' | 'ticketCounts'>, tenants: readonly string[]): void {
    const transitions = new Counter({
      name: 'sluice_workflow_ticket_transitions_total',
      help: 'Tickets entering a state, by tenant and state.',
      labelNames: ['tenant', 'state'],
      registers: [this.registry],
    });
    const warnings = new Counter({
      name: 'sluice_sla_warnings_total',
      help: 'SLA timers fired, by tenant, kind (warning, breach, notify), level and whether delivered.',
      labelNames: ['tenant', 'kind', 'level', 'delivered'],
      registers: [this.registry],
    });
    const lateness = new Histogram({
      name: 'sluice_sla_timer_lateness_seconds',
      help: "How long after its due time an SLA timer fired, every tenant's timers (the timer loop is the platform's). Buckets: app/metric-buckets.ts.",
      buckets: [...TIMER_LATENESS_BUCKETS],
      registers: [this.registry],
    });
    this.#onTenant((tenant) => {
      for (const state of TICKET_STATES) transitions.inc({ tenant, state }, 0);
      for (const delivered of ['true', 'false']) {
        warnings.inc({ tenant, kind: 'warning', level: this.labels.shared('sla_level', '1'), delivered }, 0);
        for (const kind of ['breach', 'notify']) warnings.inc({ tenant, kind, level: this.labels.shared('sla_level', '0'), delivered }, 0);
      }
    });
    const timerErrors = new Counter({
      name: 'sluice_sla_timer_errors_total',
      help: 'Store errors of the SLA timer loop (it carries on).',
      registers: [this.registry],
    });
    const labels = this.labels;
    new Gauge({
      name: 'sluice_workflow_tickets',
      help: 'Tickets by tenant and state (read at scrape time).',
      labelNames: ['tenant', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const tenant of tenants) {
          const counts = await wf.ticketCounts(tenant).catch(() => undefined);
          for (const [state, n] of Object.entries(counts ?? {})) this.set({ tenant: labels.tenant(tenant), state }, n);
        }
      },
    });
    wf.observe({
      ticketState: (c) => transitions.inc({ tenant: this.#tenant(c.tenant), state: c.to }),
      slaFired: (f) => {
        // Warning levels come from tenants' flow definitions.
        warnings.inc({
          tenant: this.#tenant(f.tenant),
          kind: f.kind,
          level: labels.shared('sla_level', String(f.level)),
          delivered: String(f.delivered),
        });
        lateness.observe(f.latenessMs / 1000);
      },
      timerError: () => timerErrors.inc(),
    });
  }

  /**
   * Alert delivery attempts (`sluice_alert_deliveries_total{channel,result}`: seven channels, four results) from a
   * workflow instance's delivery worker.
   */
  observeAlertDeliveries(worker: Pick<DeliveryWorker, 'on'>): void {
    const attempts = new Counter({
      name: 'sluice_alert_deliveries_total',
      help: 'Alert delivery attempts by delivery channel (email, sms, voice, wecom, wecom-robot, webhook, log) and result (sent, retry, failed, undeliverable).',
      labelNames: ['channel', 'result'],
      registers: [this.registry],
    });
    for (const channel of DELIVERY_CHANNELS) for (const result of DELIVERY_RESULTS) attempts.inc({ channel, result }, 0);
    worker.on('attempt', (a) => attempts.inc({ channel: a.channel, result: a.result }));
  }

  /** Centre alerts raised by this control instance (`stored` false: another instance raised it first), by kind. */
  centreAlertCounter(): (kind: string, stored: boolean) => void {
    const raised = new Counter({
      name: 'sluice_centre_alerts_total',
      help: 'Centre alerts (centre-level, centre-breaker, centre-service-level) raised by this instance; stored="false" when another instance raised the same one first.',
      labelNames: ['kind', 'stored'],
      registers: [this.registry],
    });
    for (const kind of ['centre-level', 'centre-breaker', 'centre-service-level'])
      for (const stored of ['true', 'false']) raised.inc({ kind, stored }, 0);
    return (kind, stored) => raised.inc({ kind, stored: String(stored) });
  }

  /**
   * The people directory's assignment keeper (issue 17): `sluice_workflow_unassigned_todos{tenant}`
   * (open todos nobody holds, read at scrape time) and `sluice_workflow_assignment_retries_total{tenant,cause,result}`
   * (cause: change, left, sweep; result: assigned, waiting, failed). Tenants pass the label bounds.
   */
  observeAssignment(wf: Pick<Workflow, 'keeper' | 'unassignedTodos'>, tenants: readonly string[]): void {
    const labels = this.labels;
    new Gauge({
      name: 'sluice_workflow_unassigned_todos',
      help: 'Open todos nobody holds (nobody eligible was found yet), by tenant (read at scrape time).',
      labelNames: ['tenant'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const tenant of tenants) {
          const n = await wf.unassignedTodos(tenant).catch(() => undefined);
          if (n !== undefined) this.set({ tenant: labels.tenant(tenant) }, n);
        }
      },
    });
    const retries = new Counter({
      name: 'sluice_workflow_assignment_retries_total',
      help: 'Assignment retries of waiting todos, by tenant, cause (change, left, sweep) and result (assigned, waiting, failed).',
      labelNames: ['tenant', 'cause', 'result'],
      registers: [this.registry],
    });
    this.#onTenant((tenant) => {
      for (const cause of ['change', 'left', 'sweep'])
        for (const result of ['assigned', 'waiting', 'failed']) retries.inc({ tenant, cause, result }, 0);
    });
    wf.keeper.on('retry', (r) => retries.inc({ tenant: this.#tenant(r.tenant), cause: r.cause, result: r.result }));
  }

  /** Levels, breakers, decisions, admission and route latency of the control loop. */
  observeControl(c: Pick<Control, 'service'>): void {
    const r = [this.registry];
    const decisions = new Counter({
      name: 'sluice_route_decisions_total',
      help: 'Routing decisions by tenant, target and level.',
      labelNames: ['tenant', 'target', 'level'],
      registers: r,
    });
    const decisionSeconds = new Histogram({
      name: 'sluice_route_decision_duration_seconds',
      help: "Server time spent deciding a route (in process, without HTTP), every tenant's decisions. Buckets: app/metric-buckets.ts.",
      buckets: [...ROUTE_DECISION_BUCKETS],
      registers: r,
    });
    const callsRefused = new Counter({
      name: 'sluice_admission_calls_refused_total',
      help: "Calls that got no target at all (answered target \"reject\"), by tenant and reason: admission (a tenant's admission bucket or a target's concurrency limit refused at least one of the call's targets and no other target was left), unavailable (every target the level allows, and the fallbacks, were unavailable: breakers open).",
      labelNames: ['tenant', 'reason'],
      registers: r,
    });
    const attemptsSpilled = new Counter({
      name: 'sluice_admission_attempts_spilled_total',
      help: "Route attempts a target's admission refused, so the call went on to the next target (a call may spill several times; one refused at its last target counts here and in sluice_admission_calls_refused_total), by tenant and refused target: agent (the tenant's admission bucket for agents, or a CTI node's concurrency limit) or a channel's concurrency limit.",
      labelNames: ['tenant', 'target'],
      registers: r,
    });
    const levelChanges = new Counter({
      name: 'sluice_level_changes_total',
      help: 'Degradation level changes, by tenant and new level.',
      labelNames: ['tenant', 'level'],
      registers: r,
    });
    const breakerTransitions = new Counter({
      name: 'sluice_breaker_transitions_total',
      help: 'Circuit breaker state changes, by breaker and new state.',
      labelNames: ['breaker', 'to'],
      registers: r,
      collect() {
        knowBreakers();
      },
    });
    const svc = c.service;
    const labels = this.labels;
    // The tenant and skill group of a route come from the caller (a platform router key may name any tenant).
    const tenant = (t: string) => this.#tenant(t);
    const breaker = (id: string) => labels.shared('breaker', id);
    new Gauge({
      name: 'sluice_level',
      help: 'Current degradation level (0–3) per tenant and skill group ("" = the whole tenant), read at scrape time; scopes folded into "_other" show the highest.',
      labelNames: ['tenant', 'skill_group'],
      registers: r,
      collect() {
        this.reset();
        const each = svc.state().levels.map((l) => ({
          labels: {
            tenant: tenant(l.tenant),
            skill_group: l.skillGroup === undefined ? '' : labels.value('skill_group', l.tenant, l.skillGroup),
          },
          value: Number(l.level),
        }));
        for (const s of foldSeries(each, 'max')) this.set(s.labels, s.value);
      },
    });
    new Gauge({
      name: 'sluice_breaker_state',
      help: 'Circuit breaker state per breaker (0 closed, 1 half-open, 2 open), read at scrape time; breakers folded into "_other" show the worst.',
      labelNames: ['breaker'],
      registers: r,
      collect() {
        this.reset();
        const each = svc.state().breakers.map((b) => ({ labels: { breaker: breaker(b.id) }, value: BREAKER_STATE_VALUE[b.state] ?? -1 }));
        for (const s of foldSeries(each, 'max')) this.set(s.labels, s.value);
      },
    });
    const outcomes = new Counter({
      name: 'sluice_route_outcomes_total',
      help: 'Outcomes reported for routed calls, by tenant, target and result: the outcome kind (connected, failed, timeout, abandoned, not-attempted; control/outcome.ts).',
      labelNames: ['tenant', 'target', 'result'],
      registers: r,
    });
    const targets = [...SAFETY_ORDER, 'reject'] as const;
    this.#onTenant((t) => {
      for (const target of targets) {
        const tg = labels.shared('target', target);
        for (const level of ['0', '1', '2', '3']) decisions.inc({ tenant: t, target: tg, level }, 0);
        if (target === 'reject') continue;
        attemptsSpilled.inc({ tenant: t, target: tg }, 0);
        for (const result of OUTCOME_KINDS) outcomes.inc({ tenant: t, target: tg, result }, 0);
      }
      for (const reason of CALL_REFUSAL_REASONS) callsRefused.inc({ tenant: t, reason }, 0);
      for (const level of ['0', '1', '2', '3']) levelChanges.inc({ tenant: t, level }, 0);
    });
    // Every breaker the service knows has its transitions at 0 from the scrape after it becomes known (start-up,
    // a policy naming a new CTI node), before its first transition as a rule.
    const presetBreakers = new Set<string>();
    const knowBreakers = () => {
      for (const b of svc.state().breakers) {
        const id = breaker(b.id);
        if (presetBreakers.has(id)) continue;
        presetBreakers.add(id);
        for (const to of BREAKER_STATES) breakerTransitions.inc({ breaker: id, to }, 0);
      }
    };
    knowBreakers();
    // Admission refusals of one call come (synchronously, inside route()) before its decision.
    let refusedAttempts = 0;
    svc.on('decision', (d) => {
      const t = tenant(d.tenant);
      decisions.inc({ tenant: t, target: labels.shared('target', d.target), level: String(d.level) });
      decisionSeconds.observe(d.durationNs / 1e9);
      if (d.target === 'reject') callsRefused.inc({ tenant: t, reason: refusedAttempts > 0 ? 'admission' : 'unavailable' });
      refusedAttempts = 0;
    });
    svc.on('admission-rejected', (e) => {
      refusedAttempts += 1;
      attemptsSpilled.inc({
        tenant: tenant(e.tenant),
        target: labels.shared('target', e.kind === 'bucket' ? 'agent' : targetOfKey(e.key)),
      });
    });
    svc.on('level', (e) => {
      levelChanges.inc({ tenant: tenant(e.scope.tenant), level: String(e.to) });
    });
    svc.on('breaker', (t) => {
      knowBreakers();
      breakerTransitions.inc({ breaker: breaker(t.breakerId), to: t.to });
    });
    svc.on('outcome', (o) => outcomes.inc({ tenant: tenant(o.tenant), target: labels.shared('target', o.target), result: o.outcome }));
    // Cumulative counts kept by the service, every label value present from the start (a rate() sees the first one).
    const fromStats = (name: string, help: string, label: string, read: () => Readonly<Record<string, number>>) =>
      new Counter({
        name,
        help,
        labelNames: [label],
        registers: r,
        collect() {
          this.reset();
          for (const [v, n] of Object.entries(read()))
            this.inc({ [label]: v.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/-/g, '_') }, n);
        },
      });
    fromStats(
      'sluice_route_outcome_repeats_total',
      'Outcomes reported again for a decision whose outcome was taken already (answered 204, changing nothing), by result: repeat (the same outcome), conflict (another one: ignored).',
      'result',
      () => {
        const o = svc.stats().outcomes;
        return { repeat: o.repeat, conflict: o.conflict };
      },
    );
    fromStats(
      'sluice_route_unknown_decisions_total',
      "Decisions whose outcome did not come in time, by result: expired (no outcome within SLUICE_CONTROL_OUTCOME_TIMEOUT_MS: the slot is released, the call is not load), timed_out (of those, counted as a time-out of a node that answered none of the tenant's calls while the proxy reported others), presumed_lost (slots released earlier by a full limiter, the outcome presumed lost).",
      'result',
      () => svc.stats().unknown,
    );
    fromStats(
      'sluice_route_refusals_total',
      "Route requests naming an unknown tenant or skill group, by reason: unknown_tenant (422), unknown_skill_group (422), tenant_level (routed at the tenant's level, as the tenant's policy says).",
      'reason',
      () => svc.stats().refusals,
    );
    const limits = new Counter({
      name: 'sluice_control_limit_hits_total',
      help: "Times a control bound bit: 429s of the per-key rate limits (route, outcome, api), pending decisions dropped by a tenant's bound or the total (pending-tenant, pending-total), skill groups refused by a tenant's bound (skill-groups).",
      labelNames: ['limit'],
      registers: r,
    });
    for (const limit of CONTROL_LIMITS) limits.inc({ limit }, 0);
    svc.on('limit', (e) => limits.inc({ limit: e.limit }));
    new Counter({
      name: 'sluice_route_remote_outcomes_total',
      help: "Outcomes of another control instance's decisions, by result: relayed (taken here, handed to the deciding instance), applied (taken here for a decision of this instance reported elsewhere), orphaned (the deciding instance was gone: the evidence counted here), duplicate, refused (forged, tampered, expired or another tenant's id), unavailable (the shared store was down: 503).",
      labelNames: ['result'],
      registers: r,
      collect() {
        // Cumulative counts kept by the service, every result present from the start (a rate() sees the first one).
        this.reset();
        for (const [result, n] of Object.entries(svc.stats().remoteOutcomes)) this.inc({ result }, n);
      },
    });
  }

  /** Counts an ingest request refused by its key's events-per-second limit. */
  ingestRateRefused = (tenant: string): void => {
    this.ingestRateLimited.inc({ tenant: this.#tenant(tenant) });
  };

  /** Counts one authentication (the auth plugin's `onAuth`); every label is from a fixed set. */
  authenticated = (method: 'key' | 'token' | 'open', result: 'ok' | 'refused' | 'unavailable', reason: string): void => {
    this.authRequests.inc({ method, result, reason });
  };

  /** Counts one piece of non-critical work slowed (a platform stream over every tenant counts as tenant `*`). */
  nonCriticalSlowed = (work: 'stream_push' | 'report_queued' | 'report_refused', tenant: string | undefined): void => {
    this.nonCriticalSlowedTotal.inc({ tenant: this.#tenant(tenant ?? '*'), work });
  };

  /** Counts an event refused past a per-tenant limit (the limiter's `onRefused`). */
  cardinalityRefused = (r: Pick<CardinalityRefusal, 'tenant' | 'kind'>): void => {
    this.refusedPastLimit.inc({ tenant: this.#tenant(r.tenant), kind: r.kind });
  };

  /** Names each tenant has in the pipeline worker against its limits, read at scrape time. */
  observeCardinality(limiter: Pick<CardinalityLimiter, 'counts'>): void {
    const labels = this.labels;
    new Gauge({
      name: 'sluice_cardinality_names',
      help: 'Distinct skill groups, agents and extensions this pipeline worker counts per tenant against the limits (idle ones leave), read at scrape time.',
      labelNames: ['tenant', 'kind'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of foldSeries(
          limiter.counts().map((c) => ({ labels: { tenant: labels.tenant(c.tenant), kind: c.kind }, value: c.names })),
          'sum',
        ))
          this.set(s.labels, s.value);
      },
    });
  }

  /** Records one ClickHouse insert. */
  observeInsert = (table: string, rows: number, seconds: number): void => {
    this.insertSeconds.observe({ table }, seconds);
    this.insertRows.inc({ table }, rows);
    const source = SOURCE_OF_TABLE[table];
    if (source) this.eventsOut.inc({ source }, rows);
  };
}

/**
 * `sluice_event_loop_delay_seconds`, a summary read from `monitorEventLoopDelay` at {@link EVENT_LOOP_RESOLUTION_MS}:
 * quantiles 0.5, 0.9, 0.99 and 1 (the most) of the delays sampled since the previous scrape (the samples are then
 * reset), `_count` and `_sum` over the life of the process. Each sample is the time between two runs of a timer due
 * every millisecond, so the resolution is taken off: what is left is how late the loop ran the timer.
 */
function eventLoopDelaySummary(h: IntervalHistogram): Summary {
  const name = 'sluice_event_loop_delay_seconds';
  const res = EVENT_LOOP_RESOLUTION_MS / 1000;
  const delay = (ns: number) => Math.max(0, ns / 1e9 - res);
  let count = 0;
  let sum = 0;
  let last = [Number.NaN, Number.NaN, Number.NaN, Number.NaN];
  const summary = new Summary({
    name,
    help: `Event-loop delay, seconds: how late a timer due every ${EVENT_LOOP_RESOLUTION_MS} ms ran (perf_hooks.monitorEventLoopDelay, its resolution taken off); quantiles over the samples since the previous scrape (1: the most), count and sum since start.`,
    percentiles: [0.5, 0.9, 0.99, 1],
    registers: [],
  });
  const get = summary.get.bind(summary);
  summary.get = async () => {
    const base = await get();
    if (h.count > 0) {
      last = [delay(h.percentile(50)), delay(h.percentile(90)), delay(h.percentile(99)), delay(h.max)];
      count += h.count;
      sum += Math.max(0, (h.mean * h.count) / 1e9 - res * h.count);
      h.reset();
    }
    return {
      ...base,
      values: [
        ...[0.5, 0.9, 0.99, 1].map((quantile, i) => ({ labels: { quantile }, value: last[i]! })),
        { metricName: `${name}_sum`, labels: {}, value: sum },
        { metricName: `${name}_count`, labels: {}, value: count },
      ],
    };
  };
  return summary;
}

/** The target whose concurrency limit `key` (a breaker key: `cti:<node>` or `channel:<channel>`) is. */
function targetOfKey(key: string): string {
  if (key.startsWith('cti:')) return 'agent';
  const channel = key.startsWith('channel:') ? key.slice('channel:'.length) : '';
  return (SAFETY_ORDER as readonly string[]).includes(channel) ? channel : 'agent';
}
