import { describe, expect, it } from 'vitest';
import { isSluiceError } from '../../core/errors.js';
import { compileExpression, evaluateCondition, evaluatePeople } from './expression.js';

const ctx = (fields: Record<string, unknown>) => ({ fields, ticket: { id: 't-1', nodeId: 'level1' } });

describe('compileExpression', () => {
  it('compiles once and evaluates conditions over ticket fields', () => {
    const expr = compileExpression('fields.amount < 500 && ticket.nodeId == "level1"', 'condition', 'controls[1].when');
    expect(evaluateCondition(expr, ctx({ amount: 120 }), 'c')).toBe(true);
    expect(evaluateCondition(expr, ctx({ amount: 120.5 }), 'c')).toBe(true);
    expect(evaluateCondition(expr, ctx({ amount: 500 }), 'c')).toBe(false);
    expect(compileExpression('fields.amount < 500 && ticket.nodeId == "level1"', 'condition', 'x')).toBe(expr);
  });

  it('supports has(), in and string functions', () => {
    const expr = compileExpression(
      'has(fields.vip) && fields.vip || "priority" in fields.tags || fields.reason.startsWith("fraud")',
      'condition',
      'p',
    );
    expect(evaluateCondition(expr, ctx({ tags: [], reason: 'fraud-dispute' }), 'c')).toBe(true);
    expect(evaluateCondition(expr, ctx({ tags: ['priority'], reason: '' }), 'c')).toBe(true);
    expect(evaluateCondition(expr, ctx({ vip: false, tags: [], reason: 'x' }), 'c')).toBe(false);
  });

  it('refuses a syntax error, naming the path', () => {
    expect(() => compileExpression('fields.amount <', 'condition', 'controls[2].when')).toThrow(
      /^controls\[2\]\.when: bad expression `fields\.amount <`: /,
    );
  });

  it('refuses unknown variables', () => {
    expect(() => compileExpression('amount < 5', 'condition', 'controls[0].when')).toThrow(/Unknown variable: amount/);
  });

  it('refuses a condition that cannot be a bool', () => {
    expect(() => compileExpression('1 + 2', 'condition', 'controls[0].when')).toThrow(
      'controls[0].when: bad expression `1 + 2`: yields int, expected bool',
    );
  });

  it('refuses code: there is no eval', () => {
    expect(() => compileExpression('process.exit(1)', 'condition', 'w')).toThrow(/bad expression/);
    expect(() => compileExpression('Function("return 1")()', 'condition', 'w')).toThrow(/bad expression/);
  });
});

describe('evaluation errors', () => {
  it('reports a missing field with SLUICE_ERR_EXPRESSION_FAILED', () => {
    const expr = compileExpression('fields.amount > 1', 'condition', 'w');
    try {
      evaluateCondition(expr, ctx({}), 'control level1 → manager');
      expect.unreachable();
    } catch (err) {
      expect(isSluiceError(err, 'SLUICE_ERR_EXPRESSION_FAILED')).toBe(true);
      expect((err as Error).message).toBe('control level1 → manager: `fields.amount > 1` failed: No such key: amount');
    }
  });

  it('refuses a non-bool result at run time', () => {
    const expr = compileExpression('fields.flag', 'condition', 'w');
    expect(() => evaluateCondition(expr, ctx({ flag: 'yes' }), 'c')).toThrow('c: `fields.flag` yielded string, expected bool');
  });

  it('evaluates people expressions to lists of ids', () => {
    const one = compileExpression('fields.owner', 'people', 'p');
    const many = compileExpression('fields.amount > 1000 ? ["group:heads"] : [fields.owner]', 'people', 'p');
    expect(evaluatePeople(one, ctx({ owner: 'ann' }), 'p')).toEqual(['ann']);
    expect(evaluatePeople(many, ctx({ owner: 'ann', amount: 5000 }), 'p')).toEqual(['group:heads']);
    expect(() => evaluatePeople(one, ctx({ owner: 7 }), 'todo')).toThrow('todo: `fields.owner` must yield a user id or a list of them');
  });
});

describe('matches has RE2 semantics', () => {
  const matches = (pattern: string, input: string): boolean =>
    evaluateCondition(compileExpression(`fields.s.matches(${JSON.stringify(pattern)})`, 'condition', 'w'), ctx({ s: input }), 'c');

  it('runs in linear time where a backtracking engine never returns', () => {
    // JavaScript's RegExp spends minutes on 30 characters of this; RE2 reads the input once.
    expect(matches('(a+)+$', `${'a'.repeat(9_999)}!`)).toBe(false);
    expect(matches('(a|aa)+b', 'a'.repeat(10_000))).toBe(false);
  });

  it('reads patterns the RE2 way (\\z, inline flags), matching anywhere in the input', () => {
    expect(matches('a\\z', 'a')).toBe(true);
    expect(matches('(?i)VIP', 'a vip caller')).toBe(true);
    expect(matches('^[0-9]+$', '12a')).toBe(false);
  });

  it('refuses at deploy what RE2 does not take: look-arounds, back-references, huge programs, patterns from data', () => {
    const refusal = (source: string): string => {
      try {
        compileExpression(source, 'condition', 'controls[0].when');
      } catch (err) {
        expect(isSluiceError(err, 'SLUICE_ERR_FLOW_INVALID')).toBe(true);
        return (err as Error).message;
      }
      throw new Error(`${source} was accepted`);
    };
    expect(refusal('fields.s.matches("a(?=b)")')).toMatch(
      /^controls\[0\]\.when: bad expression .*: matches\("a\(\?=b\)"\): invalid RE2 pattern: .*`\(\?=`/,
    );
    expect(refusal('fields.s.matches("(a)\\\\1")')).toMatch(/invalid RE2 pattern/);
    expect(refusal(`fields.s.matches("${'a{1000}'.repeat(5)}")`)).toMatch(/pattern is too large for RE2 \(over 1000 instructions\)/);
    expect(refusal('fields.s.matches("a{600}b{600}")')).toMatch(/pattern is too large for RE2 \(1202 instructions, at most 1000\)/);
    expect(refusal('fields.s.matches(fields.p)')).toMatch(/matches takes its pattern as a string literal/);
    expect(refusal('sluice_re2_matches(fields.s, "a")')).toMatch(/unknown function sluice_re2_matches/);
    // The rewritten expression is checked node for node: a literal cel-js prints inexactly is refused, never changed.
    expect(refusal('fields.n > 0.0000000001 || fields.s.matches("z")')).toMatch(
      /`matches` cannot be evaluated with RE2 in this expression/,
    );
  });

  it('keeps the expression around it as written, and names matches in run-time errors', () => {
    const expr = compileExpression(
      '(fields.a + "x").matches("^a+x$") && fields.l.exists(x, x.matches("b")) ? !fields.s.matches("c") : false',
      'condition',
      'w',
    );
    expect(evaluateCondition(expr, ctx({ a: 'aa', l: ['ab'], s: 'd' }), 'c')).toBe(true);
    expect(evaluateCondition(expr, ctx({ a: 'ab', l: ['ab'], s: 'd' }), 'c')).toBe(false);
    expect(evaluateCondition(expr, ctx({ a: 'aa', l: ['ab'], s: 'c' }), 'c')).toBe(false);
    expect(() => evaluateCondition(expr, ctx({ a: 1, l: ['b'], s: '' }), 'c')).toThrow(/failed: /);
    const typed = compileExpression('fields.n.matches("1")', 'condition', 'w');
    expect(() => evaluateCondition(typed, ctx({ n: 1 }), 'c')).toThrow(
      'c: `fields.n.matches("1")` failed: found no matching overload for \'matches(double, string)\'',
    );
  });
});

describe('the evaluation budget', () => {
  const refusal = (source: string): string => {
    try {
      compileExpression(source, 'condition', 'w');
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error(`${source} was accepted`);
  };

  it('refuses macros nested across the same lists (cubic, quadratic over the fields)', () => {
    expect(refusal('fields.l.all(x, fields.l.all(y, fields.l.all(z, x == y)))')).toMatch(
      /may take [\d,]+ steps on fields within the limits \(at most 2,000,000\)/,
    );
    expect(refusal('fields.l.all(x, fields.l.all(y, x >= y))')).toMatch(/may take 4,00\d,\d{3} steps/);
    expect(refusal('fields.l.exists(o, o.items.exists(i, o.items.exists(j, i == j)))')).toMatch(/may take/);
    expect(refusal('[1].all(a, [1].all(b, [1].all(c, [1].all(d, true))))')).toMatch(/macros nest 4 deep inside each other \(at most 3\)/);
  });

  it('refuses cel.bind, which would let a list double once per binding', () => {
    expect(refusal('cel.bind(a, fields.l, cel.bind(b, a + a, size(b) > 0))')).toMatch(/the cel namespace \(cel\.bind\) is not available/);
  });

  it('takes walks down the data, one scan per element, and small literal lists', () => {
    const ok = [
      'fields.orders.exists(o, o.items.exists(i, i.parts.exists(p, p.sku == "X")))',
      'fields.items.exists(i, i.sku in fields.allowed)',
      'fields.codes.exists(c, c.matches("^[0-9]{4}$"))',
      '["a", "b"].all(x, ["c"].exists(y, x != y))',
      'fields.tags.map(t, t.lowerAscii()).exists(t, t == "vip")',
    ];
    for (const source of ok) expect(compileExpression(source, 'condition', 'w').source).toBe(source);
  });
});
