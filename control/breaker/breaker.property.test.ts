import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '../../adapters/clock.js';
import { CircuitBreaker } from './breaker.js';
import type { Permit } from './breaker.js';
import type { BreakerConfig } from './config.js';
import { LEGAL_TRANSITIONS } from './machine.js';
import { InMemoryProbeBudget } from './probe-budget.js';
import type { ProbeBudget } from './probe-budget.js';

const config: Partial<BreakerConfig> = {
  jitter: 0.3,
  openBaseMs: 1_000,
  openMaxMs: 16_000,
  minCalls: 5,
  errorCount: 3,
  probes: 4,
  probeSuccesses: 3,
  halfOpenMaxMs: 8_000,
  slowCallMs: 400,
};

type Op =
  | { op: 'acquire'; who: number }
  | { op: 'success' | 'failure'; pick: number; latency: number }
  | { op: 'advance'; ms: number }
  | { op: 'force'; mode: 'open' | 'closed'; ms: number }
  | { op: 'clear' }
  | { op: 'restore' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('acquire' as const), who: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('failure' as const), pick: fc.nat(), latency: fc.integer({ min: 0, max: 1_000 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('success' as const), pick: fc.nat(), latency: fc.integer({ min: 0, max: 1_000 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 20_000 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('force' as const),
      mode: fc.constantFrom('open' as const, 'closed' as const),
      ms: fc.integer({ min: 1, max: 30_000 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'restore' as const }) },
);

/** Runs ops against two instances of one breaker sharing a clock and a probe budget (a two-node fleet). */
function runFleet(ops: Op[], seed: number, budget?: ProbeBudget): void {
  const clock = new ManualClock(0);
  const shared = budget ?? new InMemoryProbeBudget(clock);
  let r = seed;
  const random = (): number => ((r = (r * 48271) % 2147483647) / 2147483647) % 1;
  const probesPerTrial = new Map<string, number>();
  const pool: { node: number; permit: Permit }[] = [];
  const make = (json?: unknown): CircuitBreaker => {
    const options = { id: 'cti:a', clock, config, random, probeBudget: shared };
    const b = json === undefined ? new CircuitBreaker(options) : CircuitBreaker.restore(json, options);
    b.on('transition', (e) => expect(LEGAL_TRANSITIONS[e.from]).toContain(e.to));
    return b;
  };
  const nodes = [make(), make()];
  for (const o of ops) {
    switch (o.op) {
      case 'acquire': {
        const b = nodes[o.who]!;
        const before = b.state;
        const trial = b.machineState;
        const permit = b.tryAcquire();
        if (before === 'open' || before === 'forced-open') expect(permit).toBeNull();
        if (permit === null) break;
        expect(['closed', 'forced-closed', 'half-open']).toContain(b.state);
        if (permit.probe) {
          expect(trial.name).toBe('half-open');
          const key = trial.name === 'half-open' ? String(trial.trial) : '';
          const n = (probesPerTrial.get(key) ?? 0) + 1;
          probesPerTrial.set(key, n);
          expect(n).toBeLessThanOrEqual(config.probes!);
        }
        pool.push({ node: o.who, permit });
        break;
      }
      case 'success':
      case 'failure': {
        if (pool.length === 0) break;
        const [held] = pool.splice(o.pick % pool.length, 1);
        const b = nodes[held!.node]!;
        if (o.op === 'success') b.onSuccess(o.latency, held!.permit);
        else b.onFailure(o.latency, held!.permit);
        break;
      }
      case 'advance':
        clock.advance(o.ms);
        break;
      case 'force':
        // an operator action reaches every node at once, so both share the next trial (and its budget)
        for (const b of nodes) {
          if (o.mode === 'open') b.forceOpen(o.ms);
          else b.forceClose(o.ms);
        }
        break;
      case 'clear':
        nodes[0]!.clearForce();
        break;
      case 'restore': {
        const json = JSON.parse(JSON.stringify(nodes[1]));
        nodes[1]!.dispose();
        nodes[1] = make(json);
        break;
      }
    }
  }
  nodes.forEach((b) => {
    b.dispose();
  });
}

describe('CircuitBreaker properties', () => {
  it('makes only legal transitions, passes no call while open and never admits more probes per trial than the budget, fleet-wide', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 30, maxLength: 250, size: 'max' }), fc.integer({ min: 1, max: 2 ** 30 }), (ops, seed) =>
        runFleet(ops, seed),
      ),
      { numRuns: 300 },
    );
  });

  it('keeps those laws when the budget answers asynchronously', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(opArb, fc.constant({ op: 'advance' as const, ms: 0 })), { minLength: 30, maxLength: 200, size: 'max' }),
        async (ops) => {
          const clock = new ManualClock(0);
          const inner = new InMemoryProbeBudget(clock);
          const admitted = new Map<string, number>();
          const asyncBudget: ProbeBudget = {
            tryAcquire: async (id, trial, limit, ttl) => {
              await Promise.resolve();
              return inner.tryAcquire(id, trial, limit, ttl);
            },
          };
          const b = new CircuitBreaker({ id: 'chat', clock, config, probeBudget: asyncBudget, random: () => 0.5 });
          const held: Permit[] = [];
          for (const o of ops) {
            if (o.op === 'acquire') {
              const s = b.machineState;
              const p = b.tryAcquire();
              if (p?.probe && s.name === 'half-open') {
                const n = (admitted.get(String(s.trial)) ?? 0) + 1;
                admitted.set(String(s.trial), n);
                expect(n).toBeLessThanOrEqual(config.probes!);
              }
              if (p) held.push(p);
            } else if ((o.op === 'success' || o.op === 'failure') && held.length > 0) {
              const [p] = held.splice(o.pick % held.length, 1);
              if (o.op === 'success') b.onSuccess(o.latency, p!);
              else b.onFailure(o.latency, p!);
            } else if (o.op === 'advance') {
              clock.advance(o.ms);
            }
            await Promise.resolve();
            await Promise.resolve();
          }
          b.dispose();
        },
      ),
      { numRuns: 100 },
    );
  });

  it('with an asynchronous budget, the call after the grant gets the probe slot', async () => {
    const clock = new ManualClock(0);
    const inner = new InMemoryProbeBudget(clock);
    const b = new CircuitBreaker({
      id: 'chat',
      clock,
      config,
      probeBudget: { tryAcquire: (...a) => Promise.resolve(inner.tryAcquire(...a)) },
    });
    for (let i = 0; i < 3; i++) b.onFailure(1, b.tryAcquire()!);
    clock.advance(16_000);
    expect(b.tryAcquire()).toBeNull();
    await Promise.resolve();
    expect(b.tryAcquire()?.probe).toBe(true);
    b.dispose();
  });

  it('falls back to a local budget when the shared one fails, so recovery does not stall', () => {
    const clock = new ManualClock(0);
    const b = new CircuitBreaker({
      id: 'chat',
      clock,
      config,
      probeBudget: {
        tryAcquire: () => {
          throw new Error('redis down');
        },
      },
    });
    for (let i = 0; i < 3; i++) b.onFailure(1, b.tryAcquire()!);
    clock.advance(16_000);
    const probes = Array.from({ length: 6 }, () => b.tryAcquire()).filter((p) => p !== null);
    expect(probes).toHaveLength(config.probes!);
    probes.slice(0, 3).forEach((p) => {
      b.onSuccess(1, p);
    });
    expect(b.state).toBe('closed');
    b.dispose();
  });
});
