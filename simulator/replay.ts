/**
 * Replay of the "Anonymous Bank" call records (Ilan Guedj and Avi Mandelbaum, Technion; a bank's
 * call center in Israel, October 1999; see `dataset.ts` and `shared/data/README.md`) as normalized
 * skill-group events, and a per-service-type summary of the file.
 *
 * Each call becomes, in skill group = its service type:
 * - queued and served: OFFERED at q_start, ANSWERED at ser_start (waitMs = q_time·1000, agentId =
 *   server), COMPLETED at ser_exit (talkMs = ser_time·1000);
 * - queued and hung up: OFFERED at q_start, ABANDONED at q_exit (waitMs = q_time·1000);
 * - served without queueing (q_start 0:00:00, outcome AGENT: the call went straight to a free agent):
 *   OFFERED and ANSWERED at ser_start with waitMs 0, COMPLETED at ser_exit — or nothing, with
 *   `direct: 'skip'`;
 * - hung up in the VRU before reaching the queue (q_start 0:00:00, outcome HANG): nothing.
 */
import type { SkillGroupBody, SkillGroupEvent } from '../pipelines/events/types.js';
import { SERVICE_TYPES, type BankCall, type DatasetLoad, type MalformedCode, type NoteCode, type ServiceType } from './dataset.js';

/** Tenant of the replayed events. */
export const ANONYMOUS_BANK_TENANT = 'anonymous-bank';

/** Options of {@link bankCallEvents} and {@link replayBankEvents}. */
export interface ReplayOptions {
  /** Tenant of the events (default `anonymous-bank`). */
  readonly tenant?: string;
  /** Added to every event time, ms (default 0: the times of 1999). */
  readonly shiftMs?: number;
  /** What calls served without queueing produce (default `answered`). */
  readonly direct?: 'answered' | 'skip';
}

/** The events of one call, in their order. */
export function bankCallEvents(call: BankCall, o: ReplayOptions = {}): SkillGroupEvent[] {
  const tenant = o.tenant ?? ANONYMOUS_BANK_TENANT;
  const shift = o.shiftMs ?? 0;
  const callId = `${call.vruLine}-${call.callId}`;
  const ev = (suffix: string, ts: number, type: SkillGroupBody['type'], extra: Partial<SkillGroupBody> = {}): SkillGroupEvent => ({
    v: 1,
    tenant,
    source: 'skillgroup',
    id: `ab-${callId}-${suffix}`,
    ts: ts + shift,
    body: { skillGroup: call.type, callId, type, priority: call.priority, ...extra },
  });
  const agent = call.server === null ? {} : { agentId: call.server };
  const s = call.service;
  if (!call.queue) {
    if (!s || o.direct === 'skip') return [];
    return [
      ev('o', s.start, 'OFFERED'),
      ev('a', s.start, 'ANSWERED', { waitMs: 0, ...agent }),
      ev('c', s.exit, 'COMPLETED', { waitMs: 0, talkMs: s.sec * 1000, ...agent }),
    ];
  }
  const q = call.queue;
  const waitMs = q.sec * 1000;
  if (!s) return [ev('o', q.start, 'OFFERED'), ev('x', q.exit, 'ABANDONED', { waitMs })];
  return [
    ev('o', q.start, 'OFFERED'),
    ev('a', s.start, 'ANSWERED', { waitMs, ...agent }),
    ev('c', s.exit, 'COMPLETED', { waitMs, talkMs: s.sec * 1000, ...agent }),
  ];
}

/** Every call's events in event-time order (ties keep the file's order, and each call's own order). */
export function replayBankEvents(calls: readonly BankCall[], o: ReplayOptions = {}): SkillGroupEvent[] {
  return calls.flatMap((c) => bankCallEvents(c, o)).sort((a, b) => a.ts - b.ts);
}

/** Figures of one service type (or of all). Durations in seconds. */
export interface ServiceTypeSummary {
  /** Valid, non-phantom calls. */
  calls: number;
  /** Calls that reached the queue (q_start set). */
  queued: number;
  /** Calls served by an agent (outcome AGENT), queued or not. */
  answered: number;
  /** Of them, served without queueing. */
  direct: number;
  /** Calls that hung up after queueing. */
  abandoned: number;
  /** Calls that hung up in the VRU, never queued: no queue events. */
  vruOnly: number;
  /** Mean wait of answered calls (direct ones wait 0). */
  meanWaitAnsweredSec: number | null;
  /** Mean wait of answered calls that queued. */
  meanWaitQueuedAnsweredSec: number | null;
  /** Mean service time of answered calls. */
  meanServiceSec: number | null;
  /** Malformed records of this type (skipped), by reason code. */
  malformed: number;
  malformedByCode: Partial<Record<MalformedCode, number>>;
}

/** The whole file in figures. */
export interface DatasetSummary {
  /** Lines read, the header included. */
  lines: number;
  phantom: number;
  malformed: { count: number; byCode: Partial<Record<MalformedCode, number>>; records: DatasetLoad['malformed'] };
  /** Kept records with an oddity, by kind. */
  notes: Record<NoteCode, number>;
  byType: Record<ServiceType, ServiceTypeSummary>;
  /** Every type together; its malformed count includes records whose type column is unreadable. */
  total: ServiceTypeSummary;
}

interface Sums {
  s: ServiceTypeSummary;
  wait: number;
  queuedAnswered: number;
  queuedWait: number;
  service: number;
}

const empty = (): Sums => ({
  s: {
    calls: 0,
    queued: 0,
    answered: 0,
    direct: 0,
    abandoned: 0,
    vruOnly: 0,
    meanWaitAnsweredSec: null,
    meanWaitQueuedAnsweredSec: null,
    meanServiceSec: null,
    malformed: 0,
    malformedByCode: {},
  },
  wait: 0,
  queuedAnswered: 0,
  queuedWait: 0,
  service: 0,
});

function add(x: Sums, c: BankCall): void {
  const s = x.s;
  s.calls++;
  if (c.queue) s.queued++;
  if (c.service) {
    s.answered++;
    x.service += c.service.sec;
    if (c.queue) {
      x.queuedAnswered++;
      x.queuedWait += c.queue.sec;
      x.wait += c.queue.sec;
    } else s.direct++;
  } else if (c.queue) s.abandoned++;
  else s.vruOnly++;
}

function finish(x: Sums): ServiceTypeSummary {
  const s = x.s;
  return {
    ...s,
    meanWaitAnsweredSec: s.answered ? x.wait / s.answered : null,
    meanWaitQueuedAnsweredSec: x.queuedAnswered ? x.queuedWait / x.queuedAnswered : null,
    meanServiceSec: s.answered ? x.service / s.answered : null,
  };
}

/** Figures per service type: calls, queued, answered, abandoned, mean wait, mean service time, malformed records. */
export function summariseDataset(load: DatasetLoad): DatasetSummary {
  const per = new Map<ServiceType, Sums>(SERVICE_TYPES.map((t) => [t, empty()]));
  const all = empty();
  for (const c of load.calls) {
    add(per.get(c.type)!, c);
    add(all, c);
  }
  const byCode: Partial<Record<MalformedCode, number>> = {};
  for (const m of load.malformed) {
    byCode[m.code] = (byCode[m.code] ?? 0) + 1;
    for (const x of m.type ? [per.get(m.type)!, all] : [all]) {
      x.s.malformed++;
      x.s.malformedByCode[m.code] = (x.s.malformedByCode[m.code] ?? 0) + 1;
    }
  }
  const notes = Object.fromEntries(Object.entries(load.notes).map(([k, v]) => [k, v.length])) as Record<NoteCode, number>;
  return {
    lines: load.lines,
    phantom: load.phantom,
    malformed: { count: load.malformed.length, byCode, records: load.malformed },
    notes,
    byType: Object.fromEntries(SERVICE_TYPES.map((t) => [t, finish(per.get(t)!)])) as Record<ServiceType, ServiceTypeSummary>,
    total: finish(all),
  };
}
