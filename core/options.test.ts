import { describe, expect, it } from 'vitest';
import { optionChecks } from './options.js';

class Refused extends Error {}
const { checkNumber, checkFunction, checkRule, refuse, resolveConfig } = optionChecks((m) => new Refused(m));

function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(Refused);
    return (e as Error).message;
  }
  throw new Error('nothing was refused');
}

describe('option checks', () => {
  it("names the field, the rule and the value, in the room's own error", () => {
    expect(messageOf(() => checkNumber('maxOutOfOrdernessMs', -1, { min: 0 }))).toBe(
      'maxOutOfOrdernessMs must be a finite number ≥ 0 (got -1)',
    );
    expect(messageOf(() => checkNumber('x.size', 2.5, { int: true, min: 1, max: 10 }))).toBe(
      'x.size must be an integer ≥ 1 ≤ 10 (got 2.5)',
    );
    expect(messageOf(() => checkNumber('x.r', Number.NaN))).toBe('x.r must be a finite number (got NaN)');
    expect(messageOf(() => checkNumber('x.r', Infinity, { gt: 0 }))).toBe('x.r must be a finite number > 0 (got Infinity)');
    expect(messageOf(() => checkNumber('x.r', '3'))).toBe('x.r must be a finite number (got "3")');
    expect(messageOf(() => checkNumber('x.n', 2 ** 60, { int: true }))).toBe(`x.n must be an integer (got ${2 ** 60})`);
    expect(checkNumber('x.r', 0.5, { gt: 0, lt: 1 })).toBe(0.5);
    expect(checkNumber('x.n', 0, { int: true, min: 0 })).toBe(0);
  });

  it('checks functions and relations the caller evaluated', () => {
    expect(messageOf(() => checkFunction('key', 'k'))).toBe('key must be a function (got "k")');
    expect(() => checkFunction('key', () => 'k')).not.toThrow();
    expect(messageOf(() => checkRule(20 <= 10, 'slideMs', '≤ sizeMs (10)', 20))).toBe('slideMs must be ≤ sizeMs (10) (got 20)');
    expect(() => checkRule(true, 'slideMs', '≤ sizeMs', 5)).not.toThrow();
    expect(messageOf(() => refuse('onFull', "'error' or 'drop'", 'block'))).toBe(`onFull must be 'error' or 'drop' (got "block")`);
  });

  it('shows any refused value briefly, even one JSON cannot write', () => {
    expect(messageOf(() => checkNumber('n', 10n))).toBe('n must be a finite number (got [object BigInt])');
    const long = messageOf(() => checkNumber('n', 'x'.repeat(10_000)));
    expect(long.length).toBeLessThan(200);
    expect(long.endsWith('…)')).toBe(true);
  });

  it('merges over defaults, refuses unknown keys (own keys only), checks numbers and freezes the result', () => {
    const d = { a: 1, b: 2 };
    const c = resolveConfig('s', d, { b: 3, a: undefined }, { a: { min: 0 }, b: { max: 5 } });
    expect(c).toEqual({ a: 1, b: 3 });
    expect(Object.isFrozen(c)).toBe(true);
    expect(d).toEqual({ a: 1, b: 2 });
    expect(messageOf(() => resolveConfig('s', d, { c: 1 } as never, {}))).toBe('s.c must be a known option (got "c")');
    expect(messageOf(() => resolveConfig('s', d, JSON.parse('{"toString": 1}'), {}))).toBe(
      's.toString must be a known option (got "toString")',
    );
    expect(messageOf(() => resolveConfig('s', d, { b: 9 }, { b: { max: 5 } }))).toBe('s.b must be a finite number ≤ 5 (got 9)');
    expect(messageOf(() => resolveConfig('s', d, 7 as never, {}))).toBe('s must be an object (got 7)');
  });
});
