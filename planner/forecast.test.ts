import { describe, expect, it } from 'vitest';
import { ForecastError, formatForecastTable, parseForecastCsv, planForecast } from './forecast.js';
import { PlanUsageError, runPlan } from './plan.js';

function parseError(text: string): ForecastError {
  try {
    parseForecastCsv(text);
  } catch (err) {
    if (err instanceof ForecastError) return err;
    throw err;
  }
  throw new Error('expected a ForecastError');
}

describe('parseForecastCsv', () => {
  it('reads labels and ISO timestamps verbatim, with line numbers', () => {
    const rows = parseForecastCsv('interval,calls,aht\n2024-05-01T09:00:00Z,100,180\nMon 09:30,120.5,200\n');
    expect(rows).toEqual([
      { line: 2, interval: '2024-05-01T09:00:00Z', calls: 100, ahtSeconds: 180 },
      { line: 3, interval: 'Mon 09:30', calls: 120.5, ahtSeconds: 200 },
    ]);
  });

  it('accepts a BOM, CRLF, blank lines, quoted fields and any column order', () => {
    const rows = parseForecastCsv('\uFEFFAHT, Interval ,calls\r\n\r\n180,"Mon, 09:00",10\r\n 240 , "say ""hi""" , 0 \r\n');
    expect(rows).toEqual([
      { line: 3, interval: 'Mon, 09:00', calls: 10, ahtSeconds: 180 },
      { line: 4, interval: 'say "hi"', calls: 0, ahtSeconds: 240 },
    ]);
  });

  it('allows an AHT of 0 only on an interval with no calls', () => {
    expect(parseForecastCsv('interval,calls,aht\nnight,0,0\n')[0]?.ahtSeconds).toBe(0);
    const err = parseError('interval,calls,aht\nday,5,0\n');
    expect(err).toMatchObject({ line: 2, field: 'aht', message: 'forecast line 2, field "aht": must be > 0, got "0"' });
  });

  it.each([
    [
      'a non-numeric calls value',
      'interval,calls,aht\na,100,180\nb,1O0,180\n',
      3,
      'calls',
      'forecast line 3, field "calls": expected a number, got "1O0"',
    ],
    ['a negative calls value', 'interval,calls,aht\na,-4,180\n', 2, 'calls', 'forecast line 2, field "calls": must be ≥ 0, got "-4"'],
    ['a thousands separator', 'interval,calls,aht\na,"1,000",180\n', 2, 'calls', 'expected a number, got "1,000"'],
    ['an empty aht', 'interval,calls,aht\na,10,\n', 2, 'aht', 'forecast line 2, field "aht": expected a number, got ""'],
    ['a hex aht', 'interval,calls,aht\na,10,0x10\n', 2, 'aht', 'got "0x10"'],
    ['an empty interval', 'interval,calls,aht\n,10,180\n', 2, 'interval', 'forecast line 2, field "interval": is empty'],
    [
      'a duplicate interval',
      'interval,calls,aht\n09:00,10,180\n09:30,10,180\n09:00,12,180\n',
      4,
      'interval',
      'duplicate of line 2: "09:00"',
    ],
  ])('names the line and field of %s', (_what, text, line, field, message) => {
    const err = parseError(text);
    expect(err).toMatchObject({ line, field });
    expect(err.message).toContain(message);
  });

  it.each([
    ['too few fields', 'interval,calls,aht\na,10\n', 2, 'forecast line 2: expected 3 fields (interval,calls,aht), got 2'],
    ['too many fields', 'interval,calls,aht\na,10,180,x\n', 2, 'got 4'],
    ['a wrong header', 'interval,volume,aht\na,10,180\n', 1, 'header must name exactly the columns interval,calls,aht'],
    ['a repeated header column', 'interval,calls,calls\n', 1, 'header must name exactly'],
    ['an empty file', '  \n\n', 1, 'empty file'],
    ['a header without rows', 'interval,calls,aht\n\n', 1, 'no data rows'],
    ['an unterminated quote', 'interval,calls,aht\n"a,10,180\n', 2, 'unterminated quoted field'],
    ['text after a closing quote', 'interval,calls,aht\n"a"b,10,180\n', 2, 'unexpected text after a closing quote'],
  ])('rejects %s with its line', (_what, text, line, message) => {
    const err = parseError(text);
    expect(err).toMatchObject({ line, field: undefined });
    expect(err.message).toContain(message);
  });
});

describe('planForecast', () => {
  const target = { targetSl: 0.8, targetTime: 20 };

  it('turns calls per interval into calls per hour (30-minute intervals by default in the CLI)', () => {
    const rows = parseForecastCsv('interval,calls,aht\n09:00,100,180\n09:30,50,180\n');
    const plans = planForecast(rows, { ...target, shrinkage: 0.3, intervalMinutes: 30 });
    expect(plans[0]).toEqual({ interval: '09:00', calls: 100, aht: 180, ...runPlan({ ...target, shrinkage: 0.3, rate: 200, aht: 180 }) });
    expect(plans[0]).toMatchObject({ agents: 14, scheduledAgents: 20 });
    expect(plans[1]?.agents).toBe(runPlan({ ...target, rate: 100, aht: 180 }).agents);
  });

  it('scales by the interval length', () => {
    const rows = parseForecastCsv('interval,calls,aht\n09:00,50,180\n');
    expect(planForecast(rows, { ...target, intervalMinutes: 15 })[0]?.agents).toBe(14); // 200 calls per hour
    expect(planForecast(rows, { ...target, intervalMinutes: 60 })[0]?.agents).toBe(runPlan({ ...target, rate: 50, aht: 180 }).agents);
  });

  it('plans zero agents for an interval with no calls', () => {
    const rows = parseForecastCsv('interval,calls,aht\nnight,0,0\n');
    expect(planForecast(rows, { ...target, patience: 60, intervalMinutes: 30 })[0]).toEqual({
      interval: 'night',
      calls: 0,
      aht: 0,
      agents: 0,
      scheduledAgents: 0,
      serviceLevel: 1,
      asa: 0,
      occupancy: 0,
      probabilityOfWait: 0,
      probabilityOfAbandon: 0,
    });
  });

  it('rejects a non-positive interval length', () => {
    const rows = parseForecastCsv('interval,calls,aht\na,1,1\n');
    expect(() => planForecast(rows, { ...target, intervalMinutes: 0 })).toThrow(PlanUsageError);
  });

  it('formats a table with one line per interval and an abandon column only for Erlang A', () => {
    const rows = parseForecastCsv('interval,calls,aht\n09:00,100,180\n09:30,0,0\n');
    const erlangC = formatForecastTable(planForecast(rows, { ...target, intervalMinutes: 30 })).split('\n');
    expect(erlangC).toHaveLength(3);
    expect(erlangC[0]).toMatch(/^interval\s+calls\s+aht s\s+agents\s+scheduled\s+SL\s+ASA s\s+occupancy\s+P\(wait\)$/);
    expect(erlangC[1]).toMatch(/^09:00\s+100\s+180\s+14\s+14\s+88\.8%\s+7\.8\s+71\.4%\s+17\.4%$/);
    const erlangA = formatForecastTable(planForecast(rows, { ...target, patience: 60, intervalMinutes: 30 }));
    expect(erlangA.split('\n')[0]).toMatch(/P\(abandon\)$/);
  });
});
