import { ALERT_CHANNELS, type AlertChannelName } from '../../core/alerts.js';
import { BusinessCalendar, continuousTime, type CalendarSpec, type WorkingTime } from './calendar.js';

/**
 * Notification channels a warning or notify node may name (`core/alerts.ts`): `message` (each person's preferred
 * channel), `email`, `sms`, `phone`, `wecom`, `webhook`, `log`. A flow naming another is refused at deploy; one
 * naming a channel this deployment has no adapter for is accepted (the person's other channels, then the
 * deployment's fallback, carry it).
 */
export const CHANNELS = ALERT_CHANNELS;
/** A notification channel name. */
export type ChannelName = AlertChannelName;

/** One escalation level of an SLA: when it first fires and how often it repeats. */
export interface WarningPolicy {
  /** 1-based level, in firing order. */
  readonly level: number;
  /** SLA time (working, unpaused) after node entry at which the level first fires, ms. */
  readonly delayMs: number;
  /** Channel the warning goes out on. */
  readonly channel: ChannelName;
  /** Extra firings after the first (0 = fire once). */
  readonly repeat: number;
  /** SLA time between repeats, ms (> 0 when `repeat` > 0). */
  readonly intervalMs: number;
  /** Recipients as principal refs (`user:ann`, `group:managers`, `assignees`); empty = the node's assignees. */
  readonly notify: readonly string[];
}

/**
 * The SLA of one node, resolved from its definition: plain data, so it is stored on the
 * ticket and re-applied without the flow at hand.
 */
export interface SlaPolicy {
  /** SLA time until breach, ms. */
  readonly durationMs: number;
  /** Business calendar; absent = round-the-clock. */
  readonly calendar?: CalendarSpec;
  /** Ticket hold statuses (e.g. `waiting_for_customer`) that stop the clock. */
  readonly pauseOn: readonly string[];
  /** Escalation levels, ordered by `delayMs`. */
  readonly warnings: readonly WarningPolicy[];
  /** Channel announcing the breach itself. */
  readonly breachChannel: ChannelName;
}

const calendars = new WeakMap<CalendarSpec, WorkingTime>();
/** Calendars by content: tickets read back from a store carry equal specs in new objects. */
const byContent = new Map<string, WorkingTime>();
const MAX_BY_CONTENT = 512;

/** The working-time model of a policy (its calendar, or round-the-clock); cached per spec object and per content. */
export function workingTimeOf(policy: SlaPolicy): WorkingTime {
  const spec = policy.calendar;
  if (!spec) return continuousTime;
  let cal = calendars.get(spec);
  if (!cal) {
    const key = JSON.stringify(spec);
    cal = byContent.get(key);
    if (!cal) {
      cal = new BusinessCalendar(spec);
      if (byContent.size >= MAX_BY_CONTENT) byContent.delete(byContent.keys().next().value as string);
      byContent.set(key, cal);
    }
    calendars.set(spec, cal);
  }
  return cal;
}
