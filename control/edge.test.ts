/**
 * Issue 18, control side: what a real edge gives and loses, in virtual time. A proxy (`testing/edge-proxy.ts`)
 * sends 50 calls/s for one skill group to a tenant with a primary CTI node `a` and a backup `b`, with the
 * production thresholds (L1 at 0.5, L2 at 0.7, L3 at 0.85), and reports outcomes the way Kamailio does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runFor } from '../adapters/clock.js';
import { calm, harness } from './testing/harness.js';
import type { Harness } from './testing/harness.js';
import { runEdge } from './testing/edge-proxy.js';
import type { Phase } from './testing/edge-proxy.js';
import { seededRandom } from './types.js';
import type { ControlEvents } from './service-types.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.svc.stop();
  h = undefined;
});

async function started(over: Parameters<typeof harness>[0] = {}): Promise<Harness> {
  h = harness({ levels: { defaults: { thresholds: [0.5, 0.7, 0.85], holdMs: 5_000, holdMaxMs: 40_000 } }, ...over });
  h.view.set([calm('acme', 'care', h.clock.now())]);
  await h.svc.start();
  return h;
}

const call = (i: number) => ({ tenant: 'acme', callId: `c${i}`, skillGroup: 'care', priority: 'normal' as const });
const own = (x: Harness, key: string) => x.svc.state('acme').tenantBreakers.find((b) => b.target === key)!;
const inflight = (x: Harness, key: string) =>
  x.svc.state('acme').admission.limits.find((l) => l.tenant === 'acme' && l.key === key)?.inflight ?? 0;

describe('outcome kinds', () => {
  it('connected is a success, failed and timeout failures, abandoned and not-attempted neutral; only connected and failed feed latency', async () => {
    const x = await started({ ctiNodes: { primary: 'a' } });
    const kinds = [
      { outcome: 'connected', latencyMs: 120 },
      { outcome: 'failed', latencyMs: 30 },
      { outcome: 'timeout', latencyMs: 5_000 },
      { outcome: 'abandoned' },
      { outcome: 'not-attempted' },
    ] as const;
    for (const [i, o] of kinds.entries()) {
      const d = x.svc.route(call(i));
      expect(inflight(x, 'cti:a')).toBe(1);
      expect(x.svc.record(d.decisionId, o)).toBe('taken');
      expect(inflight(x, 'cti:a')).toBe(0);
    }
    expect(own(x, 'cti:a')).toMatchObject({ calls: 3, errors: 2 });
    // The time-out's 5 s is not a latency of the node: the signal sees 120 ms at most (its histogram bucket).
    await runFor(x.clock, 1_000);
    const sig = x.svc.state('acme').signals.find((s) => s.skillGroup === undefined)!.signals;
    expect(sig.ctiLatencyMs).toBeGreaterThanOrEqual(120);
    expect(sig.ctiLatencyMs).toBeLessThan(300);
    expect(x.svc.stats().outcomes).toMatchObject({ connected: 1, failed: 1, timeout: 1, abandoned: 1, 'not-attempted': 1 });
  });

  it('releases the slot of a decision whose outcome never comes after the outcome time-out, counts it unknown, and takes a late outcome', async () => {
    const x = await started({
      ctiNodes: { primary: 'a' },
      outcomeTimeoutMs: 3_000,
      limiter: { initialLimit: 4, minLimit: 4, maxLimit: 4 },
    });
    const unknown: ControlEvents['unknown'][] = [];
    x.svc.on('unknown', (e) => unknown.push(e));
    const held = [0, 1, 2, 3].map((i) => x.svc.route(call(i)));
    expect(held.every((d) => d.ctiNode === 'a')).toBe(true);
    expect(x.svc.route(call(9)).target).not.toBe('agent'); // four slots held
    await runFor(x.clock, 4_000);
    expect(inflight(x, 'cti:a')).toBe(0);
    // Call 9 went to the smart IVR and holds that channel's slot: five decisions became unknown.
    expect(x.svc.stats().unknown).toEqual({ expired: 5, timedOut: 0, presumedLost: 0 });
    expect(x.svc.stats().decisions.pending).toBe(0);
    // Nobody reported anything: the silence says nothing about the node, its breaker heard nothing.
    expect(unknown.map((e) => `${e.breakerKey}:${e.timedOut}`)).toEqual([...Array(4).fill('cti:a:false'), 'channel:smart_ivr:false']);
    expect(own(x, 'cti:a')).toMatchObject({ state: 'closed', calls: 0 });
    expect(x.svc.route(call(10)).ctiNode).toBe('a');
    // A late outcome is still taken (the breaker hears it), once.
    expect(x.svc.record(held[0]!.decisionId, { outcome: 'connected', latencyMs: 50 })).toBe('late');
    expect(x.svc.record(held[0]!.decisionId, { outcome: 'connected', latencyMs: 50 })).toBe('repeat');
    expect(own(x, 'cti:a')).toMatchObject({ calls: 1, errors: 0 });
    expect(inflight(x, 'cti:a')).toBe(1); // call 10's slot only
    // Past the decision's lifetime (60 s) it is unknown.
    await runFor(x.clock, 60_000);
    expect(x.svc.record(held[1]!.decisionId, { outcome: 'connected', latencyMs: 50 })).toBe('unknown');
  });
});

describe('a node that stops answering, and a proxy that loses outcomes', () => {
  const phases = (over: Partial<Record<string, Partial<Phase>>> = {}): Phase[] =>
    (
      [
        { name: 'healthy', ms: 20_000 },
        { name: 'primary 503', ms: 20_000, nodes: { a: 'refuses' } },
        { name: 'primary back', ms: 30_000 },
        { name: 'primary stopped', ms: 30_000, nodes: { a: 'silent' } },
        // A recovery phase outlasts the breaker's last trial and the level's hold, which doubles on a re-escalation
        // within a hold (5 s, 10 s, 20 s in this harness): the later faults leave longer holds behind them.
        { name: 'primary back again', ms: 50_000 },
        { name: 'outcomes dropped by the proxy', ms: 30_000, reporting: { lose: 1 } },
        { name: 'primary stopped, proxy silent about it', ms: 30_000, nodes: { a: 'silent' }, reporting: { timeouts: false } },
        { name: 'recovered', ms: 60_000 },
      ] as Phase[]
    ).map((p) => ({ ...p, ...over[p.name] }));

  it('trips on 503s and on time-outs while the limiter throttles, keeps every call on an agent node at L1 or below, recovers to the primary; lost outcomes cause no trip and no reject', async () => {
    // Open at most 20 s (production: 2 min after repeated trips), so each phase sees its recovery.
    const x = await started({ breakers: () => ({ openMaxMs: 20_000 }) });
    const opened: string[] = [];
    x.svc.on('tenant-breaker', (t) => {
      if (t.to === 'open') opened.push(`${t.breakerId}: ${t.reason}`);
    });
    const r = await runEdge(
      { svc: x.svc, clock: x.clock, view: x.view, tenant: 'acme', skillGroup: 'care', random: seededRandom(18) },
      phases(),
    );
    const by = Object.fromEntries(r.map((p) => [p.name, p]));
    for (const p of r) {
      // Every call went to an agent node (the backup is healthy throughout), never to an IVR or a reject.
      expect(
        Object.keys(p.targets).every((t) => t.startsWith('agent:')),
        `${p.name}: ${JSON.stringify(p.targets)}`,
      ).toBe(true);
      expect(p.maxLevel, p.name).toBeLessThanOrEqual(1);
    }
    expect(by.healthy!.tailShare['agent:a']).toBe(1);
    expect(by['primary 503']!.tailShare['agent:b']).toBeGreaterThan(0.9);
    expect(by['primary stopped']!.tailShare['agent:b']).toBeGreaterThan(0.9);
    expect(by['primary stopped, proxy silent about it']!.tailShare['agent:b']).toBeGreaterThan(0.9);
    // The breaker opened for each of the three faults, and for nothing else.
    expect(opened.filter((o) => o.startsWith('cti:a@acme')).length).toBeGreaterThanOrEqual(3);
    expect(
      opened.every((o) => o.startsWith('cti:a@acme')),
      opened.join('\n'),
    ).toBe(true);
    // Back on the primary within the phase, and the level back at L0.
    for (const name of ['primary back', 'primary back again', 'recovered']) {
      expect(by[name]!.tailShare['agent:a'], name).toBeGreaterThan(0.95);
      expect(by[name]!.lastLevel, name).toBe(0);
    }
    // Outcomes dropped for 30 s: calls stay on the primary (but one in 20, the canaries, on the backup), nothing jams.
    expect(by['outcomes dropped by the proxy']!.tailShare['agent:a']).toBeGreaterThanOrEqual(0.94);
    expect(x.svc.stats().unknown.expired).toBeGreaterThan(1_000);
  }, 120_000);

  it('outcomes lost while calls spill to the backup, then reporting resumes with every call on the primary: the backup, sent nothing since, is not taken for silent', async () => {
    const x = await started();
    const opened: string[] = [];
    x.svc.on('tenant-breaker', (t) => {
      if (t.to === 'open') opened.push(`${t.breakerId}: ${t.reason}`);
    });
    const unknown: string[] = [];
    x.svc.on('unknown', (e) => unknown.push(`${e.breakerKey}:${e.timedOut}`));
    const r = await runEdge(
      { svc: x.svc, clock: x.clock, view: x.view, tenant: 'acme', skillGroup: 'care', rate: 40, random: seededRandom(1) },
      [
        { name: 'healthy', ms: 12_000 },
        { name: 'outcomes lost', ms: 12_000, reporting: { lose: 1 } },
        { name: 'reporting again', ms: 24_000 },
      ],
    );
    // While the proxy lost everything, the canaries went to the backup; once it reports again, nothing does.
    expect(r[1]!.targets['agent:b'] ?? 0).toBeGreaterThan(10);
    expect(r[2]!.targets).toEqual({ 'agent:a': r[2]!.agentCalls });
    // The backup's unanswered calls of the lost period expired in the next one, while the primary's reports came
    // back: those reports are of calls decided after the backup's last call, so they say nothing about it.
    expect(unknown.filter((u) => u === 'cti:b:false').length).toBeGreaterThanOrEqual(r[1]!.targets['agent:b']!);
    expect(unknown.filter((u) => u.endsWith(':true'))).toEqual([]);
    expect(x.svc.stats().unknown.timedOut).toBe(0);
    expect(opened).toEqual([]);
    expect(own(x, 'cti:b')).toMatchObject({ state: 'closed', errors: 0 });
    expect(own(x, 'cti:a')).toMatchObject({ state: 'closed', errors: 0 });
  }, 60_000);

  it('in the order of the SIP test (healthy, 503, stopped, outcomes dropped, back): no trip while outcomes are dropped, back on the primary after', async () => {
    const x = await started({ breakers: () => ({ openMaxMs: 20_000 }) });
    const opens: number[] = [];
    x.svc.on('tenant-breaker', (t) => {
      if (t.to === 'open' && t.from === 'closed') opens.push(x.clock.now());
    });
    const t0 = x.clock.now();
    const r = await runEdge(
      { svc: x.svc, clock: x.clock, view: x.view, tenant: 'acme', skillGroup: 'care', random: seededRandom(7), rate: 80 },
      [
        { name: 'healthy', ms: 20_000 },
        { name: 'primary 503', ms: 20_000, nodes: { a: 'refuses' } },
        { name: 'primary stopped', ms: 30_000, nodes: { a: 'silent' } },
        { name: 'outcomes dropped', ms: 30_000, reporting: { lose: 1 } },
        // Long enough for the level's hold, doubled by the repeated escalations, to run out (harness: 5 s up to 40 s).
        { name: 'primary back, some outcomes lost or sent twice', ms: 90_000, reporting: { lose: 0.05, duplicate: 0.05 } },
      ],
    );
    for (const p of r)
      expect(
        Object.keys(p.targets).every((t) => t.startsWith('agent:')),
        `${p.name}: ${JSON.stringify(p.targets)}`,
      ).toBe(true);
    // Trips from closed: in the 503 phase (then the stopped node fails its probes: no recovery between), none later.
    const phaseOf = (at: number) => (at - t0 < 20_000 ? 0 : at - t0 < 40_000 ? 1 : at - t0 < 70_000 ? 2 : at - t0 < 100_000 ? 3 : 4);
    expect(opens.map(phaseOf).filter((p) => p !== 2)).toEqual([1]);
    expect(r[2]!.tailShare['agent:b']).toBeGreaterThan(0.9);
    expect(r[4]!.tailShare['agent:a']).toBeGreaterThan(0.95);
    expect(r[4]!.lastLevel).toBe(0);
  }, 120_000);
});
