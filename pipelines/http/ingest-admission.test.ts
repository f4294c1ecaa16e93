import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../adapters/clock.js';
import { IngestAdmission, MAX_RETRY_AFTER_S, type IngestAdmissionOptions } from './ingest-admission.js';

/**
 * An admission over counters the test moves: `accepted` as requests publish, `stored` as the worker stores.
 * One tenant may fill the whole bound unless a test sets `tenantShare` (the tests of the share do).
 */
function rig(o: Partial<IngestAdmissionOptions> = {}) {
  const clock = new ManualClock(1_000_000);
  const c = { accepted: 0, stored: 0 };
  const admission = new IngestAdmission({
    clock,
    accepted: () => c.accepted,
    stored: () => c.stored,
    shutdownTimeoutMs: 8_000,
    maxPending: 100_000,
    initialRatePerSecond: 1_000,
    tenantShare: 1,
    ...o,
  });
  /** Admits `n` of `tenant`, publishes them and ends the reservation, as the ingest route does; false when refused. */
  const post = (n: number, tenant = 'acme'): boolean => {
    const a = admission.tryAdmit(n, tenant);
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
  it('lets one tenant fill only its share of the bound, so another tenant finds room while it floods', () => {
    const { c, admission, post } = rig({ tenantShare: 0.5 }); // bound 4000: at most 2000 of one tenant
    expect(post(1_500, 'noisy')).toBe(true);
    expect(post(500, 'noisy')).toBe(true);
    expect(post(1, 'noisy')).toBe(false); // its share is full
    expect(admission.pendingOf('noisy')).toBe(2_000);
    expect(post(1_000, 'quiet')).toBe(true); // the other half is the others'
    expect(post(1_000, 'quiet')).toBe(true);
    expect(post(1, 'third')).toBe(false); // the bound itself holds
    // The worker stores in the order of publication: the noisy tenant's first request is stored first.
    c.stored = 1_500;
    expect(admission.pendingOf('noisy')).toBe(500);
    expect(admission.pendingOf('quiet')).toBe(2_000);
    expect(post(1_500, 'noisy')).toBe(true);
    expect(post(1, 'noisy')).toBe(false);
    c.stored = c.accepted;
    expect([admission.pendingOf('noisy'), admission.pendingOf('quiet'), admission.pending]).toEqual([0, 0, 0]);
  });

  it("admits a tenant's first request whenever the bound has room, even one larger than its share", () => {
    const { admission, post } = rig({ tenantShare: 0.25 }); // bound 4000, share 1000
    expect(post(1_000, 'other')).toBe(true);
    expect(post(2_500, 'big')).toBe(true); // nothing of its own waits, and 1000 + 2500 ≤ 4000
    expect(post(1, 'big')).toBe(false);
    expect(admission.pendingOf('big')).toBe(2_500);
  });

  it('forgets what a tenant held once nothing waits at all (a request whose publishing failed holds nothing)', () => {
    const { admission } = rig({ tenantShare: 0.5 });
    const a = admission.tryAdmit(1_000, 'acme');
    expect(a.admitted).toBe(true);
    if (a.admitted) a.release(); // published nothing: the bus refused it
    expect(admission.pending).toBe(0);
    expect(admission.pendingOf('acme')).toBe(0);
    expect(admission.tryAdmit(2_000, 'acme').admitted).toBe(true);
  });

  it('refuses a tenant share outside (0, 1]', () => {
    expect(() => rig({ tenantShare: 0 })).toThrow(/tenantShare must be in \(0, 1\]/);
    expect(() => rig({ tenantShare: 1.5 })).toThrow(/tenantShare/);
  });

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

  it("does not take a trickle for the worker's speed: an idle worker's rate only raises the estimate", () => {
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

  it("admit() waits for room (as the demo's simulator does) and gives up when aborted", async () => {
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
