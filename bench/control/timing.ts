/**
 * Timing helpers. Per-call cost is measured in batches (a batch amortises the
 * timer's own cost) and reported as the median over batches (robust to GC
 * pauses). Competing subjects are measured interleaved, round by round, so
 * that a noisy machine (other processes, frequency changes) affects them alike.
 */

/** One subject: `batch` makes `perBatch` calls; `after` runs untimed after each batch. */
export interface Subject {
  readonly name: string;
  readonly perBatch: number;
  /** Timed batches per round. */
  readonly batches: number;
  batch(): void | Promise<void>;
  after?(): void | Promise<void>;
}

/** Median of a list of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A monotonic clock in nanoseconds (`process.hrtime.bigint` unless a test passes its own). */
export type NsClock = () => bigint;

async function runBatches(s: Subject, n: number, into: number[] | null, now: NsClock): Promise<void> {
  for (let i = 0; i < n; i++) {
    const t0 = now();
    const r = s.batch();
    if (r !== undefined) await r;
    const dt = Number(now() - t0);
    const a = s.after?.();
    if (a !== undefined) await a;
    into?.push(dt / s.perBatch);
  }
}

/**
 * Warms every subject up (one untimed round), then measures them in `rounds` interleaved rounds:
 * every subject's `batches` in turn, round after round, so that a baseline among them sees the
 * same machine as the subjects compared with it.
 * @param now the clock batches are timed with (ns)
 * @returns median per-call cost of each subject, ns
 */
export async function interleaved(
  subjects: readonly Subject[],
  rounds: number,
  now: NsClock = process.hrtime.bigint,
): Promise<Record<string, number>> {
  for (const s of subjects) await runBatches(s, s.batches, null, now);
  const samples = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  for (let r = 0; r < rounds; r++) for (const s of subjects) await runBatches(s, s.batches, samples.get(s.name)!, now);
  return Object.fromEntries([...samples].map(([name, xs]) => [name, median(xs)]));
}
