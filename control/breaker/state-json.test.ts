import { describe, expect, it } from 'vitest';
import { isSluiceError } from '../../core/errors.js';
import { parseBreakerState } from './state-json.js';

const messageOf = (x: unknown): string => {
  try {
    parseBreakerState(x);
  } catch (e) {
    if (isSluiceError(e) && e.code === 'SLUICE_ERR_CONTROL_STATE_INVALID') return e.message;
  }
  return 'accepted';
};

describe('parseBreakerState', () => {
  it('accepts every state shape and returns a frozen copy', () => {
    const base = { gen: 3, k: 2, since: 10, reason: 'r' };
    for (const s of [
      { name: 'closed', ...base },
      { name: 'open', ...base, until: 20 },
      { name: 'forced-closed', ...base, until: 20 },
      { name: 'half-open', ...base, trial: 20, admitted: 2, successes: 1 },
    ]) {
      const parsed = parseBreakerState(JSON.parse(JSON.stringify(s)));
      expect(parsed).toEqual(s);
      expect(Object.isFrozen(parsed)).toBe(true);
    }
  });

  it('names the first malformed field', () => {
    expect(messageOf(null)).toMatch(/state\.\(root\)/);
    expect(messageOf({ name: 'closed', gen: -1, k: 0, since: 0, reason: '' })).toMatch(/state\.gen/);
    expect(messageOf({ name: 'open', gen: 0, k: 0, since: 0, reason: '' })).toMatch(/state\.until/);
    expect(messageOf({ name: 'half-open', gen: 0, k: 0, since: 0, reason: '', trial: 1, admitted: 1, successes: 2 })).toMatch(
      /state\.successes/,
    );
    expect(messageOf({ name: 'closed', gen: 0, k: 0, since: 0 })).toMatch(/state\.reason/);
  });
});
