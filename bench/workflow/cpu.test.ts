import { describe, expect, it } from 'vitest';
import { meanPerOp, perOp, totalUs } from './cpu.js';

describe('perOp', () => {
  it('divides the CPU between two readings by the operations, in µs', () => {
    const c = perOp({ nodeMs: 1_000, redisMs: 500 }, { nodeMs: 1_900, redisMs: 880 }, 3_000);
    expect(c).toEqual({ ops: 3_000, nodeUs: 300, redisUs: 126.7 });
    expect(totalUs(c)).toBeCloseTo(426.7, 6);
  });

  it('takes the Node side from the engine processes when given (they measure themselves)', () => {
    expect(perOp({ nodeMs: 0, redisMs: 0 }, { nodeMs: 99_999, redisMs: 100 }, 1_000, 250).nodeUs).toBe(250);
  });

  it('leaves redis-server undefined when /proc could not be read, and totals the Node side alone', () => {
    const c = perOp({ nodeMs: 0, redisMs: undefined }, { nodeMs: 10, redisMs: 40 }, 100);
    expect(c.redisUs).toBeUndefined();
    expect(totalUs(c)).toBe(100);
  });

  it('is NaN, not Infinity, over no operations', () => {
    expect(perOp({ nodeMs: 0, redisMs: 0 }, { nodeMs: 5, redisMs: 5 }, 0).nodeUs).toBeNaN();
  });
});

describe('meanPerOp', () => {
  it('averages a baseline run before and one after, adding their operations', () => {
    expect(meanPerOp({ ops: 100, nodeUs: 20, redisUs: 10 }, { ops: 300, nodeUs: 30, redisUs: 11 })).toEqual({
      ops: 400,
      nodeUs: 25,
      redisUs: 10.5,
    });
    expect(meanPerOp({ ops: 1, nodeUs: 20, redisUs: undefined }, { ops: 1, nodeUs: 30, redisUs: 11 }).redisUs).toBeUndefined();
  });
});
