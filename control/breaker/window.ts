/**
 * A time-based sliding window as a ring of buckets. Each bucket counts calls,
 * errors and slow calls and keeps a fixed log-bucket latency histogram; running
 * totals make reading the window O(1). Buckets expire as time moves: advancing by
 * `d` ms clears at most min(d / bucketMs, buckets) buckets, so the amortised cost
 * per call is constant and memory is fixed, whatever the traffic.
 */
import { controlError } from '../errors.js';
import { HISTOGRAM_SIZE, histogramQuantile, latencyBucket } from './histogram.js';

/** Shape of a window. */
export interface WindowShape {
  /** Window length, ms; must be a multiple of `buckets`. */
  readonly windowMs: number;
  /** Number of buckets in the ring. */
  readonly buckets: number;
}

/** Counts over the window. */
export interface WindowCounts {
  /** Calls recorded in the window. */
  readonly calls: number;
  /** Of those, failed calls. */
  readonly errors: number;
  /** Of those, slow calls (failed or not). */
  readonly slow: number;
}

/** Serialised window (see {@link SlidingWindow.toJSON}). */
export interface WindowJSON {
  readonly v: 1;
  readonly windowMs: number;
  readonly buckets: number;
  /** Epoch (time / bucketMs) of the newest bucket, or null when never written. */
  readonly head: number | null;
  readonly calls: number[];
  readonly errors: number[];
  readonly slow: number[];
  /** Histograms, bucket after bucket, as sparse `[flatIndex, count]` pairs. */
  readonly hist: [number, number][];
}

/** The ring. Mutable for speed; {@link SlidingWindow.toJSON} gives a plain copy. */
export class SlidingWindow {
  /** Length of one bucket, ms. */
  readonly bucketMs: number;
  readonly #n: number;
  #head = Number.NEGATIVE_INFINITY;
  readonly #calls: Uint32Array;
  readonly #errors: Uint32Array;
  readonly #slow: Uint32Array;
  readonly #hist: Uint32Array;
  readonly #totalHist = new Uint32Array(HISTOGRAM_SIZE);
  #tCalls = 0;
  #tErrors = 0;
  #tSlow = 0;

  /** @param shape window length (ms) and bucket count; validated by the caller's config */
  constructor(shape: WindowShape) {
    this.#n = shape.buckets;
    this.bucketMs = shape.windowMs / shape.buckets;
    this.#calls = new Uint32Array(this.#n);
    this.#errors = new Uint32Array(this.#n);
    this.#slow = new Uint32Array(this.#n);
    this.#hist = new Uint32Array(this.#n * HISTOGRAM_SIZE);
  }

  /** Calls in the window as of the last {@link advance}. */
  get calls(): number {
    return this.#tCalls;
  }
  /** Errors in the window as of the last {@link advance}. */
  get errors(): number {
    return this.#tErrors;
  }
  /** Slow calls in the window as of the last {@link advance}. */
  get slow(): number {
    return this.#tSlow;
  }

  /**
   * Records one finished call.
   * @param now epoch ms; a time older than the newest bucket is booked into the newest bucket
   * @param latencyMs call latency, ms; NaN for a call without one (a time-out: counted, not in the latency histogram)
   */
  record(now: number, latencyMs: number, error: boolean, slow: boolean): void {
    this.advance(now);
    const slot = this.#slot(this.#head);
    this.#calls[slot]! += 1;
    this.#tCalls += 1;
    if (error) {
      this.#errors[slot]! += 1;
      this.#tErrors += 1;
    }
    if (slow) {
      this.#slow[slot]! += 1;
      this.#tSlow += 1;
    }
    if (Number.isNaN(latencyMs)) return;
    const b = latencyBucket(latencyMs);
    this.#hist[slot * HISTOGRAM_SIZE + b]! += 1;
    this.#totalHist[b]! += 1;
  }

  /** Expires buckets older than the window as of `now` (epoch ms). */
  advance(now: number): void {
    const epoch = Math.floor(now / this.bucketMs);
    if (epoch <= this.#head) return;
    if (epoch - this.#head >= this.#n) {
      this.reset();
    } else {
      for (let e = this.#head + 1; e <= epoch; e++) this.#clear(this.#slot(e));
    }
    this.#head = epoch;
  }

  /** Counts over the window as of `now`, in O(1) amortised. */
  counts(now: number): WindowCounts {
    this.advance(now);
    return { calls: this.#tCalls, errors: this.#tErrors, slow: this.#tSlow };
  }

  /**
   * Latency quantile over the window, ms (bucket upper bound; see histogram).
   * @param q quantile in [0, 1]
   */
  quantile(now: number, q: number): number {
    this.advance(now);
    return histogramQuantile(this.#totalHist, q);
  }

  /** Forgets everything. */
  reset(): void {
    this.#calls.fill(0);
    this.#errors.fill(0);
    this.#slow.fill(0);
    this.#hist.fill(0);
    this.#totalHist.fill(0);
    this.#tCalls = this.#tErrors = this.#tSlow = 0;
  }

  /** A plain, JSON-safe copy. */
  toJSON(): WindowJSON {
    const hist: [number, number][] = [];
    this.#hist.forEach((c, i) => {
      if (c > 0) hist.push([i, c]);
    });
    return {
      v: 1,
      windowMs: this.bucketMs * this.#n,
      buckets: this.#n,
      head: Number.isFinite(this.#head) ? this.#head : null,
      calls: Array.from(this.#calls),
      errors: Array.from(this.#errors),
      slow: Array.from(this.#slow),
      hist,
    };
  }

  /**
   * Rebuilds a window from {@link toJSON} output.
   * @throws SluiceError `SLUICE_ERR_CONTROL_STATE_INVALID` when the shape differs or a field is malformed
   */
  static restore(json: unknown, shape: WindowShape): SlidingWindow {
    const j = json as Partial<WindowJSON> | null;
    const bad = (field: string): never => {
      throw controlError('SLUICE_ERR_CONTROL_STATE_INVALID', `window.${field} is missing or malformed`);
    };
    if (typeof j !== 'object' || j === null || j.v !== 1) bad('v');
    if (j!.windowMs !== shape.windowMs || j!.buckets !== shape.buckets) bad('windowMs/buckets (shape differs from config)');
    const w = new SlidingWindow(shape);
    const counts = (field: 'calls' | 'errors' | 'slow', into: Uint32Array): void => {
      const arr = j![field];
      if (!Array.isArray(arr) || arr.length !== shape.buckets || !arr.every(isCount)) bad(field);
      into.set(arr!);
    };
    counts('calls', w.#calls);
    counts('errors', w.#errors);
    counts('slow', w.#slow);
    if (!Array.isArray(j!.hist)) bad('hist');
    for (const pair of j!.hist!) {
      if (!Array.isArray(pair) || !isCount(pair[0]) || pair[0] >= w.#hist.length || !isCount(pair[1])) bad('hist');
      w.#hist[pair[0]] = pair[1];
    }
    if (j!.head !== null && !Number.isInteger(j!.head)) bad('head');
    w.#head = j!.head ?? Number.NEGATIVE_INFINITY;
    for (let s = 0; s < shape.buckets; s++) {
      w.#tCalls += w.#calls[s]!;
      w.#tErrors += w.#errors[s]!;
      w.#tSlow += w.#slow[s]!;
      for (let b = 0; b < HISTOGRAM_SIZE; b++) w.#totalHist[b]! += w.#hist[s * HISTOGRAM_SIZE + b]!;
    }
    return w;
  }

  #slot(epoch: number): number {
    return ((epoch % this.#n) + this.#n) % this.#n;
  }

  #clear(slot: number): void {
    const calls = this.#calls[slot]!;
    if (calls === 0) return;
    this.#tCalls -= calls;
    this.#tErrors -= this.#errors[slot]!;
    this.#tSlow -= this.#slow[slot]!;
    this.#calls[slot] = this.#errors[slot] = this.#slow[slot] = 0;
    const base = slot * HISTOGRAM_SIZE;
    for (let b = 0; b < HISTOGRAM_SIZE; b++) {
      const c = this.#hist[base + b]!;
      if (c !== 0) {
        this.#totalHist[b]! -= c;
        this.#hist[base + b] = 0;
      }
    }
  }
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}
