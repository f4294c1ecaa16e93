import { describe, expect, it } from 'vitest';
import type { CalendarSpec } from './calendar.js';
import type { SlaPolicy } from './policy.js';
import { computeSchedule, dueAt, isPaused, pauseClock, reapplyPolicy, resumeClock, slaElapsed, startClock, stopClock } from './schedule.js';

const M = 60_000;
const H = 60 * M;
const T0 = Date.parse('2026-01-06T10:00:00Z');

/** 1-hour SLA: L1 message at 30 min, L2 SMS at 45 min, L3 phone at 60 min repeated twice every 15 min. */
const hourly: SlaPolicy = {
  durationMs: H,
  pauseOn: ['waiting_for_customer'],
  breachChannel: 'log',
  warnings: [
    { level: 1, delayMs: 30 * M, channel: 'message', repeat: 0, intervalMs: 0, notify: [] },
    { level: 2, delayMs: 45 * M, channel: 'sms', repeat: 0, intervalMs: 0, notify: [] },
    { level: 3, delayMs: 60 * M, channel: 'phone', repeat: 2, intervalMs: 15 * M, notify: ['group:heads'] },
  ],
};

const dues = (entries: ReturnType<typeof computeSchedule>): string[] =>
  entries.map((e) => `${e.kind}:${e.level}:${e.repeat}@${(e.dueAt - T0) / M}m`);

describe('computeSchedule', () => {
  it('lists every level, repeat and the breach in due order', () => {
    const clock = startClock('manager', 1, T0, hourly);
    expect(dues(computeSchedule(clock))).toEqual([
      'warning:1:0@30m',
      'warning:2:0@45m',
      'breach:0:0@60m',
      'warning:3:0@60m',
      'warning:3:1@75m',
      'warning:3:2@90m',
    ]);
    expect(computeSchedule(clock)[3]).toMatchObject({ channel: 'phone', notify: ['group:heads'] });
  });

  it('moves everything after a closed pause by the paused time', () => {
    let clock = startClock('manager', 1, T0, hourly);
    clock = pauseClock(clock, T0 + 20 * M, 'waiting_for_customer');
    clock = resumeClock(clock, T0 + 50 * M);
    expect(dues(computeSchedule(clock))).toEqual([
      'warning:1:0@60m',
      'warning:2:0@75m',
      'breach:0:0@90m',
      'warning:3:0@90m',
      'warning:3:1@105m',
      'warning:3:2@120m',
    ]);
  });

  it('leaves out entries held by an open pause but keeps those due before it', () => {
    const clock = pauseClock(startClock('manager', 1, T0, hourly), T0 + 40 * M, 'waiting_for_customer');
    expect(isPaused(clock)).toBe(true);
    expect(dues(computeSchedule(clock))).toEqual(['warning:1:0@30m']);
  });

  it('keeps an entry due exactly when a pause starts', () => {
    const clock = pauseClock(startClock('manager', 1, T0, hourly), T0 + 30 * M, 'waiting_for_customer');
    expect(dues(computeSchedule(clock))).toEqual(['warning:1:0@30m']);
  });

  it('drops entries after the clock stopped', () => {
    const clock = stopClock(startClock('manager', 1, T0, hourly), T0 + 50 * M);
    expect(dues(computeSchedule(clock))).toEqual(['warning:1:0@30m', 'warning:2:0@45m']);
  });

  it('excludes paused time and non-working time together', () => {
    const office: CalendarSpec = { utcOffset: 'Z', workingHours: { mon: ['09:00-17:00'], tue: ['09:00-17:00'], wed: ['09:00-17:00'] } };
    const policy: SlaPolicy = { ...hourly, durationMs: 4 * H, warnings: [], calendar: office };
    // Monday 15:00 entry; paused 16:00–16:30, so 1h30 counts on Monday (15:00–16:00, 16:30–17:00)
    // and 2h30 remain for Tuesday from 09:00 → 11:30.
    let clock = startClock('n', 1, Date.parse('2026-01-05T15:00:00Z'), policy);
    clock = pauseClock(clock, Date.parse('2026-01-05T16:00:00Z'), 'waiting_for_customer');
    clock = resumeClock(clock, Date.parse('2026-01-05T16:30:00Z'));
    expect(new Date(dueAt(clock, 4 * H) as number).toISOString()).toBe('2026-01-06T11:30:00.000Z');
    // A pause over the night costs nothing: only working time is paused time.
    let night = startClock('n', 1, Date.parse('2026-01-05T15:00:00Z'), policy);
    night = pauseClock(night, Date.parse('2026-01-05T18:00:00Z'), 'waiting_for_customer');
    night = resumeClock(night, Date.parse('2026-01-06T08:00:00Z'));
    expect(new Date(dueAt(night, 4 * H) as number).toISOString()).toBe('2026-01-06T11:00:00.000Z');
  });
});

describe('SLA clock operations', () => {
  it('measures elapsed SLA time without paused time', () => {
    let clock = startClock('manager', 1, T0, hourly);
    clock = pauseClock(clock, T0 + 10 * M, 'waiting_for_customer');
    expect(slaElapsed(clock, T0 + 30 * M)).toBe(10 * M);
    clock = resumeClock(clock, T0 + 30 * M);
    expect(slaElapsed(clock, T0 + 45 * M)).toBe(25 * M);
  });

  it('keeps paused time when a policy is re-applied', () => {
    let clock = startClock('manager', 1, T0, hourly);
    clock = pauseClock(clock, T0 + 10 * M, 'waiting_for_customer');
    clock = resumeClock(clock, T0 + 40 * M);
    const longer = reapplyPolicy(clock, { ...hourly, durationMs: 2 * H, warnings: [] });
    expect(longer.pauses).toEqual(clock.pauses);
    expect(dueAt(longer, 2 * H)).toBe(T0 + 2 * H + 30 * M);
    expect(slaElapsed(longer, T0 + H)).toBe(30 * M);
  });

  it('ignores a second pause and a resume while running', () => {
    const running = startClock('manager', 1, T0, hourly);
    expect(resumeClock(running, T0 + M)).toBe(running);
    const paused = pauseClock(running, T0 + M, 'waiting_for_customer');
    expect(pauseClock(paused, T0 + 2 * M, 'other')).toBe(paused);
  });

  it('closes an open pause when stopped', () => {
    const clock = stopClock(pauseClock(startClock('n', 1, T0, hourly), T0 + M, 'waiting_for_customer'), T0 + 5 * M);
    expect(clock.pauses).toEqual([{ from: T0 + M, to: T0 + 5 * M, status: 'waiting_for_customer' }]);
    expect(clock.stoppedAt).toBe(T0 + 5 * M);
    expect(slaElapsed(clock, T0 + H)).toBe(M);
  });
});
