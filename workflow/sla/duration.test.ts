import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('reads numbers as ms and unit strings', () => {
    expect(parseDuration(1500)).toBe(1500);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('1w 1ms')).toBe(604_800_001);
    expect(parseDuration('0.5s')).toBe(500);
  });

  it('names the path and the bad part', () => {
    expect(() => parseDuration('1h30', 'sla.duration')).toThrow(
      'sla.duration: "1h30" is not a duration (bad part at "30"; units ms, s, m, h, d, w)',
    );
    expect(() => parseDuration(-1, 'x')).toThrow('x: -1 is not a non-negative number of ms');
    expect(() => parseDuration('', 'x')).toThrow('x: expected a duration like "1h30m" or a number of ms');
    expect(() => parseDuration(true, 'x')).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_DURATION_INVALID' }));
  });

  it('refuses durations beyond 365 days, however written, and echoes at most 40 characters', () => {
    expect(parseDuration('365d')).toBe(31_536_000_000);
    expect(parseDuration('52w1d')).toBe(31_536_000_000);
    expect(() => parseDuration('1000w', 'nodes[1].sla.duration')).toThrow(
      'nodes[1].sla.duration: "1000w" is longer than the maximum of 365d',
    );
    expect(() => parseDuration('365d1ms', 'x')).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_DURATION_INVALID' }));
    expect(() => parseDuration(1e300, 'x')).toThrow('x: 1e+300 is longer than the maximum of 365d');
    expect(() => parseDuration(`${'9'.repeat(400)}w`, 'x')).toThrow(/^x: "9{40}…" is longer than the maximum of 365d$/);
    expect(() => parseDuration(`1h${'x'.repeat(1000)}`, 'x')).toThrow(/^x: "1hx{38}…" is not a duration \(bad part at "x{40}…"/);
  });

  it('formats back compactly', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(90_061_001)).toBe('1d1h1m1s1ms');
  });
});
