import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HISTOGRAM_SIZE, OVERFLOW_MS, bucketUpperMs, histogramQuantile, latencyBucket } from './histogram.js';

describe('latency histogram', () => {
  it('puts sub-millisecond, negative and NaN latencies in bucket 0', () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(0.99)).toBe(0);
    expect(latencyBucket(-5)).toBe(0);
    expect(latencyBucket(Number.NaN)).toBe(0);
  });

  it('starts bucket 1 at 1 ms and puts huge latencies in the overflow bucket', () => {
    expect(latencyBucket(1)).toBe(1);
    expect(latencyBucket(OVERFLOW_MS)).toBe(HISTOGRAM_SIZE - 1);
    expect(latencyBucket(Number.POSITIVE_INFINITY)).toBe(HISTOGRAM_SIZE - 1);
  });

  it('is monotone and every latency lies below its bucket upper bound, within 19 %', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: OVERFLOW_MS - 1, noNaN: true }), fc.double({ min: 0, max: 1e5, noNaN: true }), (a, b) => {
        const ia = latencyBucket(a);
        expect(a).toBeLessThan(bucketUpperMs(ia) * (1 + 1e-12));
        expect(bucketUpperMs(ia)).toBeLessThanOrEqual(a * 2 ** (1 / 4) * (1 + 1e-9));
        if (a <= b) expect(ia).toBeLessThanOrEqual(latencyBucket(b));
      }),
    );
  });

  it('reads quantiles from counts', () => {
    const h = new Array<number>(HISTOGRAM_SIZE).fill(0);
    expect(histogramQuantile(h, 0.5)).toBe(0);
    for (let i = 0; i < 99; i++) h[latencyBucket(10)]! += 1;
    h[latencyBucket(5000)]! += 1;
    expect(histogramQuantile(h, 0.5)).toBeGreaterThanOrEqual(10);
    expect(histogramQuantile(h, 0.5)).toBeLessThan(12);
    expect(histogramQuantile(h, 0.99)).toBeLessThan(12);
    expect(histogramQuantile(h, 1)).toBeGreaterThanOrEqual(5000);
  });
});
