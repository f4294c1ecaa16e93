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
    expect(() => parseDuration('1h30', 'sla.duration')).toThrow('sla.duration: "1h30" is not a duration (bad part at "30"; units ms, s, m, h, d, w)');
    expect(() => parseDuration(-1, 'x')).toThrow('x: -1 is not a non-negative number of ms');
    expect(() => parseDuration('', 'x')).toThrow('x: expected a duration like "1h30m" or a number of ms');
    expect(() => parseDuration(true, 'x')).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_DURATION_INVALID' }));
  });

  it('formats back compactly', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(90_061_001)).toBe('1d1h1m1s1ms');
  });
});
