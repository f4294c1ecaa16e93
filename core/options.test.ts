import { describe, expect, it } from 'vitest';
import { isSluiceError } from './errors.js';
import { checkNumber, resolveConfig } from './validate.js';

describe('config validation', () => {
  it('names the field, the rule and the value', () => {
    let error: unknown;
    try {
      checkNumber('x.size', 2.5, { int: true, min: 1, max: 10 });
    } catch (e) {
      error = e;
    }
    expect(isSluiceError(error) && error.code).toBe('SLUICE_ERR_CONTROL_CONFIG_INVALID');
    expect((error as Error).message).toBe('invalid control configuration: x.size must be an integer ≥ 1 ≤ 10 (got 2.5)');
    expect(() => checkNumber('x.r', Number.NaN, {})).toThrow(/x\.r must be a finite number \(got NaN\)/);
    expect(() => checkNumber('x.r', '3', {})).toThrow(/got "3"/);
    expect(checkNumber('x.r', 0.5, { gt: 0, lt: 1 })).toBe(0.5);
  });

  it('merges over defaults, rejects unknown keys, freezes the result', () => {
    const d = { a: 1, b: 2 };
    const c = resolveConfig('s', d, { b: 3, a: undefined }, { a: { min: 0 }, b: { max: 5 } });
    expect(c).toEqual({ a: 1, b: 3 });
    expect(Object.isFrozen(c)).toBe(true);
    expect(() => resolveConfig('s', d, { c: 1 } as never, {})).toThrow(/s\.c must be a known option/);
    expect(() => resolveConfig('s', d, { b: 9 }, { b: { max: 5 } })).toThrow(/s\.b must be a finite number ≤ 5/);
    expect(() => resolveConfig('s', d, 7 as never, {})).toThrow(/s must be an object/);
  });
});
