import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SkillGroupNow } from '../pipelines/realtime/state.js';
import type { TelemetryEvent } from '../pipelines/events/types.js';
import { Metrics, waitBuckets } from './metrics.js';

const group = (skillGroup: string, callsWaiting: number, longestWaitMs: number): SkillGroupNow => ({
  tenant: 'acme',
  skillGroup,
  callsWaiting,
  longestWaitMs,
  agents: { AVAILABLE: 2, ON_CALL: 3 },
  currentMinute: null,
  previousMinute: null,
  last5m: null,
  last60m: null,
  updatedAt: 0,
});

const call = (type: 'ANSWERED' | 'ABANDONED' | 'OFFERED', waitMs?: number): TelemetryEvent => ({
  v: 1,
  tenant: 'acme',
  source: 'skillgroup',
  id: `e-${type}-${waitMs}`,
  ts: 0,
  body: { skillGroup: 'sales', callId: 'c', type, ...(waitMs === undefined ? {} : { waitMs }) },
});

describe('Metrics', () => {
  it('says which build runs: sluice_build_info is 1 with the package version, commit and Node.js version', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const text = await new Metrics().registry.metrics();
    const line = text.split('\n').find((l) => l.startsWith('sluice_build_info{'));
    expect(line).toMatch(
      new RegExp(
        `^sluice_build_info\\{version="${pkg.version.replaceAll('.', '\\.')}",commit="([0-9a-f]{12}|unknown)",node="${process.version}"\\} 1$`,
      ),
    );
  });

  it('places wait buckets at the short-abandon and service-level thresholds, sorted and unique', () => {
    expect(waitBuckets(20, 5)).toEqual([1, 2, 3, 5, 7, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 420, 600, 900, 1200, 1800]);
    expect(waitBuckets(25, 3)).toContain(25);
    expect(waitBuckets(25, 3)).toContain(3);
    expect(waitBuckets(30, 5).filter((b) => b === 30)).toHaveLength(1);
  });

  it('counts answered and abandoned waits against the configured service level, ignoring other events', async () => {
    const m = new Metrics({ serviceLevelSeconds: 25, shortAbandonSeconds: 4 });
    m.observeEvents([call('ANSWERED', 24_000), call('ANSWERED', 26_000), call('ABANDONED', 3_000), call('OFFERED'), call('ANSWERED')]);
    const text = await m.registry.getSingleMetricAsString('sluice_queue_wait_seconds');
    expect(text).toContain('sluice_queue_wait_seconds_bucket{le="25",tenant="acme",skill_group="sales",outcome="answered"} 1');
    expect(text).toContain('sluice_queue_wait_seconds_count{tenant="acme",skill_group="sales",outcome="answered"} 2');
    expect(text).toContain('sluice_queue_wait_seconds_bucket{le="4",tenant="acme",skill_group="sales",outcome="abandoned"} 1');
  });

  it('reads real-time queue gauges at scrape time and drops queues that disappeared', async () => {
    const m = new Metrics();
    let groups = [group('sales', 4, 12_500), group('support', 0, 0)];
    m.observeRealtime({ skillGroups: () => groups }, () => 0);
    let text = await m.registry.metrics();
    expect(text).toContain('sluice_queue_calls_waiting{tenant="acme",skill_group="sales"} 4');
    expect(text).toContain('sluice_queue_longest_wait_seconds{tenant="acme",skill_group="sales"} 12.5');
    expect(text).toContain('sluice_queue_agents{tenant="acme",skill_group="support",state="ON_CALL"} 3');
    groups = [group('sales', 1, 1_000)];
    text = await m.registry.metrics();
    expect(text).toContain('sluice_queue_calls_waiting{tenant="acme",skill_group="sales"} 1');
    expect(text).not.toContain('skill_group="support"');
  });

  it('counts rows written to the pipeline tables as events out by source, and other tables not', async () => {
    const m = new Metrics();
    m.observeInsert('skillgroup_minute', 7, 0.01);
    m.observeInsert('agent_window', 3, 0.01);
    m.observeInsert('ticket_events', 5, 0.01);
    const text = await m.registry.getSingleMetricAsString('sluice_events_out_total');
    expect(text).toContain('sluice_events_out_total{source="skillgroup"} 7');
    expect(text).toContain('sluice_events_out_total{source="agent"} 3');
    expect(text).not.toContain('ticket');
  });
});

describe('Metrics of the control loop', () => {
  it('reads levels per scope and breaker states at scrape time, and counts events as they come', async () => {
    const handlers = new Map<string, (e: never) => void>();
    let levels = [
      { tenant: 'acme', skillGroup: 'sales', level: 2 },
      { tenant: 'acme', level: 1 },
    ];
    let breakers = [
      { id: 'cti:primary', state: 'open' },
      { id: 'channel:chat', state: 'half-open' },
    ];
    const remote = { relayed: 0, applied: 0, orphaned: 0, duplicate: 0, refused: 0, unavailable: 0 };
    const outcomes = { connected: 0, failed: 0, timeout: 0, abandoned: 0, 'not-attempted': 0, late: 0, repeat: 0, conflict: 0 };
    const unknown = { expired: 0, timedOut: 0, presumedLost: 0 };
    const refusals = { 'unknown-tenant': 0, 'unknown-skill-group': 0, 'tenant-level': 0 };
    const service = {
      on: (name: string, fn: (e: never) => void) => void handlers.set(name, fn),
      state: () => ({ levels, breakers }),
      stats: () => ({ remoteOutcomes: remote, outcomes, unknown, refusals }),
    };
    const m = new Metrics();
    m.observeControl({ service } as unknown as Parameters<Metrics['observeControl']>[0]);
    let text = await m.registry.metrics();
    expect(text).toContain('sluice_level{tenant="acme",skill_group="sales"} 2');
    expect(text).toContain('sluice_level{tenant="acme",skill_group=""} 1');
    expect(text).toContain('sluice_breaker_state{breaker="cti:primary"} 2');
    expect(text).toContain('sluice_breaker_state{breaker="channel:chat"} 1');
    levels = [{ tenant: 'acme', level: 0 }];
    breakers = [{ id: 'cti:primary', state: 'closed' }];
    (handlers.get('decision') as (d: object) => void)({ tenant: 'acme', target: 'chat', level: 2, durationNs: 500 });
    text = await m.registry.metrics();
    expect(text).toContain('sluice_level{tenant="acme",skill_group=""} 0');
    expect(text).not.toContain('skill_group="sales"');
    expect(text).toContain('sluice_breaker_state{breaker="cti:primary"} 0');
    expect(text).toContain('sluice_route_decisions_total{tenant="acme",target="chat",level="2"} 1');
    (handlers.get('limit') as (e: object) => void)({ limit: 'route', tenant: 'acme' });
    expect(await m.registry.getSingleMetricAsString('sluice_control_limit_hits_total')).toContain(
      'sluice_control_limit_hits_total{limit="route"} 1',
    );
    // Every result is a series from the first scrape (0), then follows the service's cumulative counts.
    expect(await m.registry.getSingleMetricAsString('sluice_route_remote_outcomes_total')).toContain(
      'sluice_route_remote_outcomes_total{result="orphaned"} 0',
    );
    remote.relayed = 3;
    remote.refused = 2;
    text = await m.registry.getSingleMetricAsString('sluice_route_remote_outcomes_total');
    expect(text).toContain('sluice_route_remote_outcomes_total{result="relayed"} 3');
    expect(text).toContain('sluice_route_remote_outcomes_total{result="refused"} 2');
    // Outcomes by kind as they come; repeats, unknown decisions and refusals from the service's counts.
    (handlers.get('outcome') as (e: object) => void)({ tenant: 'x', target: 'agent', outcome: 'timeout', success: false });
    expect(await m.registry.getSingleMetricAsString('sluice_route_outcomes_total')).toContain(
      'sluice_route_outcomes_total{tenant="x",target="agent",result="timeout"} 1',
    );
    outcomes.conflict = 2;
    unknown.timedOut = 4;
    refusals['unknown-skill-group'] = 5;
    text = await m.registry.metrics();
    expect(text).toContain('sluice_route_outcome_repeats_total{result="conflict"} 2');
    expect(text).toContain('sluice_route_outcome_repeats_total{result="repeat"} 0');
    expect(text).toContain('sluice_route_unknown_decisions_total{result="timed_out"} 4');
    expect(text).toContain('sluice_route_unknown_decisions_total{result="presumed_lost"} 0');
    expect(text).toContain('sluice_route_refusals_total{reason="unknown_skill_group"} 5');
    expect(text).toContain('sluice_route_refusals_total{reason="tenant_level"} 0');
  });

  it("leaves out prom-client's _total gauges and keeps the per-type ones", async () => {
    const text = await new Metrics().registry.metrics();
    expect(text).not.toMatch(/^# TYPE nodejs_active_\w+_total /m);
    expect(text).toMatch(/^# TYPE nodejs_active_handles gauge$/m);
  });
});

describe('Metrics under unbounded names', () => {
  const series = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  /** The series that counted something (known label sets are at 0 from the start). */
  const counted = (text: string, name: string) => series(text, name).filter((l) => !l.endsWith(' 0'));

  it("folds skill groups past a tenant's set and unknown tenants into _other, adding up what folds together", async () => {
    const m = new Metrics({ labels: { tenants: ['acme', 'globex'], valuesPerLabel: 10 } });
    const wait = (tenant: string, skillGroup: string): TelemetryEvent => ({
      v: 1,
      tenant,
      source: 'skillgroup',
      id: `${tenant}-${skillGroup}`,
      ts: 0,
      body: { skillGroup, callId: 'c', type: 'ANSWERED', waitMs: 3_000 },
    });
    m.observeEvents(Array.from({ length: 3_000 }, (_, i) => wait('acme', `sg-${i}`)));
    m.observeEvents(Array.from({ length: 500 }, (_, i) => wait(`stranger-${i}`, 'sales')));
    m.observeEvents([wait('globex', 'care')]);
    const groups = [
      ...Array.from({ length: 3_000 }, (_, i) => ({ ...group(`sg-${i}`, 1, i), tenant: 'acme' })),
      ...Array.from({ length: 500 }, (_, i) => ({ ...group('sales', 2, 1_000), tenant: `stranger-${i}` })),
      { ...group('care', 4, 9_000), tenant: 'globex' },
    ];
    m.observeRealtime({ skillGroups: () => groups }, () => 0);
    const text = await m.registry.metrics();
    const waiting = series(text, 'sluice_queue_calls_waiting');
    // acme: its first ten skill groups and _other; strangers: one _other series; globex keeps its own.
    expect(waiting).toHaveLength(10 + 1 + 1 + 1);
    expect(waiting).toContain('sluice_queue_calls_waiting{tenant="acme",skill_group="sg-0"} 1');
    expect(waiting).toContain('sluice_queue_calls_waiting{tenant="acme",skill_group="_other"} 2990');
    expect(waiting).toContain('sluice_queue_calls_waiting{tenant="_other",skill_group="_other"} 1000');
    expect(waiting).toContain('sluice_queue_calls_waiting{tenant="globex",skill_group="care"} 4');
    expect(series(text, 'sluice_queue_longest_wait_seconds')).toContain(
      'sluice_queue_longest_wait_seconds{tenant="acme",skill_group="_other"} 2.999',
    );
    expect(series(text, 'sluice_queue_agents')).toContain('sluice_queue_agents{tenant="acme",skill_group="_other",state="ON_CALL"} 8970');
    expect(counted(text, 'sluice_queue_wait_seconds_count')).toEqual([
      'sluice_queue_wait_seconds_count{tenant="acme",skill_group="sg-0",outcome="answered"} 1',
      ...Array.from(
        { length: 9 },
        (_, i) => `sluice_queue_wait_seconds_count{tenant="acme",skill_group="sg-${i + 1}",outcome="answered"} 1`,
      ),
      'sluice_queue_wait_seconds_count{tenant="acme",skill_group="_other",outcome="answered"} 2990',
      'sluice_queue_wait_seconds_count{tenant="_other",skill_group="_other",outcome="answered"} 500',
      'sluice_queue_wait_seconds_count{tenant="globex",skill_group="care",outcome="answered"} 1',
    ]);
    expect(text).toMatch(/^sluice_metric_labels_folded_total\{label="skill_group"\} \d+$/m);
    // The whole exposition stays small: a few hundred series, not tens of thousands.
    expect(text.split('\n').filter((l) => l && !l.startsWith('#')).length).toBeLessThan(1_000);
  });

  it('keeps the tenant label of routing metrics to known tenants, whatever tenant a platform router key names', async () => {
    const handlers = new Map<string, (e: never) => void>();
    const levels = [
      { tenant: 'acme', skillGroup: 'sales', level: 1 },
      ...Array.from({ length: 300 }, (_, i) => ({ tenant: `t${i}`, skillGroup: `sg${i}`, level: i % 4 })),
    ];
    const breakers = Array.from({ length: 20 }, (_, i) => ({ id: `cti:node-${i}`, state: i === 15 ? 'open' : 'closed' }));
    const service = {
      on: (name: string, fn: (e: never) => void) => void handlers.set(name, fn),
      state: () => ({ levels, breakers }),
      stats: () => ({
        remoteOutcomes: { relayed: 0, applied: 0, orphaned: 0, duplicate: 0, refused: 0, unavailable: 0 },
        outcomes: { repeat: 0, conflict: 0 },
        unknown: { expired: 0, timedOut: 0, presumedLost: 0 },
        refusals: { 'unknown-tenant': 0, 'unknown-skill-group': 0, 'tenant-level': 0 },
      }),
    };
    const m = new Metrics({ labels: { tenants: ['acme'], valuesPerLabel: 10 } });
    m.observeControl({ service } as unknown as Parameters<Metrics['observeControl']>[0]);
    const decide = handlers.get('decision') as (d: object) => void;
    for (let i = 0; i < 1_000; i++) decide({ tenant: `made-up-${i}`, target: 'agent', level: 0, durationNs: 500 });
    decide({ tenant: 'acme', target: 'chat', level: 2, durationNs: 500 });
    (handlers.get('admission-rejected') as (e: object) => void)({ tenant: 'made-up-1', kind: 'bucket', key: 'made-up-1|L0' });
    const text = await m.registry.metrics();
    expect(counted(text, 'sluice_route_decisions_total')).toEqual([
      'sluice_route_decisions_total{tenant="acme",target="chat",level="2"} 1',
      'sluice_route_decisions_total{tenant="_other",target="agent",level="0"} 1000',
    ]);
    expect(counted(text, 'sluice_admission_attempts_spilled_total')).toEqual([
      'sluice_admission_attempts_spilled_total{tenant="_other",target="agent"} 1',
    ]);
    // Made-up tenants add one tenant value (_other) to the preset series, never one each.
    expect(new Set(series(text, 'sluice_route_decisions_total').map((l) => /tenant="([^"]*)"/.exec(l)?.[1]))).toEqual(
      new Set(['acme', '_other']),
    );
    expect(series(text, 'sluice_level')).toEqual([
      'sluice_level{tenant="acme",skill_group="sales"} 1',
      'sluice_level{tenant="_other",skill_group="_other"} 3',
    ]);
    // Ten breakers keep their names; the rest show as one, at the worst state among them.
    expect(series(text, 'sluice_breaker_state')).toHaveLength(11);
    expect(series(text, 'sluice_breaker_state')).toContain('sluice_breaker_state{breaker="_other"} 2');
  });

  it('counts names per tenant from the limiter at scrape time and refusals by tenant and kind', async () => {
    const m = new Metrics({ labels: { tenants: ['acme'] } });
    m.observeCardinality({
      counts: () => [
        { tenant: 'acme', kind: 'skillGroup', names: 1_000 },
        { tenant: 'x', kind: 'agent', names: 4 },
        { tenant: 'y', kind: 'agent', names: 5 },
      ],
    });
    m.cardinalityRefused({ tenant: 'acme', kind: 'skillGroup' });
    const text = await m.registry.metrics();
    expect(series(text, 'sluice_cardinality_names')).toEqual([
      'sluice_cardinality_names{tenant="acme",kind="skillGroup"} 1000',
      'sluice_cardinality_names{tenant="_other",kind="agent"} 9',
    ]);
    expect(counted(text, 'sluice_cardinality_refused_total')).toEqual([
      'sluice_cardinality_refused_total{tenant="acme",kind="skillGroup"} 1',
    ]);
  });
});

describe('Metrics that tell the truth (issue 20)', () => {
  const line = (text: string, prefix: string) => text.split('\n').find((l) => l.startsWith(prefix));
  const fakeControl = (breakers: { id: string; state: string }[]) => {
    const handlers = new Map<string, (e: never) => void>();
    const service = {
      on: (name: string, fn: (e: never) => void) => void handlers.set(name, fn),
      state: () => ({ levels: [], breakers }),
      stats: () => ({
        remoteOutcomes: { relayed: 0 },
        outcomes: { repeat: 0, conflict: 0 },
        unknown: { expired: 0 },
        refusals: { 'unknown-tenant': 0 },
      }),
    };
    const emit = (name: string, e: object) => (handlers.get(name) as (e: object) => void)(e);
    return { service: service as unknown as Parameters<Metrics['observeControl']>[0]['service'], emit };
  };

  it("sets the known label sets of counters to 0 at start-up, and a breaker's when it becomes known", async () => {
    const m = new Metrics({ labels: { tenants: ['acme'] } });
    const breakers = [{ id: 'cti:primary', state: 'closed' }];
    const c = fakeControl(breakers);
    m.observeControl({ service: c.service });
    let text = await m.registry.metrics();
    for (const zero of [
      'sluice_route_decisions_total{tenant="acme",target="callback",level="3"} 0',
      'sluice_admission_calls_refused_total{tenant="acme",reason="admission"} 0',
      'sluice_admission_attempts_spilled_total{tenant="acme",target="chat"} 0',
      'sluice_level_changes_total{tenant="acme",level="2"} 0',
      'sluice_route_outcomes_total{tenant="acme",target="agent",result="failed"} 0',
      'sluice_breaker_transitions_total{breaker="cti:primary",to="open"} 0',
      'sluice_control_limit_hits_total{limit="pending-tenant"} 0',
      'sluice_events_dead_lettered_total{source="skillgroup",reason="schema"} 0',
      'sluice_events_late_total{source="agent"} 0',
      'sluice_ingest_rate_limited_total{tenant="acme"} 0',
    ])
      expect(text, zero).toContain(zero);
    // A CTI node a policy reload adds: its transitions are at 0 from the next scrape, and count from there.
    breakers.push({ id: 'cti:backup', state: 'closed' });
    text = await m.registry.metrics();
    expect(text).toContain('sluice_breaker_transitions_total{breaker="cti:backup",to="half-open"} 0');
    c.emit('breaker', { breakerId: 'cti:backup', to: 'open' });
    expect(await m.registry.getSingleMetricAsString('sluice_breaker_transitions_total')).toContain(
      'sluice_breaker_transitions_total{breaker="cti:backup",to="open"} 1',
    );
  });

  it("sets a tenant's series to 0 the first time it shows when tenants are not configured", async () => {
    const m = new Metrics();
    m.observeControl({ service: fakeControl([]).service });
    expect(await m.registry.metrics()).not.toContain('tenant="acme"');
    m.ingestRateRefused('acme');
    const text = await m.registry.metrics();
    expect(text).toContain('sluice_ingest_rate_limited_total{tenant="acme"} 1');
    expect(text).toContain('sluice_route_decisions_total{tenant="acme",target="agent",level="0"} 0');
  });

  it('counts refused calls apart from spilled attempts: a spill that found a target is no refused call', async () => {
    const m = new Metrics({ labels: { tenants: ['acme'] } });
    const c = fakeControl([]);
    m.observeControl({ service: c.service });
    const decision = (target: string) => ({ tenant: 'acme', target, level: 1, durationNs: 20_000 });
    // The primary CTI's limit is full: the call spills to chat, which takes it.
    c.emit('admission-rejected', { tenant: 'acme', level: 1, kind: 'limiter', key: 'cti:a' });
    c.emit('decision', decision('chat'));
    // The bucket refuses agents, chat's limit refuses too: nothing is left.
    c.emit('admission-rejected', { tenant: 'acme', level: 1, kind: 'bucket', key: 'acme|L1' });
    c.emit('admission-rejected', { tenant: 'acme', level: 1, kind: 'limiter', key: 'channel:chat' });
    c.emit('decision', decision('reject'));
    // Every channel's breaker open, no admission involved.
    c.emit('decision', decision('reject'));
    const text = await m.registry.metrics();
    expect(line(text, 'sluice_admission_attempts_spilled_total{tenant="acme",target="agent"}')).toMatch(/ 2$/);
    expect(line(text, 'sluice_admission_attempts_spilled_total{tenant="acme",target="chat"}')).toMatch(/ 1$/);
    expect(line(text, 'sluice_admission_calls_refused_total{tenant="acme",reason="admission"}')).toMatch(/ 1$/);
    expect(line(text, 'sluice_admission_calls_refused_total{tenant="acme",reason="unavailable"}')).toMatch(/ 1$/);
    expect(text).not.toContain('sluice_admission_rejections_total');
  });

  it("sets a skill group's wait series to 0 at its first offered call, and never resets them", async () => {
    const m = new Metrics();
    m.observeEvents([call('OFFERED')]);
    let text = await m.registry.getSingleMetricAsString('sluice_queue_wait_seconds');
    expect(text).toContain('sluice_queue_wait_seconds_count{tenant="acme",skill_group="sales",outcome="answered"} 0');
    expect(text).toContain('sluice_queue_wait_seconds_count{tenant="acme",skill_group="sales",outcome="abandoned"} 0');
    m.observeEvents([call('ANSWERED', 3_000)]);
    m.observeEvents([call('OFFERED')]);
    text = await m.registry.getSingleMetricAsString('sluice_queue_wait_seconds');
    expect(text).toContain('sluice_queue_wait_seconds_count{tenant="acme",skill_group="sales",outcome="answered"} 1');
  });

  it('counts each agent once per tenant in sluice_agents, however many skill groups it serves', async () => {
    const m = new Metrics();
    const agents = [
      { tenant: 'acme', state: 'AVAILABLE', skillGroups: ['sales', 'support'] },
      { tenant: 'acme', state: 'AVAILABLE', skillGroups: ['sales'] },
      { tenant: 'acme', state: 'ON_CALL', skillGroups: ['sales', 'support'] },
    ];
    m.observeRealtime({ skillGroups: () => [], agents: () => agents as never }, () => 0);
    const text = await m.registry.getSingleMetricAsString('sluice_agents');
    expect(text).toContain('sluice_agents{tenant="acme",state="AVAILABLE"} 2');
    expect(text).toContain('sluice_agents{tenant="acme",state="ON_CALL"} 1');
  });

  it("reads event-loop delay with its 1 ms sampling resolution taken off, instead of prom-client's 10 ms gauges", async () => {
    const m = new Metrics();
    try {
      await new Promise((r) => setTimeout(r, 20));
      const blockedUntil = performance.now() + 60;
      while (performance.now() < blockedUntil);
      await new Promise((r) => setTimeout(r, 5));
      const text = await m.registry.metrics();
      expect(text).toMatch(/^# TYPE sluice_event_loop_delay_seconds summary$/m);
      for (const name of ['nodejs_eventloop_lag_p99_seconds', 'nodejs_eventloop_lag_min_seconds']) expect(text).not.toContain(name);
      const q = (quantile: string) => Number(line(text, `sluice_event_loop_delay_seconds{quantile="${quantile}"}`)?.split(' ')[1]);
      // The 60 ms block is the most; the median sample (a timer that ran on time) is far below prom-client's 10 ms floor.
      expect(q('1')).toBeGreaterThanOrEqual(0.055);
      expect(q('0.5')).toBeLessThan(q('1'));
      expect(q('0.5')).toBeGreaterThanOrEqual(0);
      expect(Number(line(text, 'sluice_event_loop_delay_seconds_count')?.split(' ')[1])).toBeGreaterThan(0);
    } finally {
      m.close();
    }
  });

  it('counts ticket transitions and SLA warnings by tenant, from 0 for the configured tenants', async () => {
    const m = new Metrics({ labels: { tenants: ['acme'] } });
    let observer: Parameters<Parameters<Metrics['observeWorkflow']>[0]['observe']>[0] = {};
    m.observeWorkflow({ observe: (o: typeof observer) => void (observer = o), ticketCounts: async () => ({}) } as never, ['acme']);
    let text = await m.registry.metrics();
    expect(text).toContain('sluice_workflow_ticket_transitions_total{tenant="acme",state="closed"} 0');
    expect(text).toContain('sluice_sla_warnings_total{tenant="acme",kind="breach",level="0",delivered="true"} 0');
    observer.ticketState?.({ tenant: 'acme', flowId: 'f', to: 'closed' });
    observer.slaFired?.({
      tenant: 'acme',
      flowId: 'f',
      kind: 'breach',
      level: 0,
      channel: 'log',
      delivered: true,
      late: false,
      latenessMs: 0,
    });
    text = await m.registry.metrics();
    expect(text).toContain('sluice_workflow_ticket_transitions_total{tenant="acme",state="closed"} 1');
    expect(text).toContain('sluice_sla_warnings_total{tenant="acme",kind="breach",level="0",delivered="true"} 1');
    // On time reads 0: a bucket bound at 0.
    expect(text).toContain('sluice_sla_timer_lateness_seconds_bucket{le="0"} 1');
  });
});
