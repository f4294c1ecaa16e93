import { describe, expect, it } from 'vitest';
import { isWorkflowError } from '../errors.js';
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
    const expr = compileExpression('has(fields.vip) && fields.vip || "priority" in fields.tags || fields.reason.startsWith("fraud")', 'condition', 'p');
    expect(evaluateCondition(expr, ctx({ tags: [], reason: 'fraud-dispute' }), 'c')).toBe(true);
    expect(evaluateCondition(expr, ctx({ tags: ['priority'], reason: '' }), 'c')).toBe(true);
    expect(evaluateCondition(expr, ctx({ vip: false, tags: [], reason: 'x' }), 'c')).toBe(false);
  });

  it('refuses a syntax error, naming the path', () => {
    expect(() => compileExpression('fields.amount <', 'condition', 'controls[2].when')).toThrow(/^controls\[2\]\.when: bad expression `fields\.amount <`: /);
  });

  it('refuses unknown variables', () => {
    expect(() => compileExpression('amount < 5', 'condition', 'controls[0].when')).toThrow(/Unknown variable: amount/);
  });

  it('refuses a condition that cannot be a bool', () => {
    expect(() => compileExpression('1 + 2', 'condition', 'controls[0].when')).toThrow('controls[0].when: bad expression `1 + 2`: yields int, expected bool');
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
      expect(isWorkflowError(err, 'SLUICE_ERR_EXPRESSION_FAILED')).toBe(true);
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
