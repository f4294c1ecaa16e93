import { isTenantName } from '../../core/access.js';
import { decoderFor, decoderNames } from '../decoders/index.js';
import type { Decoder } from '../decoders/types.js';
import type { TelemetryEvent } from '../events/types.js';
import { averageSpeedOfAnswer, averageTalkTime, longestWait, serviceLevels, type ServiceLevelVariant } from '../metrics/formulas.js';
import { addSkillGroupEvent, emptySkillGroupSums, type SkillGroupSums } from '../metrics/skillgroup-sums.js';
import { EventTimeOrder } from './reorder.js';

/** Options of {@link replay}. */
export interface ReplayOptions {
  /** A registered decoder name (`asterisk-queue-log`, `json`) or a decoder. */
  format: string | Decoder;
  /** Tenant of formats that carry none. */
  tenant: string;
  /** Wall-clock time of the replay, epoch ms (decoders refuse event times implausibly after it). */
  now: number;
  /** Service-level threshold T, s (default 20). */
  serviceLevelSec?: number;
  /** Short-abandon threshold, s (default 5). */
  shortAbandonSec?: number;
  /** How far out of event-time order lines may be and still be put back in order, ms (default 60 000). */
  reorderHorizonMs?: number;
  /** Most errors kept in the result (default 10 000); `onError` and `errorCount` still see them all. */
  maxErrors?: number;
  /** Told of each bad line as it is met. */
  onError?: (e: ReplayError) => void;
  /**
   * Figures per period of event time instead of for the whole input: `day`, or `interval` (of
   * `intervalMinutes`). Periods are local to `utcOffsetMinutes`. Default: the whole input.
   */
  by?: 'day' | 'interval';
  /** Length of an interval with `by: 'interval'`, minutes: 15 (default), 30 or 60. */
  intervalMinutes?: 15 | 30 | 60;
  /** Local time minus UTC of the periods, minutes, −840 to 840 (default 0: UTC days and intervals). */
  utcOffsetMinutes?: number;
  /** Most tenant × queue × period rows kept (default 200,000); more is refused, naming the bound. */
  maxRows?: number;
}

/** Most distinct reasons {@link ReplayResult.ignoredByReason} lists; the rest count under `other`. */
export const MAX_IGNORED_REASONS = 50;

/** A line the decoder refused. */
export interface ReplayError {
  /** 1-based line number. */
  line: number;
  /** Stable cause (`truncated`, `malformed`, `unknown-event`, `schema`, …). */
  code: string;
  reason: string;
}

/** Figures of one queue (skill group) for the whole input or one period. Times in seconds (3 decimals), ratios 0–1 (4 decimals). */
export interface QueueFigures {
  /**
   * With `by`: the period's local start, `YYYY-MM-DD` (day) or `YYYY-MM-DDTHH:MM` (interval), at the
   * replay's UTC offset; absent for whole-input figures.
   */
  period?: string;
  tenant: string;
  queue: string;
  /** Calls that entered the queue. */
  offered: number;
  /** Calls connected to an agent. */
  answered: number;
  /** Callers who hung up while waiting. */
  abandoned: number;
  /** Abandoned after waiting less than the short-abandon threshold. */
  shortAbandons: number;
  /** Left on the queue's timeout. */
  timedOut: number;
  /** Left by pressing a key. */
  exitedWithKey: number;
  /** Left because the queue had no reachable member. */
  exitedEmpty: number;
  /** Transferred out by the agent. */
  transferred: number;
  /** Mean wait of answered calls, s. */
  asaSec: number | null;
  /** Mean talk time of calls that completed or were transferred after being answered, s. */
  avgTalkSec: number | null;
  /** Longest wait of any call that left the queue, however it left, s. */
  maxWaitSec: number | null;
  /** The four service-level variants at T = `serviceLevelSec`. */
  serviceLevel: Record<ServiceLevelVariant, number | null>;
}

/** What {@link replay} found. */
export interface ReplayResult {
  /** Per queue (and per period with `by`), ordered by period, then tenant, then queue. */
  queues: QueueFigures[];
  /** Bad lines in file order (at most `maxErrors`). */
  errors: ReplayError[];
  errorCount: number;
  /** Lines read, blank ones included. */
  lines: number;
  /** Distinct events decoded (every source). */
  events: number;
  /** Events dropped as repeats of an id already seen. */
  duplicates: number;
  /** Lines that are well formed but carry nothing measured (informational records, a dialplan's own lines). */
  ignored: number;
  /** {@link ignored} by reason (`CONFIGRELOAD is informational`, `OUTBOUND is not a queue event`), at most {@link MAX_IGNORED_REASONS} and `other`. */
  ignoredByReason: Record<string, number>;
}

function seconds(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms) / 1000;
}

function figures(tenant: string, queue: string, s: SkillGroupSums, period: string | undefined): QueueFigures {
  const sl = serviceLevels(s);
  for (const k of Object.keys(sl) as ServiceLevelVariant[]) sl[k] = sl[k] === null ? null : Math.round(sl[k] * 10_000) / 10_000;
  return {
    ...(period === undefined ? {} : { period }),
    tenant,
    queue,
    offered: s.offered,
    answered: s.answered,
    abandoned: s.abandoned,
    shortAbandons: s.shortAbandons,
    timedOut: s.overflowedByReason.timeout ?? 0,
    exitedWithKey: s.overflowedByReason.key ?? 0,
    exitedEmpty: s.overflowedByReason.empty ?? 0,
    transferred: s.transferred,
    asaSec: seconds(averageSpeedOfAnswer(s)),
    avgTalkSec: seconds(averageTalkTime(s)),
    maxWaitSec: seconds(longestWait(s)),
    serviceLevel: sl,
  };
}

function wholeSeconds(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be a whole number of seconds ≥ 0, got ${v}`);
  return v * 1000;
}

/** Start of the period holding `ts` (epoch ms) and its local label; periods are `lengthMs` long, local to `offsetMs`. */
function periodOf(ts: number, lengthMs: number, offsetMs: number, day: boolean): { start: number; label: string } {
  const local = Math.floor((ts + offsetMs) / lengthMs) * lengthMs;
  const iso = new Date(local).toISOString();
  return { start: local - offsetMs, label: day ? iso.slice(0, 10) : iso.slice(0, 16) };
}

/**
 * Decodes `lines` (a file read line by line) with the chosen decoder, puts the events back in event
 * time (within `reorderHorizonMs`), drops repeated ids, and adds each queue's call events into
 * {@link SkillGroupSums}; returns per-queue figures for the whole input — or per day or interval with
 * `by` — and the bad lines. Events of any age are taken (the age bound belongs to live ingest): a replay
 * is history. Memory stays bounded by the reorder horizon, the rows (`maxRows`) and `maxErrors`, however
 * long the input. Blank lines carry nothing and are skipped; ignored lines are counted. Throws on invalid
 * options (naming the option) and when the rows would pass `maxRows`.
 */
export async function replay(lines: AsyncIterable<string> | Iterable<string>, opts: ReplayOptions): Promise<ReplayResult> {
  const decoder = typeof opts.format === 'string' ? decoderFor(opts.format, { history: true }) : opts.format;
  if (!decoder) throw new RangeError(`format must be one of ${decoderNames().join(', ')}, got '${String(opts.format)}'`);
  if (!isTenantName(opts.tenant))
    throw new RangeError(`tenant must be lower-case letters, digits, _ and - (at most 63), got '${opts.tenant}'`);
  const thresholds = {
    serviceLevelMs: wholeSeconds('serviceLevelSec', opts.serviceLevelSec ?? 20),
    shortAbandonMs: wholeSeconds('shortAbandonSec', opts.shortAbandonSec ?? 5),
  };
  const maxErrors = opts.maxErrors ?? 10_000;
  const maxRows = opts.maxRows ?? 200_000;
  const offsetMin = opts.utcOffsetMinutes ?? 0;
  if (!Number.isInteger(offsetMin) || Math.abs(offsetMin) > 840)
    throw new RangeError(`utcOffsetMinutes must be a whole number of minutes from -840 to 840, got ${offsetMin}`);
  const intervalMin = opts.intervalMinutes ?? 15;
  if (intervalMin !== 15 && intervalMin !== 30 && intervalMin !== 60)
    throw new RangeError(`intervalMinutes must be 15, 30 or 60, got ${String(intervalMin)}`);
  if (opts.by !== undefined && opts.by !== 'day' && opts.by !== 'interval')
    throw new RangeError(`by must be day or interval, got '${String(opts.by)}'`);
  const periodMs = opts.by === 'day' ? 86_400_000 : intervalMin * 60_000;
  const order = new EventTimeOrder<TelemetryEvent>(opts.reorderHorizonMs ?? 60_000);
  const sums = new Map<string, { tenant: string; queue: string; start: number; period?: string; sums: SkillGroupSums }>();
  const errors: ReplayError[] = [];
  const ignoredByReason: Record<string, number> = {};
  let ignoredReasons = 0;
  let ignored = 0;
  let errorCount = 0;
  let lineNo = 0;
  let events = 0;

  const apply = (released: TelemetryEvent[]) => {
    for (const e of released) {
      events++;
      if (e.source !== 'skillgroup') continue;
      const p = opts.by === undefined ? undefined : periodOf(e.ts, periodMs, offsetMin * 60_000, opts.by === 'day');
      const key = `${p?.start ?? ''}\u0000${e.tenant}\u0000${e.body.skillGroup}`;
      let q = sums.get(key);
      if (!q) {
        if (sums.size >= maxRows)
          throw new RangeError(
            `more than ${maxRows} queue${opts.by ? ' × period' : ''} rows: replay a smaller file${opts.by === 'interval' ? ' or use --by day' : ''}`,
          );
        q = { tenant: e.tenant, queue: e.body.skillGroup, start: p?.start ?? 0, sums: emptySkillGroupSums(thresholds) };
        if (p) q.period = p.label;
        sums.set(key, q);
      }
      q.sums = addSkillGroupEvent(q.sums, e.body);
    }
  };

  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    for (const item of decoder.decode(line, { tenant: opts.tenant, now: opts.now, lineNo })) {
      if (item.ok === true) {
        apply(order.push(item.event));
        continue;
      }
      if (item.ok === 'ignored') {
        ignored++;
        const known = Object.hasOwn(ignoredByReason, item.reason);
        const reason = known || ignoredReasons < MAX_IGNORED_REASONS ? item.reason : 'other';
        if (!known && reason !== 'other') ignoredReasons++;
        ignoredByReason[reason] = (ignoredByReason[reason] ?? 0) + 1;
        continue;
      }
      const err: ReplayError = { line: lineNo, code: item.code, reason: item.reason };
      errorCount++;
      if (errors.length < maxErrors) errors.push(err);
      opts.onError?.(err);
    }
  }
  apply(order.drain());

  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const queues = [...sums.values()]
    .sort((a, b) => a.start - b.start || cmp(a.tenant, b.tenant) || cmp(a.queue, b.queue))
    .map((q) => figures(q.tenant, q.queue, q.sums, q.period));
  return { queues, errors, errorCount, lines: lineNo, events, duplicates: order.duplicates, ignored, ignoredByReason };
}
