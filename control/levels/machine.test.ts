import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isSluiceError } from '../../core/errors.js';
import type { Level } from '../types.js';
import { resolveLevelConfig } from './config.js';
import { initialLevelState, pinLevel, stepLevel, targetLevel, unpinLevel } from './machine.js';
import type { LevelChange, LevelState } from './machine.js';

const cfg = resolveLevelConfig({ holdMs: 30_000, holdMaxMs: 120_000, holdResetMs: 600_000 });

/** Feeds one pressure per second; returns the changes. */
function run(
  pressures: number[],
  start: LevelState = initialLevelState(0, cfg),
  c = cfg,
  t0 = 0,
): { state: LevelState; changes: LevelChange[] } {
  let state = start;
  const changes: LevelChange[] = [];
  pressures.forEach((p, i) => {
    const r = stepLevel(state, p, t0 + i * 1_000, c);
    state = r.state;
    if (r.change) changes.push(r.change);
  });
  return { state, changes };
}

describe('level machine', () => {
  it('maps pressure to the level whose threshold it reaches', () => {
    expect([0, 0.49, 0.5, 0.7, 0.84, 0.85, 1].map((p) => targetLevel(p, cfg))).toEqual([0, 0, 1, 2, 2, 3, 3]);
  });

  it('escalates one step per tick on a step overload, each change with a reason', () => {
    const { changes } = run([0, 1, 1, 1, 1]);
    expect(changes.map((c) => [c.at, c.from, c.to])).toEqual([
      [1_000, 0, 1],
      [2_000, 1, 2],
      [3_000, 2, 3],
    ]);
    expect(changes[0]!.reason).toMatch(/pressure 1\.00 ≥ L1 threshold 0\.5 for 1 tick/);
  });

  it('waits escalateTicks consecutive ticks before the first step, then steps each tick', () => {
    const c = resolveLevelConfig({ escalateTicks: 3 });
    expect(run([1, 1, 0, 1, 1], undefined, c).changes).toHaveLength(0);
    expect(run([1, 1, 1, 1, 1], undefined, c).changes.map((x) => x.at)).toEqual([2_000, 3_000, 4_000]);
  });

  it('recovers one level per hold, only below threshold − hysteresis', () => {
    const up = run([1, 1, 1]).state;
    expect(run(new Array(200).fill(0.8), up, cfg, 3_000).changes).toHaveLength(0);
    const down = run(new Array(100).fill(0), up, cfg, 3_000).changes;
    expect(down.map((c) => [c.at, c.to])).toEqual([
      [33_000, 2],
      [63_000, 1],
      [93_000, 0],
    ]);
    expect(down[0]!.reason).toMatch(/< 0\.75 \(L3 threshold − hysteresis\) for 30000 ms/);
    const l1 = run([0.6]).state;
    expect(run(new Array(100).fill(0.45), l1, cfg, 1_000).state.level).toBe(1);
  });

  it('restarts the hold when pressure rises back above the exit line', () => {
    const l1 = run([0.6]).state;
    const p = [...new Array(20).fill(0), 0.45, ...new Array(40).fill(0)]; // t = 1 s … 20 s low, 21 s back up, low again from 22 s
    const { changes } = run(p, l1, cfg, 1_000);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.at).toBe(22_000 + 30_000);
  });

  it('doubles the hold after a quick re-escalation, caps it, and resets it after a quiet spell', () => {
    let s = run([0.6]).state;
    let t = 1_000;
    const holds: number[] = [];
    for (let i = 0; i < 4; i++) {
      while (s.level === 1) s = stepLevel(s, 0, (t += 1_000), cfg).state;
      s = stepLevel(s, 0.6, (t += 1_000), cfg).state;
      holds.push(s.holdMs);
    }
    expect(holds).toEqual([60_000, 120_000, 120_000, 120_000]);
    s = stepLevel(s, 0.55, t + 600_000, cfg).state;
    expect(s.holdMs).toBe(30_000);
  });

  it('pins a level, ignores pressure while pinned, and resumes from the pinned level when it expires', () => {
    let r = pinLevel(initialLevelState(0, cfg), 3, 60_000, 0, 'storm', cfg);
    expect(r.change).toMatchObject({ kind: 'override', from: 0, to: 3 });
    r = stepLevel(r.state, 0, 59_999, cfg);
    expect(r).toMatchObject({ change: null, state: { level: 3 } });
    r = stepLevel(r.state, 0, 60_000, cfg);
    expect(r.change).toMatchObject({ kind: 'override-end', from: 3, to: 3 });
    expect(run(new Array(40).fill(0), r.state, cfg, 61_000).changes.map((c) => c.to)).toEqual([2]);
    expect(unpinLevel(pinLevel(r.state, 1, 10, 0, 'x', cfg).state, 5, 'done').change?.kind).toBe('override-end');
    expect(unpinLevel(r.state, 5, 'nothing pinned').change).toBeNull();
  });

  it.each([
    [4, 1_000],
    [2, 0],
    [2, 5 * 3_600_000],
  ])('rejects a pin to %s for %s ms', (level, ms) => {
    let error: unknown;
    try {
      pinLevel(initialLevelState(0, cfg), level as Level, ms, 0, 'x', cfg);
    } catch (e) {
      error = e;
    }
    expect(isSluiceError(error) && error.code).toBe('SLUICE_ERR_CONTROL_OVERRIDE_INVALID');
  });

  it('moves at most one step per tick, and every recovery comes a full hold after the previous change (property)', () => {
    const tick = fc.record({
      p: fc.double({ min: 0, max: 1, noNaN: true }),
      dt: fc.integer({ min: 0, max: 40_000 }),
      pin: fc.integer({ min: -8, max: 3 }),
    });
    fc.assert(
      fc.property(fc.array(tick, { minLength: 10, maxLength: 300, size: 'max' }), fc.integer({ min: 1, max: 4 }), (ticks, n) => {
        const c = resolveLevelConfig({ escalateTicks: n });
        let s = initialLevelState(0, c);
        let now = 0;
        let last = Number.NEGATIVE_INFINITY;
        for (const { p, dt, pin } of ticks) {
          now += dt;
          const r = pin >= 0 ? pinLevel(s, pin as Level, 1 + dt, now, 'op', c) : stepLevel(s, p, now, c);
          const ch = r.change;
          if (ch !== null && ch.kind !== 'override') {
            expect(Math.abs(ch.to - ch.from)).toBeLessThanOrEqual(1);
            expect(r.state.level).toBe(ch.to);
            if (ch.kind === 'recover') expect(now - last).toBeGreaterThanOrEqual(c.holdMs);
          }
          if (ch === null) expect(r.state.level).toBe(s.level);
          if (ch !== null) last = now;
          s = r.state;
        }
      }),
      { numRuns: 300 },
    );
  });
});
