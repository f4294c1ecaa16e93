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
}

/** A line the decoder refused. */
export interface ReplayError {
  /** 1-based line number. */
  line: number;
  /** Stable cause (`truncated`, `malformed`, `unknown-event`, `schema`, …). */
  code: string;
  reason: string;
}

/** Whole-input figures of one queue (skill group). Times in seconds (3 decimals), ratios 0–1 (4 decimals). */
export interface QueueFigures {
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
  /** Per queue, ordered by tenant then queue. */
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
}

function seconds(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms) / 1000;
}

function figures(tenant: string, queue: string, s: SkillGroupSums): QueueFigures {
  const sl = serviceLevels(s);
  for (const k of Object.keys(sl) as ServiceLevelVariant[]) sl[k] = sl[k] === null ? null : Math.round(sl[k] * 10_000) / 10_000;
  return {
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

/**
 * Decodes `lines` (a file read line by line) with the chosen decoder, puts the events back in event
 * time (within `reorderHorizonMs`), drops repeated ids, and adds each queue's call events into
 * {@link SkillGroupSums}; returns per-queue figures for the whole input and the bad lines. Memory stays
 * bounded by the reorder horizon, the number of queues and `maxErrors`, however long the input.
 * Blank lines carry nothing and are skipped. Throws only on invalid options (naming the option).
 */
export async function replay(lines: AsyncIterable<string> | Iterable<string>, opts: ReplayOptions): Promise<ReplayResult> {
  const decoder = typeof opts.format === 'string' ? decoderFor(opts.format) : opts.format;
  if (!decoder) throw new RangeError(`format must be one of ${decoderNames().join(', ')}, got '${String(opts.format)}'`);
  if (!isTenantName(opts.tenant))
    throw new RangeError(`tenant must be lower-case letters, digits, _ and - (at most 63), got '${opts.tenant}'`);
  const thresholds = {
    serviceLevelMs: wholeSeconds('serviceLevelSec', opts.serviceLevelSec ?? 20),
    shortAbandonMs: wholeSeconds('shortAbandonSec', opts.shortAbandonSec ?? 5),
  };
  const maxErrors = opts.maxErrors ?? 10_000;
  const order = new EventTimeOrder<TelemetryEvent>(opts.reorderHorizonMs ?? 60_000);
  const sums = new Map<string, { tenant: string; queue: string; sums: SkillGroupSums }>();
  const errors: ReplayError[] = [];
  let errorCount = 0;
  let lineNo = 0;
  let events = 0;

  const apply = (released: TelemetryEvent[]) => {
    for (const e of released) {
      events++;
      if (e.source !== 'skillgroup') continue;
      const key = `${e.tenant}\u0000${e.body.skillGroup}`;
      const q = sums.get(key) ?? { tenant: e.tenant, queue: e.body.skillGroup, sums: emptySkillGroupSums(thresholds) };
      q.sums = addSkillGroupEvent(q.sums, e.body);
      sums.set(key, q);
    }
  };

  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    for (const item of decoder.decode(line, { tenant: opts.tenant, now: opts.now, lineNo })) {
      if (item.ok) {
        apply(order.push(item.event));
        continue;
      }
      const err: ReplayError = { line: lineNo, code: item.code, reason: item.reason };
      errorCount++;
      if (errors.length < maxErrors) errors.push(err);
      opts.onError?.(err);
    }
  }
  apply(order.drain());

  const queues = [...sums.values()]
    .sort((a, b) => (a.tenant === b.tenant ? (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0) : a.tenant < b.tenant ? -1 : 1))
    .map((q) => figures(q.tenant, q.queue, q.sums));
  return { queues, errors, errorCount, lines: lineNo, events, duplicates: order.duplicates };
}
