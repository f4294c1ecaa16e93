/**
 * Alert templates per kind and language, as plain functions of the alert's facts: an e-mail subject and text,
 * a short SMS (one segment where the language allows: 160 GSM characters, 70 for Chinese), and one sentence a
 * voice call says. `en` and `zh-CN` ship; a language is chosen as the person's, else the alert's (the tenant's),
 * else the deployment's default, matching `zh-Hans-CN` or `zh` to `zh-CN` by its primary subtag.
 */
import type { AlertFact, AlertKind, AlertRequest } from '../../core/alerts.js';
import type { DeliveryChannel, RenderedMessage } from './types.js';

type Facts = Readonly<Record<string, AlertFact>>;

/** One kind's texts in one language. */
interface KindTemplate {
  subject(f: Facts): string;
  text(f: Facts): string;
  sms(f: Facts): string;
  speech(f: Facts): string;
}

const s = (f: Facts, k: string, dflt = ''): string => (f[k] === undefined ? dflt : String(f[k]));
const pct = (f: Facts, k: string): string => (typeof f[k] === 'number' ? `${Math.round((f[k] as number) * 1000) / 10}%` : s(f, k, '?'));
const title = (f: Facts): string => (f.ticketTitle ? ` "${s(f, 'ticketTitle')}"` : '');
const titleZh = (f: Facts): string => (f.ticketTitle ? `「${s(f, 'ticketTitle')}」` : '');

const EN: Record<AlertKind, KindTemplate> = {
  'sla-warning': {
    subject: (f) => `[SLA L${s(f, 'level')}] Ticket ${s(f, 'ticketId')}${title(f)} at ${s(f, 'nodeId')}`,
    text: (f) =>
      `Ticket ${s(f, 'ticketId')}${title(f)} has been waiting at "${s(f, 'nodeId')}" for ${s(f, 'used')} of its ${s(f, 'total')} SLA ` +
      `(warning level ${s(f, 'level')}${Number(f.repeat) > 0 ? `, reminder ${s(f, 'repeat')}` : ''}).`,
    sms: (f) => `SLA L${s(f, 'level')}: ticket ${s(f, 'ticketId')} at ${s(f, 'nodeId')}, ${s(f, 'used')} of ${s(f, 'total')} used.`,
    speech: (f) =>
      `Service level warning, level ${s(f, 'level')}. Ticket ${s(f, 'ticketId')} has used ${s(f, 'used')} of its ${s(f, 'total')} at step ${s(f, 'nodeId')}.`,
  },
  'sla-breach': {
    subject: (f) => `[SLA breached] Ticket ${s(f, 'ticketId')}${title(f)} at ${s(f, 'nodeId')}`,
    text: (f) => `Ticket ${s(f, 'ticketId')}${title(f)} breached its ${s(f, 'total')} SLA at "${s(f, 'nodeId')}".`,
    sms: (f) => `SLA breached: ticket ${s(f, 'ticketId')} at ${s(f, 'nodeId')} (${s(f, 'total')}).`,
    speech: (f) => `Service level breached. Ticket ${s(f, 'ticketId')} passed its ${s(f, 'total')} at step ${s(f, 'nodeId')}.`,
  },
  notify: {
    subject: (f) => `Ticket ${s(f, 'ticketId')}${title(f)}`,
    text: (f) => s(f, 'message'),
    sms: (f) => s(f, 'message'),
    speech: (f) => s(f, 'message'),
  },
  'centre-level': {
    subject: (f) => `[${s(f, 'level')}] ${s(f, 'tenant')}: ${s(f, 'scope')} at ${s(f, 'level')}`,
    text: (f) => `The contact centre ${s(f, 'tenant')} reached ${s(f, 'level')} at ${s(f, 'scope')}.\nReason: ${s(f, 'reason')}`,
    sms: (f) => `${s(f, 'tenant')} at ${s(f, 'level')} (${s(f, 'scope')}): ${s(f, 'reason')}`.slice(0, 160),
    speech: (f) => `Contact centre ${s(f, 'tenant')} is at degradation level ${s(f, 'level').replace('L', '')}, at ${s(f, 'scope')}.`,
  },
  'centre-breaker': {
    subject: (f) => `[breaker open] ${s(f, 'tenant')}: ${s(f, 'breaker')}`,
    text: (f) => `The circuit breaker ${s(f, 'breaker')} of ${s(f, 'tenant')} opened: calls no longer go there.\nReason: ${s(f, 'reason')}`,
    sms: (f) => `${s(f, 'tenant')}: breaker ${s(f, 'breaker')} open: ${s(f, 'reason')}`.slice(0, 160),
    speech: (f) => `Circuit breaker ${s(f, 'breaker')} of ${s(f, 'tenant')} is open.`,
  },
  'centre-service-level': {
    subject: (f) => `[service level] ${s(f, 'tenant')}: ${s(f, 'skillGroup')} at ${pct(f, 'serviceLevel')}`,
    text: (f) =>
      `Queue ${s(f, 'skillGroup')} of ${s(f, 'tenant')} has been under its ${pct(f, 'threshold')} service level for ${s(f, 'minutes')} minutes ` +
      `(now ${pct(f, 'serviceLevel')}).`,
    sms: (f) => `${s(f, 'tenant')}: ${s(f, 'skillGroup')} SL ${pct(f, 'serviceLevel')} < ${pct(f, 'threshold')} for ${s(f, 'minutes')} min`,
    speech: (f) => `Queue ${s(f, 'skillGroup')} has been under its service level for ${s(f, 'minutes')} minutes.`,
  },
};

const ZH: Record<AlertKind, KindTemplate> = {
  'sla-warning': {
    subject: (f) => `【SLA ${s(f, 'level')}级预警】工单 ${s(f, 'ticketId')}${titleZh(f)}（${s(f, 'nodeId')}）`,
    text: (f) =>
      `工单 ${s(f, 'ticketId')}${titleZh(f)} 在「${s(f, 'nodeId')}」环节已用时 ${s(f, 'used')}，SLA 时限 ${s(f, 'total')}` +
      `（${s(f, 'level')}级预警${Number(f.repeat) > 0 ? `，第 ${s(f, 'repeat')} 次提醒` : ''}）。`,
    sms: (f) => `SLA${s(f, 'level')}级预警：工单${s(f, 'ticketId')}（${s(f, 'nodeId')}）已用${s(f, 'used')}/${s(f, 'total')}`,
    speech: (f) =>
      `服务时限${s(f, 'level')}级预警。工单${s(f, 'ticketId')}在${s(f, 'nodeId')}环节已用时${s(f, 'used')}，时限${s(f, 'total')}。`,
  },
  'sla-breach': {
    subject: (f) => `【SLA 已超时】工单 ${s(f, 'ticketId')}${titleZh(f)}（${s(f, 'nodeId')}）`,
    text: (f) => `工单 ${s(f, 'ticketId')}${titleZh(f)} 在「${s(f, 'nodeId')}」环节已超过 ${s(f, 'total')} 的 SLA 时限。`,
    sms: (f) => `SLA超时：工单${s(f, 'ticketId')}（${s(f, 'nodeId')}）已超${s(f, 'total')}时限`,
    speech: (f) => `服务时限已超时。工单${s(f, 'ticketId')}在${s(f, 'nodeId')}环节超过了${s(f, 'total')}的时限。`,
  },
  notify: {
    subject: (f) => `工单 ${s(f, 'ticketId')}${titleZh(f)}`,
    text: (f) => s(f, 'message'),
    sms: (f) => s(f, 'message'),
    speech: (f) => s(f, 'message'),
  },
  'centre-level': {
    subject: (f) => `【${s(f, 'level')}】${s(f, 'tenant')}：${s(f, 'scope')} 进入 ${s(f, 'level')}`,
    text: (f) => `呼叫中心 ${s(f, 'tenant')} 的 ${s(f, 'scope')} 进入降级等级 ${s(f, 'level')}。\n原因：${s(f, 'reason')}`,
    sms: (f) => `${s(f, 'tenant')}进入${s(f, 'level')}（${s(f, 'scope')}）`,
    speech: (f) => `呼叫中心${s(f, 'tenant')}的${s(f, 'scope')}进入${s(f, 'level').replace('L', '')}级降级。`,
  },
  'centre-breaker': {
    subject: (f) => `【熔断】${s(f, 'tenant')}：${s(f, 'breaker')} 已断开`,
    text: (f) => `${s(f, 'tenant')} 的熔断器 ${s(f, 'breaker')} 已断开，呼叫不再路由到该处。\n原因：${s(f, 'reason')}`,
    sms: (f) => `${s(f, 'tenant')}：熔断器${s(f, 'breaker')}已断开`,
    speech: (f) => `${s(f, 'tenant')}的熔断器${s(f, 'breaker')}已断开。`,
  },
  'centre-service-level': {
    subject: (f) => `【服务水平】${s(f, 'tenant')}：${s(f, 'skillGroup')} 为 ${pct(f, 'serviceLevel')}`,
    text: (f) =>
      `${s(f, 'tenant')} 的队列 ${s(f, 'skillGroup')} 服务水平已连续 ${s(f, 'minutes')} 分钟低于 ${pct(f, 'threshold')}（当前 ${pct(f, 'serviceLevel')}）。`,
    sms: (f) =>
      `${s(f, 'tenant')}：${s(f, 'skillGroup')}服务水平${pct(f, 'serviceLevel')}，低于${pct(f, 'threshold')}已${s(f, 'minutes')}分钟`,
    speech: (f) => `队列${s(f, 'skillGroup')}的服务水平已连续${s(f, 'minutes')}分钟低于目标。`,
  },
};

/** The shipped languages and their templates. */
export const TEMPLATES: Readonly<Record<string, Record<AlertKind, KindTemplate>>> = { en: EN, 'zh-CN': ZH };

/** Languages with templates. */
export const TEMPLATE_LANGUAGES = Object.keys(TEMPLATES);

/**
 * The shipped language for a wanted one: exact (case-insensitive), else by primary subtag (`zh-TW` → `zh-CN`),
 * else undefined.
 */
export function templateLanguage(wanted: string | undefined): string | undefined {
  if (!wanted) return undefined;
  const lower = wanted.toLowerCase();
  const exact = TEMPLATE_LANGUAGES.find((l) => l.toLowerCase() === lower);
  if (exact) return exact;
  const primary = lower.split('-')[0];
  return TEMPLATE_LANGUAGES.find((l) => l.toLowerCase().split('-')[0] === primary);
}

/**
 * The language a person gets: theirs, else the alert's (the tenant's), else the deployment's default, each
 * only when templates exist for it.
 */
export function chooseLanguage(person: string | undefined, alert: string | undefined, deployment: string): string {
  return templateLanguage(person) ?? templateLanguage(alert) ?? templateLanguage(deployment) ?? 'en';
}

/** Longest SMS text sent: one segment (160 GSM-7 characters, or 70 UCS-2 when the text needs them). */
export function smsLimit(text: string): number {
  return /^[\n\r\x20-\x7e£¥èéùìòÇØøÅåΔΦΓΛΩΠΨΣΘΞÆæßÉÄÖÑÜ§¿äöñüà]*$/.test(text) ? 160 : 70;
}

/** Cuts text to `max` characters (code points), ending in `…` when cut. */
export function cut(text: string, max: number): string {
  const points = [...text];
  return points.length <= max ? text : `${points.slice(0, max - 1).join('')}…`;
}

/**
 * The message for one channel and language. The SMS text is cut to one segment; other channels get the full text.
 *
 * @param language a shipped language (see {@link chooseLanguage})
 */
export function renderAlert(alert: AlertRequest, channel: DeliveryChannel, language: string): RenderedMessage {
  const lang = templateLanguage(language) ?? 'en';
  const t = TEMPLATES[lang]![alert.kind];
  const f: Facts = { tenant: alert.tenant, ...alert.facts };
  const sms = t.sms(f);
  return {
    subject: cut(t.subject(f).replace(/[\r\n]+/g, ' '), 200),
    text: channel === 'sms' ? cut(sms, smsLimit(sms)) : t.text(f),
    speech: cut(t.speech(f), 500),
    language: lang,
  };
}
