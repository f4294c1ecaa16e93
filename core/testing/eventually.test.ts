import { describe, expect, it } from 'vitest';
import { eventually } from './eventually.js';

describe('eventually', () => {
  it('resolves once the check holds, with the time it took', async () => {
    let n = 0;
    const took = await eventually(() => ++n === 3, 'the third try', { timeoutMs: 1_000, intervalMs: 5 });
    expect(n).toBe(3);
    expect(took).toBeGreaterThanOrEqual(5);
  });

  it('awaits an async check and takes a throwing one as "not yet"', async () => {
    let n = 0;
    await eventually(
      async () => {
        if (++n < 3) throw new Error('not up');
        return true;
      },
      'the service',
      1_000,
    );
    expect(n).toBe(3);
  });

  it('returns the value that satisfied the predicate', async () => {
    let n = 0;
    expect(
      await eventually(
        async () => ++n,
        (v) => v >= 4,
        'four',
        1_000,
      ),
    ).toBe(4);
  });

  it('fails naming what it waited for, the last value and the last error', async () => {
    await expect(eventually(() => false, 'never', 30)).rejects.toThrow(/^timed out after 30 ms waiting for never$/);
    await expect(
      eventually(
        async () => [1, 2],
        (v) => v.length > 2,
        'three items',
        30,
      ),
    ).rejects.toThrow('waiting for three items; last: [1,2]');
    await expect(eventually(() => Promise.reject(new Error('refused')), 'an answer', 30)).rejects.toThrow(
      'waiting for an answer; last error: refused',
    );
    let n = 0;
    await expect(
      eventually(
        () => ++n > 1_000,
        () => `a thousand tries (made ${n})`,
        30,
      ),
    ).rejects.toThrow(/waiting for a thousand tries \(made \d+\)$/);
  });

  it('makes its last try once the timeout has passed, so a slow pause never hides a success', async () => {
    const t0 = Date.now();
    await expect(
      eventually(() => Date.now() - t0 >= 40, 'the deadline', { timeoutMs: 40, intervalMs: 25 }),
    ).resolves.toBeGreaterThanOrEqual(40);
  });
});
