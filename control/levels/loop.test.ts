import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '../../adapters/clock.js';
import { ControlLoop } from './loop.js';
import { LevelController } from './controller.js';
import type { ScopedLevelChange } from './controller.js';
import { COMPONENTS, resolvePressureConfig } from './pressure.js';
import type { Signals } from './pressure.js';

const scope = { tenant: 'acme', skillGroup: 'care' };
const HOLD = 30_000;
/** Pressure = callsWaiting / 100, so scenarios can set pressure directly. */
const linear = resolvePressureConfig({
  waitingFull: 100,
  dominant: [],
  weights: { ...Object.fromEntries(COMPONENTS.map((c) => [c, 0])), waiting: 1 } as never,
});

/** A virtual-time harness: `pressureAt(t)` drives the signals; the loop ticks every second. */
function harness(pressureAt: (t: number) => number | undefined) {
  const clock = new ManualClock(0);
  const controller = new LevelController({ clock, defaults: { holdMs: HOLD, holdMaxMs: 8 * HOLD, holdResetMs: 3_600_000 } });
  const changes: ScopedLevelChange[] = [];
  controller.on('change', (c) => changes.push(c));
  const loop = new ControlLoop({
    clock,
    controller,
    pressureFor: () => linear,
    source: {
      scopes: () => [scope],
      read: (): Signals | undefined => {
        const p = pressureAt(clock.now());
        return p === undefined ? undefined : { callsWaiting: p * 100, longestWaitMs: 0, availableAgents: 5 };
      },
    },
  });
  loop.start();
  return { clock, controller, changes, loop, levels: () => changes.filter((c) => c.from !== c.to).map((c) => [c.at, c.to]) };
}

describe('control loop in virtual time', () => {
  it('step overload: one level per tick up to L3', () => {
    const h = harness((t) => (t >= 10_000 ? 1 : 0.1));
    h.clock.advance(20_000);
    expect(h.levels()).toEqual([
      [10_000, 1],
      [11_000, 2],
      [12_000, 3],
    ]);
    h.loop.stop();
  });

  it('slow ramp: each level is entered on the first tick its threshold is reached, in order', () => {
    const h = harness((t) => Math.min(1, t / 600_000));
    h.clock.advance(700_000);
    expect(h.levels()).toEqual([
      [300_000, 1],
      [420_000, 2],
      [510_000, 3],
    ]);
    expect(h.changes.map((c) => c.reason).join('\n')).toMatch(/top signal: waiting/);
    h.loop.stop();
  });

  it('oscillating load faster than the hold: a single change in an hour', () => {
    const h = harness((t) => (Math.floor(t / 10_000) % 2 === 0 ? 0.6 : 0.1));
    h.clock.advance(3_600_000);
    expect(h.levels()).toEqual([[1_000, 1]]);
    h.loop.stop();
  });

  it('oscillating load slower than the hold: at most one change per hold period, the hold grows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 5, max: 200 }),
        fc.integer({ min: 0, max: 60 }),
        (highS, lowS, phaseS) => {
          const period = (highS + lowS) * 1_000;
          const h = harness((t) => ((t + phaseS * 1_000) % period < highS * 1_000 ? 0.6 : 0.1));
          const T = 3_600_000;
          h.clock.advance(T);
          h.loop.stop();
          const ch = h.changes;
          expect(ch.length).toBeLessThanOrEqual(T / HOLD + 2);
          const recoveries = ch.filter((c) => c.kind === 'recover');
          for (let i = 1; i < recoveries.length; i++) expect(recoveries[i]!.at - recoveries[i - 1]!.at).toBeGreaterThanOrEqual(HOLD);
          for (let i = 1; i < ch.length; i++) if (ch[i]!.kind === 'recover') expect(ch[i]!.at - ch[i - 1]!.at).toBeGreaterThanOrEqual(HOLD);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('sudden recovery: down one level per hold', () => {
    const h = harness((t) => (t < 5_000 ? 1 : 0));
    h.clock.advance(200_000);
    expect(h.levels()).toEqual([
      [1_000, 1],
      [2_000, 2],
      [3_000, 3],
      [35_000, 2],
      [65_000, 1],
      [95_000, 0],
    ]);
    h.loop.stop();
  });

  it('override expiry: the pin holds against pressure, ends by itself, and recovery resumes one step per hold', () => {
    const h = harness(() => 0);
    h.clock.advance(1_000);
    h.controller.pin(scope, 3, 60_000, 'carrier incident');
    h.clock.advance(59_000);
    expect(h.controller.level(scope)).toBe(3);
    h.clock.advance(1_000);
    expect(h.changes.at(-1)).toMatchObject({ kind: 'override-end', at: 61_000 });
    h.clock.advance(100_000);
    expect(h.levels()).toEqual(
      [
        [1_000, 3],
        [92_000, 2],
        [122_000, 1],
        [152_000, 0],
      ].filter(([at]) => at! <= 161_000),
    );
    h.loop.stop();
  });

  it('keeps the level when signals go missing or the source throws (fail-static)', () => {
    let broken = false;
    const h = harness((t) => {
      if (broken) throw new Error('redis down');
      return t < 4_000 ? 1 : undefined;
    });
    const errors: unknown[] = [];
    h.loop.on('source-error', (e) => errors.push(e.error));
    h.clock.advance(120_000);
    broken = true;
    h.clock.advance(120_000);
    expect(h.controller.level(scope)).toBe(3);
    expect(errors).toHaveLength(120);
    h.loop.stop();
    expect(h.clock.pending).toBe(0);
  });

  it('ticks on a fixed grid and reports readings', () => {
    const h = harness(() => 0.2);
    const ticks: number[] = [];
    h.loop.on('tick', (t) => ticks.push(t.at) && expect(t.readings[0]!.pressure.score).toBeCloseTo(0.2));
    h.clock.advance(3_500);
    h.loop.start();
    expect(ticks).toEqual([1_000, 2_000, 3_000]);
    h.loop.stop();
    h.clock.advance(5_000);
    expect(ticks).toHaveLength(3);
    expect(
      () => new ControlLoop({ ...{ controller: h.controller, source: { scopes: () => [], read: () => undefined } }, tickMs: 0 }),
    ).toThrow(/loop\.tickMs/);
  });
});
