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
  it('places wait buckets at the short-abandon and service-level thresholds, sorted and unique', () => {
    expect(waitBuckets(20, 5)).toEqual([1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600]);
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
    let levels = [{ tenant: 'acme', skillGroup: 'sales', level: 2 }, { tenant: 'acme', level: 1 }];
    let breakers = [{ id: 'cti:primary', state: 'open' }, { id: 'channel:chat', state: 'half-open' }];
    const service = {
      on: (name: string, fn: (e: never) => void) => void handlers.set(name, fn),
      state: () => ({ levels, breakers }),
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
    expect(await m.registry.getSingleMetricAsString('sluice_control_limit_hits_total')).toContain('sluice_control_limit_hits_total{limit="route"} 1');
  });

  it('leaves out prom-client\'s _total gauges and keeps the per-type ones', async () => {
    const text = await new Metrics().registry.metrics();
    expect(text).not.toMatch(/^# TYPE nodejs_active_\w+_total /m);
    expect(text).toMatch(/^# TYPE nodejs_active_handles gauge$/m);
  });
});
