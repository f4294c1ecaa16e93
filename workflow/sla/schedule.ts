import { workingTimeOf, type ChannelName, type SlaPolicy } from './policy.js';

/** A stretch of time during which the SLA clock stood still. */
export interface Pause {
  /** Epoch ms the pause began. */
  readonly from: number;
  /** Epoch ms the pause ended; absent while still paused. */
  readonly to?: number;
  /** The hold status that caused it (e.g. `waiting_for_customer`). */
  readonly status: string;
}

/**
 * The SLA clock of one node visit: when it started, when it stood still, and the policy it
 * runs under. Plain data, kept on the ticket.
 */
export interface SlaClock {
  /** Node the clock belongs to. */
  readonly nodeId: string;
  /** Node visit number on the ticket (a node re-entered gets a new clock). */
  readonly visit: number;
  /** Epoch ms of node entry. */
  readonly startedAt: number;
  /** Pauses in time order; at most the last one is open. */
  readonly pauses: readonly Pause[];
  /** Policy in force. */
  readonly policy: SlaPolicy;
  /** Epoch ms the clock stopped (node left or ticket ended). */
  readonly stoppedAt?: number;
}

/** One due instant of a clock. */
export interface ScheduleEntry {
  /** `warning` for an escalation level (or one of its repeats), `breach` for the deadline. */
  readonly kind: 'warning' | 'breach';
  /** Warning level (1-based); 0 for the breach. */
  readonly level: number;
  /** 0 for the first firing, 1.. for repeats. */
  readonly repeat: number;
  /** SLA time from node entry, ms. */
  readonly slaMs: number;
  /** Epoch ms the entry falls due. */
  readonly dueAt: number;
  /** Channel to notify on. */
  readonly channel: ChannelName;
  /** Recipients as principal refs; empty = the node's assignees. */
  readonly notify: readonly string[];
}

/** Starts a clock at node entry. */
export function startClock(nodeId: string, visit: number, startedAt: number, policy: SlaPolicy): SlaClock {
  return { nodeId, visit, startedAt, pauses: [], policy };
}

/** True while the clock stands still. */
export function isPaused(clock: SlaClock): boolean {
  const last = clock.pauses[clock.pauses.length - 1];
  return last !== undefined && last.to === undefined;
}

/** Stops the clock from `at` (epoch ms) on account of `status`; no-op when already paused or stopped. */
export function pauseClock(clock: SlaClock, at: number, status: string): SlaClock {
  if (isPaused(clock) || clock.stoppedAt !== undefined) return clock;
  return { ...clock, pauses: [...clock.pauses, { from: Math.max(at, clock.startedAt), status }] };
}

/** Restarts a paused clock at `at` (epoch ms); no-op when running. */
export function resumeClock(clock: SlaClock, at: number): SlaClock {
  if (!isPaused(clock)) return clock;
  const pauses = clock.pauses.slice(0, -1);
  const open = clock.pauses[clock.pauses.length - 1] as Pause;
  return { ...clock, pauses: [...pauses, { ...open, to: Math.max(at, open.from) }] };
}

/** Stops the clock for good at `at` (epoch ms), closing an open pause. */
export function stopClock(clock: SlaClock, at: number): SlaClock {
  if (clock.stoppedAt !== undefined) return clock;
  return { ...resumeClock(clock, at), stoppedAt: at };
}

/**
 * Puts a clock under another policy (an edited SLA, a migrated ticket) keeping its start
 * and every pause, so time already spent paused still does not count.
 */
export function reapplyPolicy(clock: SlaClock, policy: SlaPolicy): SlaClock {
  return { ...clock, policy };
}

/**
 * SLA time elapsed by `now`: working time since node entry minus working time spent paused, ms.
 *
 * @param now epoch ms
 */
export function slaElapsed(clock: SlaClock, now: number): number {
  const wt = workingTimeOf(clock.policy);
  const end = Math.min(now, clock.stoppedAt ?? now);
  let paused = 0;
  for (const p of clock.pauses) {
    paused += wt.workingTimeBetween(Math.max(p.from, clock.startedAt), Math.min(p.to ?? end, end));
  }
  return Math.max(0, wt.workingTimeBetween(clock.startedAt, end) - paused);
}

/**
 * The instant at which the clock reaches `slaMs` of SLA time, skipping non-working time
 * and pauses; `undefined` when an open pause holds it first (or the clock stopped first).
 *
 * @param slaMs SLA time from node entry, ms ≥ 0
 */
export function dueAt(clock: SlaClock, slaMs: number): number | undefined {
  const wt = workingTimeOf(clock.policy);
  let cursor = clock.startedAt;
  let remaining = slaMs;
  let due: number | undefined;
  for (const p of clock.pauses) {
    const pauseEnd = p.to ?? Number.POSITIVE_INFINITY;
    if (pauseEnd <= cursor) continue;
    const pauseStart = Math.max(p.from, cursor);
    const candidate = wt.addWorkingTime(cursor, remaining);
    if (candidate <= pauseStart) {
      due = candidate;
      break;
    }
    remaining -= wt.workingTimeBetween(cursor, pauseStart);
    if (p.to === undefined) return undefined;
    cursor = p.to;
  }
  due ??= wt.addWorkingTime(cursor, remaining);
  return clock.stoppedAt !== undefined && due > clock.stoppedAt ? undefined : due;
}

/**
 * Every warning firing (levels and repeats) and the breach of a clock, in due order.
 * Entries held by an open pause or past a stop are left out: pausing moves them out of
 * the schedule, resuming brings them back later by the paused working time.
 */
export function computeSchedule(clock: SlaClock): ScheduleEntry[] {
  const { policy } = clock;
  const out: ScheduleEntry[] = [];
  const add = (
    kind: ScheduleEntry['kind'],
    level: number,
    repeat: number,
    slaMs: number,
    channel: ChannelName,
    notify: readonly string[],
  ): void => {
    const due = dueAt(clock, slaMs);
    if (due !== undefined) out.push({ kind, level, repeat, slaMs, dueAt: due, channel, notify });
  };
  for (const w of policy.warnings) {
    for (let r = 0; r <= w.repeat; r++) add('warning', w.level, r, w.delayMs + r * w.intervalMs, w.channel, w.notify);
  }
  add('breach', 0, 0, policy.durationMs, policy.breachChannel, []);
  return out.sort((a, b) => a.dueAt - b.dueAt || a.level - b.level || a.repeat - b.repeat);
}
