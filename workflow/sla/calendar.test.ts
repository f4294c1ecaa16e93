import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSluiceError } from '../../core/errors.js';
import { BusinessCalendar, continuousTime, type CalendarSpec } from './calendar.js';

const H = 3_600_000;
const M = 60_000;
/** Office in UTC+01:00: Mon–Fri 09:00–12:00 and 13:00–17:00, 7 working hours a day. */
const office: CalendarSpec = {
  utcOffset: '+01:00',
  workingHours: {
    mon: ['09:00-12:00', '13:00-17:00'],
    tue: ['09:00-12:00', '13:00-17:00'],
    wed: ['09:00-12:00', '13:00-17:00'],
    thu: ['09:00-12:00', '13:00-17:00'],
    fri: ['09:00-12:00', '13:00-17:00'],
  },
  holidays: ['2026-01-12'],
};
/** Local wall time in UTC+01:00 as epoch ms. */
const local = (iso: string): number => Date.parse(`${iso}+01:00`);

describe('BusinessCalendar.addWorkingTime', () => {
  const cal = new BusinessCalendar(office);

  it('stays inside one window', () => {
    expect(cal.addWorkingTime(local('2026-01-06T09:30:00'), 2 * H)).toBe(local('2026-01-06T11:30:00'));
  });

  it('skips the lunch break', () => {
    expect(cal.addWorkingTime(local('2026-01-06T11:30:00'), H)).toBe(local('2026-01-06T13:30:00'));
  });

  it('carries over the night to the next morning', () => {
    expect(cal.addWorkingTime(local('2026-01-06T16:30:00'), H)).toBe(local('2026-01-07T09:30:00'));
  });

  it('ends exactly at closing time rather than rolling to the next day', () => {
    expect(cal.addWorkingTime(local('2026-01-06T16:00:00'), H)).toBe(local('2026-01-06T17:00:00'));
  });

  it('starts counting at opening when started before hours', () => {
    expect(cal.addWorkingTime(local('2026-01-06T06:10:00'), 30 * M)).toBe(local('2026-01-06T09:30:00'));
  });

  it('skips the weekend and a Monday holiday', () => {
    // Friday 16:00 + 2h: 1h on Friday, Sat/Sun closed, Monday 12 Jan a holiday, 1h on Tuesday.
    expect(cal.addWorkingTime(local('2026-01-09T16:00:00'), 2 * H)).toBe(local('2026-01-13T10:00:00'));
  });

  it('skips the weekend when Monday is a working day', () => {
    const noHoliday = new BusinessCalendar({ ...office, holidays: [] });
    expect(noHoliday.addWorkingTime(local('2026-01-09T16:00:00'), 2 * H)).toBe(local('2026-01-12T10:00:00'));
  });

  it('adds whole weeks of working time', () => {
    // 35 h = five 7-hour days from Tuesday 09:00: Tue, Wed, Thu, Fri, (Mon 12th holiday), Tue 13th until closing.
    expect(cal.addWorkingTime(local('2026-01-06T09:00:00'), 35 * H)).toBe(local('2026-01-13T17:00:00'));
  });

  it('returns the start itself when adding zero, even off hours', () => {
    const sunday = local('2026-01-11T03:00:00');
    expect(cal.addWorkingTime(sunday, 0)).toBe(sunday);
  });

  it('honours a negative UTC offset', () => {
    const ny = new BusinessCalendar({ utcOffset: '-05:00', workingHours: { mon: ['09:00-17:00'] } });
    // Monday 2026-01-05 16:00 in New York = 21:00Z; one hour → 17:00 local = 22:00Z.
    expect(ny.addWorkingTime(Date.parse('2026-01-05T21:00:00Z'), H)).toBe(Date.parse('2026-01-05T22:00:00Z'));
    expect(ny.addWorkingTime(Date.parse('2026-01-05T21:00:00Z'), 2 * H)).toBe(Date.parse('2026-01-12T15:00:00Z'));
  });

  it('supports a window ending at 24:00', () => {
    const late = new BusinessCalendar({ workingHours: { mon: ['20:00-24:00'], tue: ['00:00-02:00'] } });
    expect(late.addWorkingTime(Date.parse('2026-01-05T23:00:00Z'), 2 * H)).toBe(Date.parse('2026-01-06T01:00:00Z'));
  });
});

describe('BusinessCalendar.workingTimeBetween', () => {
  const cal = new BusinessCalendar(office);

  it('counts only working windows', () => {
    expect(cal.workingTimeBetween(local('2026-01-06T08:00:00'), local('2026-01-06T18:00:00'))).toBe(7 * H);
  });

  it('counts nothing over a weekend and a holiday', () => {
    expect(cal.workingTimeBetween(local('2026-01-09T17:00:00'), local('2026-01-13T09:00:00'))).toBe(0);
  });

  it('is zero for an empty or reversed range', () => {
    const t = local('2026-01-06T10:00:00');
    expect(cal.workingTimeBetween(t, t)).toBe(0);
    expect(cal.workingTimeBetween(t + H, t)).toBe(0);
  });

  it('inverts addWorkingTime (property)', () => {
    const base = local('2026-01-01T00:00:00');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 * 24 * 60 }), fc.integer({ min: 0, max: 200 * 60 }), (startMin, durMin) => {
        const start = base + startMin * M;
        const end = cal.addWorkingTime(start, durMin * M);
        expect(end).toBeGreaterThanOrEqual(start);
        expect(cal.workingTimeBetween(start, end)).toBe(durMin * M);
      }),
    );
  });

  it('is additive over a split point (property)', () => {
    const base = local('2026-01-01T00:00:00');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40_000 }),
        fc.integer({ min: 0, max: 40_000 }),
        fc.integer({ min: 0, max: 40_000 }),
        (a, b, c) => {
          const [x, y, z] = [a, b, c].sort((p, q) => p - q).map((v) => base + v * M) as [number, number, number];
          expect(cal.workingTimeBetween(x, y) + cal.workingTimeBetween(y, z)).toBe(cal.workingTimeBetween(x, z));
        },
      ),
    );
  });
});

describe('continuousTime', () => {
  it('counts every millisecond', () => {
    expect(continuousTime.addWorkingTime(1000, 500)).toBe(1500);
    expect(continuousTime.workingTimeBetween(1000, 1500)).toBe(500);
    expect(continuousTime.workingTimeBetween(1500, 1000)).toBe(0);
  });
});

describe('BusinessCalendar validation', () => {
  const refused = (spec: CalendarSpec): string => {
    try {
      new BusinessCalendar(spec, 'calendars.office');
    } catch (err) {
      expect(isSluiceError(err, 'SLUICE_ERR_CALENDAR_INVALID')).toBe(true);
      return (err as Error).message;
    }
    throw new Error('calendar was accepted');
  };

  it('names the bad window', () => {
    expect(refused({ workingHours: { mon: ['9-17'] } })).toBe(
      'calendars.office.workingHours.mon[0]: "9-17" is not a window like "09:00-17:00"',
    );
  });
  it('refuses a window that ends before it starts', () => {
    expect(refused({ workingHours: { mon: ['22:00-06:00'] } })).toMatch(/workingHours\.mon\[0\]: .* ends before it starts/);
  });
  it('refuses overlapping windows', () => {
    expect(refused({ workingHours: { tue: ['09:00-12:00', '11:00-13:00'] } })).toMatch(/workingHours\.tue: working windows overlap/);
  });
  it('refuses a week without working time', () => {
    expect(refused({ workingHours: {} })).toMatch(/workingHours: no working time/);
  });
  it('refuses an unknown weekday', () => {
    expect(refused({ workingHours: { monday: ['09:00-17:00'] } as never })).toMatch(/workingHours\.monday: unknown weekday/);
  });
  it('refuses an impossible holiday', () => {
    expect(refused({ workingHours: { mon: ['09:00-17:00'] }, holidays: ['2026-02-30'] })).toMatch(
      /holidays\[0\]: "2026-02-30" is not a date/,
    );
  });
  it('refuses a bad offset', () => {
    expect(refused({ utcOffset: '+1', workingHours: { mon: ['09:00-17:00'] } })).toMatch(/utcOffset: "\+1" is not an offset/);
  });
});
