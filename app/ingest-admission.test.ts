import { describe, expect, it } from 'vitest';
import { ManualClock } from '../adapters/clock.js';
import { IngestAdmission, MAX_RETRY_AFTER_S, type IngestAdmissionOptions } from './ingest-admission.js';

/** An admission over counters the test moves: `accepted` as requests publish, `stored` as the worker stores. */
function rig(o: Partial<IngestAdmissionOptions> = {}) {
  const clock = new ManualClock(1_000_000);
  const c = { accepted: 0, stored: 0 };
  const admission = new IngestAdmission({ clock, accepted: () => c.accepted, stored: () => c.stored, shutdownTimeoutMs: 8_000, maxPending: 100_000, initialRatePerSecond: 1_000, ...o });
  /** Admits `n`, publishes them and ends the reservation, as the ingest route does; false when refused. */
  const post = (n: number): boolean => {
    const a = admission.tryAdmit(n);
    if (!a.admitted) return false;
    c.accepted += n;
    a.release();
    return true;
  };
  /** An admission check that publishes nothing (the rate is measured on the checks). */
  const check = () => {
    const a = admission.tryAdmit(1);
    if (a.admitted) a.release();
  };
  return { clock, c, admission, post, check };
}

describe('IngestAdmission', () => {
  it('sizes the bound from the assumed rate until one is measured: rate × shutdown timeout × share', () => {
    const { admission } = rig();
    expect(admission.ratePerSecond).toBe(1_000);
    expect(admission.bound).toBe(4_000); // 1000/s × 8 s × 0.5
    expect(rig({ shutdownShare: 1 }).admission.bound).toBe(8_000);
    expect(rig({ maxPending: 3_000 }).admission.bound).toBe(3_000);
  });

  it('admits requests while what waits stays within the bound, then refuses the next one whole with Retry-After', () => {
    const { c, admission, post } = rig();
    expect(post(1_500)).toBe(true);
    expect(post(1_500)).toBe(true);
    expect(admission.pending).toBe(3_000);
    const refused = admission.tryAdmit(1_001); // 3000 + 1001 > 4000: not 1000 of them, none
    expect(refused).toEqual({ admitted: false, retryAfterSeconds: 1, pending: 3_000, bound: 4_000 });
    expect(admission.pending).toBe(3_000);
    expect(post(1_000)).toBe(true); // exactly up to the bound
    expect(post(1)).toBe(false);
    c.stored = 2_000;
    expect(post(1_500)).toBe(true);
  });

  it('asks to retry after the time the worker needs to store what must go first, at most a minute', () => {
    const { admission, post } = rig();
    expect(post(4_000)).toBe(true);
    const a = admission.tryAdmit(3_000); // 3000 of the 4000 waiting must be stored first: 3 s at 1000/s
    expect(a.admitted === false && a.retryAfterSeconds).toBe(3);
    const slow = rig({ initialRatePerSecond: 10, maxPending: 100_000 });
    expect(slow.post(5_000)).toBe(true); // the first request is admitted into an empty pipeline
    const b = slow.admission.tryAdmit(100);
    expect(b.admitted === false && b.retryAfterSeconds).toBe(MAX_RETRY_AFTER_S);
  });

  it('counts admitted requests not yet published, so concurrent requests cannot pass the bound together', () => {
    const { admission } = rig();
    const first = admission.tryAdmit(3_000);
    expect(first.admitted).toBe(true);
    expect(admission.tryAdmit(3_000).admitted).toBe(false);
    if (first.admitted) {
      first.release();
      first.release(); // idempotent
    }
    expect(admission.pending).toBe(0);
    expect(admission.tryAdmit(3_000).admitted).toBe(true);
  });

  it('always admits a request when nothing waits, even one larger than the bound', () => {
    const { admission, post } = rig({ maxPending: 100 });
    expect(admission.bound).toBe(100);
    expect(post(5_000)).toBe(true);
    expect(post(1)).toBe(false);
  });

  it('measures the storing rate over intervals in which the worker had work throughout', () => {
    const { clock, c, admission, post, check } = rig();
    expect(post(4_000)).toBe(true);
    for (let s = 0; s < 20; s++) {
      clock.advance(1_000);
      c.stored += 3_000; // the worker stores 3000/s
      c.accepted += 3_000; // and a flood keeps it busy
      check();
    }
    expect(admission.ratePerSecond).toBeCloseTo(3_000, 0);
    expect(admission.bound).toBe(12_000);
  });

  it('does not take a trickle for the worker\'s speed: an idle worker\'s rate only raises the estimate', () => {
    const { clock, c, admission, check } = rig();
    check();
    for (let s = 0; s < 10; s++) {
      clock.advance(1_000);
      c.accepted += 20;
      c.stored += 20; // everything stored as it comes: the worker idles most of the time
      check();
    }
    expect(admission.ratePerSecond).toBe(1_000);
    clock.advance(1_000);
    c.accepted += 5_000;
    c.stored += 5_000; // a burst stored within the second: the worker is at least this fast
    check();
    expect(admission.ratePerSecond).toBe(5_000);
  });

  it('shrinks the bound while the store stalls, down to admitting nothing more until what waits is stored', () => {
    const { clock, c, admission, post, check } = rig();
    expect(post(2_000)).toBe(true);
    for (let s = 0; s < 30; s++) {
      clock.advance(1_000);
      check(); // nothing stored: ClickHouse is down
    }
    expect(admission.bound).toBe(0);
    expect(post(1)).toBe(false);
    c.stored = 2_000;
    expect(post(1_000)).toBe(true); // nothing waits: admitted
  });

  it('admit() waits for room (as the demo\'s simulator does) and gives up when aborted', async () => {
    const { clock, c, admission, post } = rig();
    expect(post(4_000)).toBe(true);
    let admitted = false;
    const waiting = admission.admit(500).then((release) => {
      admitted = true;
      release();
    });
    clock.advance(500);
    await Promise.resolve();
    expect(admitted).toBe(false);
    c.stored = 1_000;
    clock.advance(100);
    await waiting;
    expect(admitted).toBe(true);

    const abort = new AbortController();
    const refused = admission.admit(4_000, abort.signal).catch((err: unknown) => err);
    clock.advance(300);
    abort.abort(new Error('stopping'));
    expect(await refused).toEqual(new Error('stopping'));
    expect(clock.pending).toBe(0);
  });

  it('refuses options out of range, naming them', () => {
    expect(() => rig({ shutdownTimeoutMs: 0 })).toThrow(/shutdownTimeoutMs must be > 0 ms/);
    expect(() => rig({ maxPending: 0.5 })).toThrow(/maxPending must be a whole number ≥ 1/);
    expect(() => rig({ initialRatePerSecond: -1 })).toThrow(/initialRatePerSecond/);
    expect(() => rig({ shutdownShare: 1.5 })).toThrow(/shutdownShare must be in \(0, 1\]/);
    expect(() => rig({ sampleMs: 0 })).toThrow(/sampleMs/);
  });
});
