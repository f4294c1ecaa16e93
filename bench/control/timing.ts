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

async function runBatches(s: Subject, n: number, into: number[] | null): Promise<void> {
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const r = s.batch();
    if (r !== undefined) await r;
    const dt = Number(process.hrtime.bigint() - t0);
    const a = s.after?.();
    if (a !== undefined) await a;
    into?.push(dt / s.perBatch);
  }
}

/**
 * Warms every subject up, then measures them in `rounds` interleaved rounds.
 * @returns median per-call cost of each subject, ns
 */
export async function interleaved(subjects: readonly Subject[], rounds: number): Promise<Record<string, number>> {
  for (const s of subjects) await runBatches(s, s.batches, null);
  const samples = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  for (let r = 0; r < rounds; r++) for (const s of subjects) await runBatches(s, s.batches, samples.get(s.name)!);
  return Object.fromEntries([...samples].map(([name, xs]) => [name, median(xs)]));
}
