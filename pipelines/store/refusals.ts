import { isInsertRefused, refusalReason } from '../../adapters/clickhouse/errors.js';
import type { TelemetryWriter } from './types.js';

/** The store writes that {@link splitRefusals} splits. */
export const SPLIT_WRITES = [
  'insertEvents',
  'upsertMinutes',
  'upsertAgentWindows',
  'upsertExtensionWindows',
  'upsertIntervalReports',
  'insertDeadLetters',
] as const;
export type SplitWrite = (typeof SPLIT_WRITES)[number];

/** A row the store refused, found by splitting the write that carried it. */
export interface RefusedRow {
  write: SplitWrite;
  /** Its index in the rows given to the write. */
  index: number;
  row: unknown;
  /** The store's own reason (ClickHouse's message, with its code). */
  reason: string;
}

/** Options of {@link splitRefusals}. */
export interface SplitOptions {
  /** Whether a failure is the rows' fault; default ClickHouse's classification by error code. */
  isRefused?: (err: unknown) => boolean;
  /** The reason kept for a refused row; default ClickHouse's message. */
  reasonOf?: (err: unknown) => string;
}

type Write = (rows: readonly unknown[], token: string | undefined, extra: readonly unknown[] | undefined) => Promise<void>;

/**
 * Writes `rows` (the `at`-th onwards of the write's); when the store refuses them (never when it is
 * unavailable: that error is thrown, and the caller retries), writes each half in turn, down to the
 * single rows it refuses, which go to `refused`. A part gets a token of its own, `token#first+count`,
 * so a retried split stores each part once; without a token the store takes each part's content as it.
 */
async function bisect(
  rows: readonly unknown[],
  extra: readonly unknown[] | undefined,
  at: number,
  token: string | undefined,
  split: Split,
): Promise<void> {
  try {
    await split.write(rows, token, extra);
    return;
  } catch (err) {
    if (!split.isRefused(err)) throw err;
    if (rows.length === 1) {
      split.refused(at, err);
      return;
    }
  }
  const mid = rows.length >> 1;
  const part = (first: number, n: number) => (split.token === undefined ? undefined : `${split.token}#${first}+${n}`);
  await bisect(rows.slice(0, mid), extra?.slice(0, mid), at, part(at, mid), split);
  await bisect(rows.slice(mid), extra?.slice(mid), at + mid, part(at + mid, rows.length - mid), split);
}

/** One split write: how to write a part, the write's own token, and where refusals go. */
interface Split {
  write: Write;
  token: string | undefined;
  isRefused: (err: unknown) => boolean;
  refused: (index: number, err: unknown) => void;
}

/**
 * The store with every write of {@link SPLIT_WRITES} split on refusal: the rows the store accepts are
 * stored, each row it refuses is reported to `onRefused` with the store's reason, and the write
 * resolves. A batch of n rows with k refused costs at most about 2k·log₂(n) extra inserts. Reads pass
 * through. `insertEvents`' received texts are split beside their events.
 * @example await splitRefusals(store, (r) => dead.push(r)).upsertMinutes(rows)
 */
export function splitRefusals<W extends TelemetryWriter>(store: W, onRefused: (r: RefusedRow) => void, opts: SplitOptions = {}): W {
  const isRefused = opts.isRefused ?? isInsertRefused;
  const reasonOf = opts.reasonOf ?? refusalReason;
  const writers: Record<SplitWrite, Write> = {
    insertEvents: (rows, token, received) =>
      store.insertEvents(rows as Parameters<TelemetryWriter['insertEvents']>[0], token ?? '', received as Uint8Array[] | undefined),
    upsertMinutes: (rows, token) => store.upsertMinutes(rows as Parameters<TelemetryWriter['upsertMinutes']>[0], token),
    upsertAgentWindows: (rows, token) => store.upsertAgentWindows(rows as Parameters<TelemetryWriter['upsertAgentWindows']>[0], token),
    upsertExtensionWindows: (rows, token) =>
      store.upsertExtensionWindows(rows as Parameters<TelemetryWriter['upsertExtensionWindows']>[0], token),
    upsertIntervalReports: (rows, token) =>
      store.upsertIntervalReports(rows as Parameters<TelemetryWriter['upsertIntervalReports']>[0], token),
    insertDeadLetters: (rows, token) => store.insertDeadLetters(rows as Parameters<TelemetryWriter['insertDeadLetters']>[0], token ?? ''),
  };
  const split = (write: SplitWrite) => async (rows: readonly unknown[], token?: string, extra?: readonly unknown[]) => {
    if (rows.length === 0) return;
    await bisect(rows, extra, 0, token, {
      write: writers[write],
      token,
      isRefused,
      refused: (index, err) => onRefused({ write, index, row: rows[index], reason: reasonOf(err) }),
    });
  };
  return new Proxy(store, {
    get(target, prop) {
      if (typeof prop === 'string' && (SPLIT_WRITES as readonly string[]).includes(prop)) return split(prop as SplitWrite);
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
