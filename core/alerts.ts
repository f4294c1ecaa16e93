/**
 * The alert request: what crosses from the rooms that raise alerts (the workflow's SLA timers, the control
 * loop's centre rules) to the outbox the workflow's delivery worker drains. Declared once for both sides, with
 * the check a request read from outside the process (Redis) goes through, and the port the raising side holds.
 */

/**
 * Channels an alert may name (flow warnings, notify nodes, centre rules): `message` is each person's preferred
 * channel (falling back down their list), `phone` a voice call, `wecom` WeChat Work, `log` a log line.
 */
export const ALERT_CHANNELS = ['message', 'email', 'sms', 'phone', 'wecom', 'webhook', 'log'] as const;
/** A channel an alert may name. */
export type AlertChannelName = (typeof ALERT_CHANNELS)[number];

/** Steps of a reminder method: a person's own order (`preferred`) or one channel. */
export const REMINDER_STEPS = ['preferred', 'email', 'sms', 'voice', 'wecom', 'webhook'] as const;
/** A step of a reminder method. */
export type ReminderStepName = (typeof REMINDER_STEPS)[number];

/** What an alert is about; picks its templates. */
export const ALERT_KINDS = ['sla-warning', 'sla-breach', 'notify', 'centre-level', 'centre-breaker', 'centre-service-level'] as const;
/** What an alert is about. */
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Bounds of an alert request (a request beyond one is refused before it is stored). */
export const ALERT_LIMITS = Object.freeze({
  idLength: 256,
  recipients: 64,
  refLength: 256,
  facts: 32,
  factKeyLength: 64,
  factValueLength: 2_000,
  languageLength: 35,
});

/** A fact a template may show: plain scalars only. */
export type AlertFact = string | number | boolean;

/**
 * One alert to deliver. Its `id` is the deduplication key within the tenant: the same warning, or the same centre
 * episode, raised twice (two instances, a retry, a restart) is delivered once.
 */
export interface AlertRequest {
  /** Deduplication key within the tenant, e.g. the SLA timer id `t-1/1/warning/2/0` or `level/acme/L2`. */
  readonly id: string;
  readonly tenant: string;
  readonly kind: AlertKind;
  readonly channel: AlertChannelName;
  /** Who: principal refs (`user:ann`, `group:on-duty-supervisors`, `manager:creator`…), resolved by the people directory. */
  readonly recipients: readonly string[];
  /** Template inputs (`ticketId`, `level`, `skillGroup`, `serviceLevel`, …) and, for webhooks, the payload. */
  readonly facts: Readonly<Record<string, AlertFact>>;
  /** Language of the tenant for this alert (BCP 47); a person's own language wins; absent: the deployment's default. */
  readonly language?: string;
  /** Ticket the alert is about: recipients are resolved in its context and every attempt lands in its history. */
  readonly ticketId?: string;
  /**
   * The reminder method of the people warned (a flow's assignee `remind`): the channels tried in order for `message`,
   * `preferred` standing for each person's own order; absent: the person's preferred channels.
   */
  readonly remind?: readonly ReminderStepName[];
  /** Epoch ms the alert was raised. */
  readonly at: number;
}

/** Where alerts are raised: the outbox (Redis shared by every instance, or its in-memory twin). */
export interface AlertSink {
  /**
   * Stores the alert for delivery unless one with the same tenant and id was stored within `dedupeMs`.
   *
   * @param dedupeMs how long the id keeps later requests out, ms (default: the outbox's retention)
   * @returns true when stored, false when it was a duplicate
   */
  raise(alert: AlertRequest, options?: { readonly dedupeMs?: number }): Promise<boolean>;
}

const TEXT = /^[^\p{Cc}]*$/u;
const isText = (s: unknown, max: number): s is string => typeof s === 'string' && s.length > 0 && s.length <= max && TEXT.test(s);

/**
 * Checks an alert request read from outside the process (or built from a tenant's input).
 * @returns the first problem, naming the field, or null when `x` is a valid {@link AlertRequest}
 */
export function alertRequestProblem(x: unknown): string | null {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return 'alert must be an object';
  const o = x as Record<string, unknown>;
  const L = ALERT_LIMITS;
  if (!isText(o.id, L.idLength)) return `id must be text of 1 to ${L.idLength} characters without control characters`;
  if (!isText(o.tenant, 63)) return 'tenant must be a tenant name';
  if (!ALERT_KINDS.includes(o.kind as AlertKind)) return `kind must be one of ${ALERT_KINDS.join(', ')}`;
  if (!ALERT_CHANNELS.includes(o.channel as AlertChannelName)) return `channel must be one of ${ALERT_CHANNELS.join(', ')}`;
  if (!Array.isArray(o.recipients) || o.recipients.length > L.recipients)
    return `recipients must be an array of at most ${L.recipients} refs`;
  for (let i = 0; i < o.recipients.length; i++) {
    if (!isText(o.recipients[i], L.refLength)) return `recipients[${i}] must be text of 1 to ${L.refLength} characters`;
  }
  if (typeof o.facts !== 'object' || o.facts === null || Array.isArray(o.facts)) return 'facts must be an object';
  const facts = Object.entries(o.facts);
  if (facts.length > L.facts) return `facts must have at most ${L.facts} entries`;
  for (const [k, v] of facts) {
    if (!isText(k, L.factKeyLength)) return `facts keys must be text of 1 to ${L.factKeyLength} characters`;
    const ok =
      typeof v === 'boolean' ||
      (typeof v === 'number' && Number.isFinite(v)) ||
      (typeof v === 'string' &&
        v.length <= L.factValueLength &&
        !/[\ud800-\udfff]/u.test(v.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')));
    if (!ok) return `facts.${k} must be a finite number, a boolean or a string of at most ${L.factValueLength} characters`;
  }
  if (o.language !== undefined && !(isText(o.language, L.languageLength) && /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(o.language))) {
    return 'language must be a BCP 47 tag such as en or zh-CN';
  }
  if (o.ticketId !== undefined && !isText(o.ticketId, L.idLength)) return `ticketId must be text of 1 to ${L.idLength} characters`;
  if (
    o.remind !== undefined &&
    !(
      Array.isArray(o.remind) &&
      o.remind.length <= REMINDER_STEPS.length &&
      o.remind.every((x) => REMINDER_STEPS.includes(x as ReminderStepName))
    )
  ) {
    return `remind must be an array of at most ${REMINDER_STEPS.length} of ${REMINDER_STEPS.join(', ')}`;
  }
  if (typeof o.at !== 'number' || !Number.isSafeInteger(o.at) || o.at < 0) return 'at must be epoch ms (a non-negative integer)';
  return null;
}
