import { describe, expect, it } from 'vitest';
import { ManualClock } from '../adapters/clock.js';
import type { SkillGroupEvent } from './events/types.js';
import { validateEvent } from './events/schema.js';
import { Simulator } from './simulator.js';

describe('Simulator', () => {
  it('emits valid call lifecycles at the configured rate, in event-time order per tick, reproducibly per seed', async () => {
    const run = async (seed: number) => {
      const clock = new ManualClock(1_700_000_000_000);
      const out: SkillGroupEvent[] = [];
      const sim = new Simulator({ clock, seed, callsPerSecond: 5, tickMs: 100, meanWaitMs: 1_000, meanTalkMs: 2_000, send: async (e) => void out.push(...e) });
      sim.start();
      for (let i = 0; i < 6000; i++) {
        clock.advance(100);
        await Promise.resolve();
        await Promise.resolve();
      }
      await sim.stop();
      return out;
    };
    const a = await run(7);
    const offered = a.filter((e) => e.body.type === 'OFFERED');
    // 3 skill groups × 5 calls/s × 600 s = 9000 expected; Poisson sd ≈ 95.
    expect(offered.length).toBeGreaterThan(8600);
    expect(offered.length).toBeLessThan(9400);
    const answered = a.filter((e) => e.body.type === 'ANSWERED').length;
    const abandoned = a.filter((e) => e.body.type === 'ABANDONED').length;
    expect(answered / (answered + abandoned)).toBeGreaterThan(0.82);
    expect(answered / (answered + abandoned)).toBeLessThan(0.88);
    for (const e of a.slice(0, 500)) expect(validateEvent(e).ok).toBe(true);
    expect(new Set(a.map((e) => e.id)).size).toBe(a.length);
    const b = await run(7);
    expect(b.slice(0, 200)).toEqual(a.slice(0, 200));
    const c = await run(8);
    expect(c.slice(0, 50)).not.toEqual(a.slice(0, 50));
  });

  it('keeps events a refused send returned and emits them later', async () => {
    const clock = new ManualClock(0);
    const out: SkillGroupEvent[] = [];
    const refused: SkillGroupEvent[] = [];
    let refuse = true;
    const flush = async () => {
      for (let i = 0; i < 10; i++) await Promise.resolve();
    };
    const sim = new Simulator({ clock, callsPerSecond: 50, tickMs: 100, send: async (e) => {
      if (refuse) {
        refused.push(...e);
        throw new Error('bus down');
      }
      out.push(...e);
    } });
    sim.start();
    await flush();
    expect(refused.length).toBeGreaterThan(0);
    refuse = false;
    for (let i = 0; i < 5; i++) {
      clock.advance(100);
      await flush();
    }
    await sim.stop();
    const ids = new Set(out.map((e) => e.id));
    for (const e of refused) expect(ids.has(e.id)).toBe(true);
    expect(out.slice(0, refused.length).map((e) => e.id).sort()).toEqual(refused.map((e) => e.id).sort());
    expect(sim.sent).toBe(out.length);
  });
});
