/**
 * Who gets an alert over what: the pure step between an alert and its deliveries. Each person gets one delivery
 * on the first channel of their list that has an address and an adapter (the alert's channel first, then the
 * reminder method — the flow's `remind` of the node's assignees, `preferred` standing for the person's own order —
 * or, without one, the person's preferred channels; `message` is that list alone), with the rest of that list kept as
 * fallbacks; the channels passed over on the way are reported undeliverable, once per person. `wecom` also posts once to the group robot
 * when one is configured; `log` is one log line. An alert that reaches nobody goes to the deployment's fallback
 * (its webhook, else the log), so nothing raised is silently dropped.
 */
import type { AlertChannelName, AlertRequest } from '../../core/alerts.js';
import type { Contact, ContactChannel } from '../people/ports.js';
import { expandJobId, type OutboxJob } from './outbox.js';
import { chooseLanguage } from './templates.js';
import { type Delivery, type DeliveryChannel, SYSTEM_RECIPIENTS } from './types.js';

/** A person's channel order when they state none. */
export const DEFAULT_PREFERENCE: readonly ContactChannel[] = ['wecom', 'email', 'sms', 'voice', 'webhook'];

/** The person channel an alert channel names; undefined for `message` (the person's own order) and `log`. */
export const CONTACT_CHANNEL: Readonly<Record<AlertChannelName, ContactChannel | undefined>> = {
  message: undefined,
  email: 'email',
  sms: 'sms',
  phone: 'voice',
  wecom: 'wecom',
  webhook: 'webhook',
  log: undefined,
};

/** What the planner knows of the deployment. */
export interface PlanContext {
  /** Delivery channels with an adapter. */
  readonly configured: ReadonlySet<DeliveryChannel>;
  /** Language of the tenant (else the deployment's default). */
  readonly language: (tenant: string) => string;
  /** The deployment's fallback webhook (`SLUICE_WEBHOOK_URL`); without it the fallback is the log. */
  readonly fallbackWebhook?: string;
}

/** The channels passed over for a person (one record per person): the first of them, and why each was. */
export interface Skipped {
  readonly recipient: string;
  /** The first channel passed over (the alert's own, when it was). */
  readonly channel: DeliveryChannel;
  /** e.g. `no address: sms, wecom; not configured: voice`. */
  readonly reason: string;
}

/** The deliveries of an alert and the channels skipped on the way. */
export interface Plan {
  readonly jobs: OutboxJob[];
  readonly skipped: Skipped[];
}

const deliverJob = (alert: AlertRequest, d: Omit<Delivery, 'id' | 'tenant' | 'alertId'>): OutboxJob => {
  const id = `${expandJobId(alert)}|${d.recipient}|${d.channel}`;
  return { kind: 'deliver', id, tenant: alert.tenant, alert, delivery: { id, tenant: alert.tenant, alertId: alert.id, ...d } };
};

/** The log delivery of an alert (one per alert: the id is fixed). */
export function logJob(alert: AlertRequest, ctx: PlanContext): OutboxJob {
  const language = chooseLanguage(undefined, alert.language, ctx.language(alert.tenant));
  return deliverJob(alert, { recipient: SYSTEM_RECIPIENTS.log, channel: 'log', address: 'log', language, fallbacks: [] });
}

/** The deployment's fallback delivery of an alert: its webhook, else the log (one per alert: the id is fixed). */
export function fallbackJob(alert: AlertRequest, ctx: PlanContext): OutboxJob {
  if (ctx.fallbackWebhook === undefined || !ctx.configured.has('webhook')) return logJob(alert, ctx);
  const language = chooseLanguage(undefined, alert.language, ctx.language(alert.tenant));
  return deliverJob(alert, {
    recipient: SYSTEM_RECIPIENTS.fallback,
    channel: 'webhook',
    address: ctx.fallbackWebhook,
    language,
    fallbacks: [],
  });
}

/** The next delivery down a person's list after `failed` failed for good, or undefined at the end of it. */
export function nextFallback(job: Extract<OutboxJob, { kind: 'deliver' }>): OutboxJob | undefined {
  const [next, ...rest] = job.delivery.fallbacks;
  if (!next) return undefined;
  const { id: _id, tenant: _t, alertId: _a, ...d } = job.delivery;
  return deliverJob(job.alert, { ...d, channel: next.channel, address: next.address, fallbacks: rest });
}

/** See the module comment. Pure. */
export function planDeliveries(alert: AlertRequest, contacts: readonly Contact[], ctx: PlanContext): Plan {
  const jobs: OutboxJob[] = [];
  const skipped: Skipped[] = [];
  const tenantLanguage = ctx.language(alert.tenant);
  if (alert.channel === 'log') return { jobs: [logJob(alert, ctx)], skipped };
  const wanted = CONTACT_CHANNEL[alert.channel];
  const robot = alert.channel === 'wecom' && ctx.configured.has('wecom-robot');
  let reached = 0;
  for (const c of contacts) {
    const own = c.preferred ?? DEFAULT_PREFERENCE;
    // The flow's reminder method when it names one (`preferred` = the person's own order), else the person's order.
    const method = alert.remind ? [...new Set(alert.remind.flatMap((step) => (step === 'preferred' ? own : [step])))] : own;
    const order = wanted === undefined ? method : [wanted, ...method.filter((x) => x !== wanted)];
    const viable: { channel: DeliveryChannel; address: string }[] = [];
    const noAddress: DeliveryChannel[] = [];
    const notConfigured: DeliveryChannel[] = [];
    for (const channel of [...new Set(order)]) {
      const address = c.addresses[channel];
      // The robot speaks for WeChat Work when the application is not configured: nobody falls back from it.
      if (robot && channel === 'wecom' && !ctx.configured.has('wecom')) break;
      if (address === undefined || address === '') {
        if (viable.length === 0) noAddress.push(channel);
      } else if (!ctx.configured.has(channel)) {
        if (viable.length === 0) notConfigured.push(channel);
      } else viable.push({ channel, address });
    }
    // One record per person for the channels passed over before the one used (or all of them).
    const passed = [...noAddress, ...notConfigured];
    if (passed.length > 0) {
      const reason = [
        noAddress.length > 0 && `no address: ${noAddress.join(', ')}`,
        notConfigured.length > 0 && `not configured: ${notConfigured.join(', ')}`,
      ]
        .filter(Boolean)
        .join('; ');
      skipped.push({ recipient: c.personId, channel: order.find((ch) => passed.includes(ch)) ?? passed[0]!, reason });
    }
    const [first, ...fallbacks] = viable;
    if (!first) continue;
    reached++;
    const language = chooseLanguage(c.language, alert.language, tenantLanguage);
    jobs.push(deliverJob(alert, { recipient: c.personId, ...(c.name !== undefined && { name: c.name }), ...first, language, fallbacks }));
  }
  if (robot) {
    const mobiles = [...new Set(contacts.flatMap((c) => c.addresses.sms ?? c.addresses.voice ?? []))];
    const language = chooseLanguage(undefined, alert.language, tenantLanguage);
    jobs.push(
      deliverJob(alert, {
        recipient: SYSTEM_RECIPIENTS.robot,
        channel: 'wecom-robot',
        address: mobiles.join(','),
        language,
        fallbacks: [],
      }),
    );
    reached++;
  }
  if (reached === 0) jobs.push(fallbackJob(alert, ctx));
  return { jobs, skipped };
}
