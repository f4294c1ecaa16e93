import { describe, expect, it } from 'vitest';
import type { AgentState, ExtensionState } from '../events/types.js';
import { occupancy, utilisation } from './formulas.js';
import { agentStateTimes, extensionStateTimes, type StateChange } from './timeline.js';

const sec = (n: number) => n * 1000;
const T0 = 1_718_000_000_000;
const at = (s: number, state: AgentState, reason?: string): StateChange<AgentState> => ({
  ts: T0 + sec(s),
  state,
  ...(reason ? { reason } : {}),
});

/*
 * Worked example: one agent over [T0, T0 + 3600 s), changes given out of order.
 *   −600 AVAILABLE (before the period: the state at its start)
 *    600 ON_CALL · 1800 HOLD · 1980 ON_CALL · 2400 ACW · 2760 AVAILABLE
 *   3000 AUX Lunch · 3240 AUX Break · 3360 AVAILABLE · 3700 LOGGED_OUT (after the period: ignored)
 *
 *   AVAILABLE 0–600 + 2760–3000 + 3360–3600 = 600 + 240 + 240 = 1080 s
 *   ON_CALL   600–1800 + 1980–2400          = 1200 + 420       = 1620 s
 *   HOLD 1800–1980 = 180 s · ACW 2400–2760 = 360 s · AUX 3000–3360 = 360 s (Lunch 240, Break 120)
 *   sum = 3600 s ✓.  Entries: ON_CALL 2, HOLD 1, ACW 1, AVAILABLE 2, AUX 1 (Lunch → Break is no new entry)
 *   occupancy = (1620 + 180 + 360) / (2160 + 1080) = 2160 / 3240 = 0.6667;  utilisation = 2160 / 3600 = 0.6
 */
describe('agentStateTimes (worked example above)', () => {
  const changes = [
    at(1800, 'HOLD'),
    at(-600, 'AVAILABLE'),
    at(600, 'ON_CALL'),
    at(1980, 'ON_CALL'),
    at(2400, 'ACW'),
    at(3700, 'LOGGED_OUT'),
    at(2760, 'AVAILABLE'),
    at(3000, 'AUX', 'Lunch'),
    at(3240, 'AUX', 'Break'),
    at(3360, 'AVAILABLE'),
  ];
  const r = agentStateTimes(changes, { from: T0, to: T0 + sec(3600) });

  it('time per state and per AUX reason', () => {
    expect(r.ms).toEqual({
      LOGGED_OUT: 0,
      AVAILABLE: sec(1080),
      RINGING: 0,
      ON_CALL: sec(1620),
      HOLD: sec(180),
      ACW: sec(360),
      AUX: sec(360),
    });
    expect(r.byReason).toEqual({ Lunch: sec(240), Break: sec(120) });
    expect(r.unknownMs).toBe(0);
  });

  it('entries into each state inside the period', () => {
    expect(r.entries).toEqual({ LOGGED_OUT: 0, AVAILABLE: 2, RINGING: 0, ON_CALL: 2, HOLD: 1, ACW: 1, AUX: 1 });
  });

  it('feeds occupancy and utilisation', () => {
    expect(occupancy(r.ms)).toBeCloseTo(2 / 3, 12);
    expect(utilisation(r.ms)).toBe(0.6);
  });

  it('time before the first known state is unknown; an AUX without reason is under ""', () => {
    const u = agentStateTimes([at(100, 'AUX'), at(160, 'AVAILABLE')], { from: T0, to: T0 + sec(200) });
    expect(u.unknownMs).toBe(sec(100));
    expect(u.ms.AUX).toBe(sec(60));
    expect(u.byReason).toEqual({ '': sec(60) });
    expect(u.entries.AUX).toBe(1);
  });

  it('a change exactly at the start is an entry; an empty period and an empty timeline add up to nothing', () => {
    expect(agentStateTimes([at(0, 'ON_CALL')], { from: T0, to: T0 + sec(10) }).entries.ON_CALL).toBe(1);
    expect(agentStateTimes(changes, { from: T0, to: T0 }).ms.AVAILABLE).toBe(0);
    expect(agentStateTimes([], { from: T0, to: T0 + sec(5) }).unknownMs).toBe(sec(5));
    expect(() => agentStateTimes([], { from: T0, to: T0 - 1 })).toThrow(/to ≥ from/);
  });
});

/*
 * Worked example: one extension over [T0, T0 + 300 s): IDLE at 0, RINGING 10–25 (no answer), IDLE 25,
 * RINGING 40–52, BUSY 52–172, IDLE 172–300.
 *   ringing = 15 + 12 = 27 s (2 rings) · busy = 120 s (1) · idle = 10 + 15 + 128 = 153 s (3 entries: the change at the start is inside the period)
 */
describe('extensionStateTimes (worked example above)', () => {
  const x = (s: number, state: ExtensionState): StateChange<ExtensionState> => ({ ts: T0 + sec(s), state });
  const r = extensionStateTimes([x(0, 'IDLE'), x(10, 'RINGING'), x(25, 'IDLE'), x(40, 'RINGING'), x(52, 'BUSY'), x(172, 'IDLE')], {
    from: T0,
    to: T0 + sec(300),
  });

  it('busy, idle and ringing time and counts', () => {
    expect(r.ms).toEqual({ IDLE: sec(153), RINGING: sec(27), BUSY: sec(120), UNAVAILABLE: 0, DND: 0 });
    expect(r.entries).toEqual({ IDLE: 3, RINGING: 2, BUSY: 1, UNAVAILABLE: 0, DND: 0 });
    expect(r.byReason).toEqual({});
  });
});
