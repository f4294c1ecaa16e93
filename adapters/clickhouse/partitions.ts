/**
 * ClickHouse's default `max_partitions_per_insert_block`: an insert whose rows fall in more monthly
 * partitions than this is refused as a whole (code 252), however valid each row is.
 */
export const MAX_PARTITIONS_PER_INSERT = 100;

/** The `toYYYYMM` partition of an epoch-ms time, as a number (e.g. 202611); NaN for no valid time. */
export function monthOf(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 100 + d.getUTCMonth() + 1;
}

/**
 * The indexes of `n` rows grouped into inserts of at most `max` monthly partitions each: one group,
 * all rows in order, in the usual case; otherwise whole months together, months in order of first
 * appearance, rows in order within a month. Deterministic, so a retry splits the same way.
 * @param timeOf epoch ms of row i's partition column
 */
export function partitionChunks(n: number, timeOf: (i: number) => number, max = MAX_PARTITIONS_PER_INSERT): number[][] {
  if (n === 0) return [];
  // The usual batch spans minutes: a span shorter than max − 2 shortest months holds at most max months.
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = timeOf(i);
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  if (hi - lo < (max - 2) * 28 * 86_400_000) return [Array.from({ length: n }, (_, i) => i)];
  const byMonth = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const m = monthOf(timeOf(i));
    let rows = byMonth.get(m);
    if (!rows) byMonth.set(m, (rows = []));
    rows.push(i);
  }
  if (byMonth.size <= max) return [Array.from({ length: n }, (_, i) => i)];
  const chunks: number[][] = [];
  let months = 0;
  for (const rows of byMonth.values()) {
    if (months % max === 0) chunks.push([]);
    chunks.at(-1)!.push(...rows);
    months++;
  }
  return chunks;
}

/** The last instant a `DateTime64` column holds (2299-12-31T23:59:59.999Z), epoch ms; later times wrap silently. */
export const MAX_DATETIME64_MS = Date.UTC(2299, 11, 31, 23, 59, 59, 999);
