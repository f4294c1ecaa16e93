/**
 * From the SLA timer service to the outbox: a fired timer becomes one alert whose id is the timer's (without the
 * retry suffix), so a timer fired twice (its instance died between raising and acking) raises one alert.
 */
import {
  ALERT_CHANNELS,
  type AlertChannelName,
  type AlertRequest,
  type AlertSink,
  REMINDER_STEPS,
  type ReminderStepName,
} from '../../core/alerts.js';
import type { Notification, Notifier } from '../sla/notifier.js';

/** How long a fired timer's id keeps a second raise out, ms (30 days: longer than any retry or restart). */
export const TIMER_ALERT_DEDUPE_MS = 30 * 24 * 3_600_000;

/** The alert of a fired SLA timer (warning level, breach, or a notify node's message). Pure. */
export function alertOfTimer(n: Notification): AlertRequest {
  const t = n.timer;
  const id = t.id.replace(/#\d+$/, '');
  const channel: AlertChannelName = (ALERT_CHANNELS as readonly string[]).includes(t.channel) ? (t.channel as AlertChannelName) : 'log';
  return {
    id,
    tenant: t.tenant,
    kind: t.kind === 'warning' ? 'sla-warning' : t.kind === 'breach' ? 'sla-breach' : 'notify',
    channel,
    recipients: t.recipients.slice(0, 64),
    facts: {
      timerId: id,
      ticketId: t.ticketId,
      nodeId: t.nodeId,
      kind: t.kind,
      level: t.level,
      repeat: t.repeat,
      message: t.message.slice(0, 2_000),
      dueAt: new Date(t.dueAt).toISOString(),
      firedAt: new Date(n.firedAt).toISOString(),
      late: n.late,
      latenessMs: n.latenessMs,
      ...(t.flow && { flowId: t.flow.id, flowVersion: t.flow.version }),
      ...(t.detail?.used !== undefined && { used: t.detail.used }),
      ...(t.detail?.total !== undefined && { total: t.detail.total }),
      ...(t.detail?.title !== undefined && { ticketTitle: t.detail.title.slice(0, 500) }),
    },
    ticketId: t.ticketId,
    ...(t.detail?.remind && {
      remind: t.detail.remind
        .filter((x): x is ReminderStepName => (REMINDER_STEPS as readonly string[]).includes(x))
        .slice(0, REMINDER_STEPS.length),
    }),
    at: n.firedAt,
  };
}

/**
 * The timer service's {@link Notifier} when alerts are delivered through the outbox: raising is all it does, so a
 * timer is acked once its alert is stored (the worker delivers it, retries and records). A store that cannot be
 * reached rejects (retriable): the timer service retries or leaves the timer to be claimed again.
 */
export function outboxNotifier(sink: AlertSink): Notifier {
  return {
    async notify(n) {
      await sink.raise(alertOfTimer(n), { dedupeMs: TIMER_ALERT_DEDUPE_MS });
    },
  };
}
