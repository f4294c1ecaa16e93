import { BusinessCalendar, type CalendarSpec } from '../sla/calendar.js';
import { formatDuration, parseDuration } from '../sla/duration.js';
import type { SlaPolicy, WarningPolicy } from '../sla/policy.js';
import type { SlaDoc } from './document.js';
import type { IssueList } from './issues.js';

/**
 * Checks a node's `sla` and resolves it to a {@link SlaPolicy}: durations parsed, the
 * calendar looked up (or checked inline), warning levels numbered in order.
 *
 * @param path where the SLA sits, e.g. `nodes[2].sla`
 * @param calendars the flow's named calendars (already checked)
 * @returns the policy, or undefined after recording issues
 */
export function compileSla(
  doc: SlaDoc,
  path: string,
  calendars: Readonly<Record<string, CalendarSpec>>,
  issues: IssueList,
): SlaPolicy | undefined {
  const before = issues.size;
  const durationMs = issues.capture(`${path}.duration`, () => parseDuration(doc.duration, `${path}.duration`));
  if (durationMs === 0) issues.add(`${path}.duration`, 'must be longer than 0');

  let calendar: CalendarSpec | undefined;
  if (typeof doc.calendar === 'string') {
    calendar = calendars[doc.calendar];
    if (!calendar) {
      const known = Object.keys(calendars);
      issues.add(`${path}.calendar`, `unknown calendar "${doc.calendar}" (defined: ${known.length ? known.join(', ') : 'none'})`);
    }
  } else if (doc.calendar) {
    const spec = doc.calendar;
    if (issues.capture(`${path}.calendar`, () => new BusinessCalendar(spec, `${path}.calendar`))) calendar = spec;
  }

  const warnings: WarningPolicy[] = [];
  (doc.warnings ?? []).forEach((w, i) => {
    const at = `${path}.warnings[${i}]`;
    const delayMs = issues.capture(`${at}.delay`, () => parseDuration(w.delay, `${at}.delay`));
    const repeat = w.repeat ?? 0;
    let intervalMs = 0;
    if (w.interval !== undefined) intervalMs = issues.capture(`${at}.interval`, () => parseDuration(w.interval, `${at}.interval`)) ?? 0;
    if (repeat > 0 && intervalMs <= 0) issues.add(`${at}.interval`, `repeat ${repeat} needs an interval longer than 0`);
    if (delayMs === undefined) return;
    const prev = warnings[warnings.length - 1];
    if (prev && delayMs <= prev.delayMs) {
      issues.add(
        `${at}.delay`,
        `${formatDuration(delayMs)} must come after level ${prev.level}'s ${formatDuration(prev.delayMs)}: levels are listed in firing order`,
      );
    }
    warnings.push({ level: i + 1, delayMs, channel: w.channel, repeat, intervalMs, notify: [...(w.notify ?? [])] });
  });

  if (issues.size > before || durationMs === undefined) return undefined;
  const policy: SlaPolicy = { durationMs, pauseOn: [...(doc.pauseOn ?? [])], warnings, breachChannel: doc.breachChannel ?? 'log' };
  return calendar ? { ...policy, calendar } : policy;
}
