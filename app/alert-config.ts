/**
 * The alert settings of a deployment (`SLUICE_ALERT_*`): which channels are configured and how, the languages, and
 * the delivery tuning. Validated at start like every setting: a group set in part (an SMTP URL without a sender,
 * a Twilio SID without its token) or a value a channel refuses stops Sluice with `SLUICE_ERR_CONFIG` naming it.
 */
import { Ajv } from 'ajv';
import { systemClock } from '../adapters/clock.js';
import { isSluiceError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { alertChannels, type AlertChannelSettings } from '../workflow/alerts/setup.js';
import { templateLanguage } from '../workflow/alerts/templates.js';
import { redactUrl } from '../adapters/redact.js';
import { appError } from './errors.js';

/** Alert settings, validated. */
export interface AlertConfig {
  readonly channels: AlertChannelSettings;
  /** The deployment's default language. */
  readonly language: string;
  /** Default language per tenant. */
  readonly tenantLanguages: Readonly<Record<string, string>>;
  /** Attempts per delivery and channel; first retry delay and cap, ms. */
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryCapMs: number;
  /** Secrets the settings hold, to keep out of error messages. */
  readonly secrets: readonly string[];
}

/** JSON schema of the alert variables (merged into the app's environment schema). */
export const ALERT_ENV_SCHEMA = {
  SLUICE_ALERT_SMTP_URL: { type: 'string', pattern: '^$|^smtps?://' },
  SLUICE_ALERT_EMAIL_FROM: { type: 'string', maxLength: 320 },
  SLUICE_ALERT_TWILIO_ACCOUNT_SID: { type: 'string', pattern: '^$|^AC[0-9a-zA-Z]{8,64}$' },
  SLUICE_ALERT_TWILIO_AUTH_TOKEN: { type: 'string' },
  SLUICE_ALERT_TWILIO_FROM: { type: 'string', pattern: '^$|^(\\+[1-9][0-9]{1,14}|[A-Za-z0-9 ]{1,11})$' },
  SLUICE_ALERT_TWILIO_BASE_URL: { type: 'string', pattern: '^$|^https?://' },
  SLUICE_ALERT_WECOM_CORP_ID: { type: 'string' },
  SLUICE_ALERT_WECOM_CORP_SECRET: { type: 'string' },
  SLUICE_ALERT_WECOM_AGENT_ID: { type: 'integer', minimum: 1, maximum: 2147483647 },
  SLUICE_ALERT_WECOM_ROBOT_KEY: { type: 'string' },
  SLUICE_ALERT_WECOM_BASE_URL: { type: 'string', pattern: '^$|^https?://' },
  SLUICE_ALERT_WEBHOOK_SECRET: { type: 'string' },
  SLUICE_ALERT_LANGUAGE: { type: 'string', default: 'en' },
  SLUICE_ALERT_LANGUAGES: { type: 'string', default: '' },
  SLUICE_ALERT_TIMEOUT_MS: { type: 'integer', minimum: 100, maximum: 30000, default: 10000 },
  SLUICE_ALERT_MAX_ATTEMPTS: { type: 'integer', minimum: 1, maximum: 20, default: 5 },
  SLUICE_ALERT_RETRY_BASE_MS: { type: 'integer', minimum: 100, maximum: 3600000, default: 10000 },
  SLUICE_ALERT_RETRY_CAP_MS: { type: 'integer', minimum: 100, maximum: 86400000, default: 600000 },
} as const;

const validate = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: false, strict: false }).compile({
  type: 'object',
  properties: ALERT_ENV_SCHEMA,
});

const fail = (message: string): never => {
  throw appError('SLUICE_ERR_CONFIG', [message]);
};

/** All of a group set, or none of it. */
function group(r: Record<string, unknown>, names: readonly string[]): boolean {
  const set = names.filter((n) => r[n] !== undefined && r[n] !== '');
  if (set.length > 0 && set.length < names.length) {
    fail(`${names.filter((n) => !set.includes(n)).join(', ')} must be set with ${set.join(', ')}`);
  }
  return set.length === names.length;
}

/**
 * Reads the alert variables.
 *
 * @throws SluiceError `SLUICE_ERR_CONFIG` naming the variable
 */
export function loadAlertConfig(env: Record<string, string | undefined>): AlertConfig {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(ALERT_ENV_SCHEMA)) if (env[key] !== undefined && env[key] !== '') raw[key] = env[key];
  if (!validate(raw)) {
    const err = validate.errors?.[0];
    fail(`${err?.instancePath.replace(/^\//, '') || 'environment'} ${err?.message ?? 'is invalid'}`);
  }
  // biome-ignore lint/suspicious/noExplicitAny: checked against ALERT_ENV_SCHEMA just above
  const r = raw as Record<string, any>;
  const channels: {
    -readonly [K in keyof AlertChannelSettings]: AlertChannelSettings[K];
  } = { timeoutMs: r.SLUICE_ALERT_TIMEOUT_MS };
  if (group(r, ['SLUICE_ALERT_SMTP_URL', 'SLUICE_ALERT_EMAIL_FROM']))
    channels.smtp = { url: r.SLUICE_ALERT_SMTP_URL, from: r.SLUICE_ALERT_EMAIL_FROM };
  if (group(r, ['SLUICE_ALERT_TWILIO_ACCOUNT_SID', 'SLUICE_ALERT_TWILIO_AUTH_TOKEN', 'SLUICE_ALERT_TWILIO_FROM'])) {
    channels.twilio = {
      accountSid: r.SLUICE_ALERT_TWILIO_ACCOUNT_SID,
      authToken: r.SLUICE_ALERT_TWILIO_AUTH_TOKEN,
      from: r.SLUICE_ALERT_TWILIO_FROM,
      ...(r.SLUICE_ALERT_TWILIO_BASE_URL && { baseUrl: r.SLUICE_ALERT_TWILIO_BASE_URL }),
    };
  }
  const wecomBase = r.SLUICE_ALERT_WECOM_BASE_URL ? { baseUrl: r.SLUICE_ALERT_WECOM_BASE_URL as string } : {};
  if (group(r, ['SLUICE_ALERT_WECOM_CORP_ID', 'SLUICE_ALERT_WECOM_CORP_SECRET', 'SLUICE_ALERT_WECOM_AGENT_ID'])) {
    channels.wecomApp = {
      corpId: r.SLUICE_ALERT_WECOM_CORP_ID,
      corpSecret: r.SLUICE_ALERT_WECOM_CORP_SECRET,
      agentId: r.SLUICE_ALERT_WECOM_AGENT_ID,
      ...wecomBase,
    };
  }
  if (r.SLUICE_ALERT_WECOM_ROBOT_KEY) channels.wecomRobot = { key: r.SLUICE_ALERT_WECOM_ROBOT_KEY, ...wecomBase };
  if (r.SLUICE_ALERT_WEBHOOK_SECRET) channels.webhook = { secret: r.SLUICE_ALERT_WEBHOOK_SECRET };
  if (templateLanguage(r.SLUICE_ALERT_LANGUAGE) === undefined)
    fail(`SLUICE_ALERT_LANGUAGE must be a language with templates (en, zh-CN), got "${r.SLUICE_ALERT_LANGUAGE}"`);
  const tenantLanguages: Record<string, string> = {};
  for (const entry of String(r.SLUICE_ALERT_LANGUAGES)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([a-z0-9][a-z0-9_-]{0,62}):([A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*)$/.exec(entry);
    if (!m || templateLanguage(m[2]) === undefined)
      fail(`SLUICE_ALERT_LANGUAGES entry "${entry}" must be tenant:language with a language that has templates (en, zh-CN)`);
    tenantLanguages[m![1]!] = m![2]!;
  }
  if (r.SLUICE_ALERT_RETRY_CAP_MS < r.SLUICE_ALERT_RETRY_BASE_MS) {
    fail(
      `SLUICE_ALERT_RETRY_CAP_MS (${r.SLUICE_ALERT_RETRY_CAP_MS}) must be at least SLUICE_ALERT_RETRY_BASE_MS (${r.SLUICE_ALERT_RETRY_BASE_MS})`,
    );
  }
  // Each channel's own checks (an account SID, a robot key, a secret's length, the SMTP URL's options), at start.
  try {
    for (const c of alertChannels(channels, { clock: systemClock, log: silentLogger })) void c.close?.();
  } catch (err) {
    if (isSluiceError(err, 'SLUICE_ERR_ALERT_CHANNEL_CONFIG')) fail(err.message);
    throw err;
  }
  const secrets = [
    r.SLUICE_ALERT_TWILIO_AUTH_TOKEN,
    r.SLUICE_ALERT_WECOM_CORP_SECRET,
    r.SLUICE_ALERT_WECOM_ROBOT_KEY,
    r.SLUICE_ALERT_WEBHOOK_SECRET,
  ];
  if (r.SLUICE_ALERT_SMTP_URL) {
    try {
      const u = new URL(r.SLUICE_ALERT_SMTP_URL);
      if (u.password) secrets.push(u.password, decodeURIComponent(u.password));
    } catch {
      // checked above
    }
  }
  return Object.freeze({
    channels: Object.freeze(channels),
    language: templateLanguage(r.SLUICE_ALERT_LANGUAGE)!,
    tenantLanguages: Object.freeze(tenantLanguages),
    maxAttempts: r.SLUICE_ALERT_MAX_ATTEMPTS,
    retryBaseMs: r.SLUICE_ALERT_RETRY_BASE_MS,
    retryCapMs: r.SLUICE_ALERT_RETRY_CAP_MS,
    secrets: secrets.filter((s): s is string => typeof s === 'string' && s !== ''),
  });
}

/** What {@link AlertConfig} may show (a config summary): the channels configured and how, no credential. */
export function alertSummary(a: AlertConfig): Record<string, unknown> {
  const c = a.channels;
  return {
    channels: [
      ...(c.smtp ? ['email'] : []),
      ...(c.twilio ? ['sms', 'voice'] : []),
      ...(c.wecomApp ? ['wecom'] : []),
      ...(c.wecomRobot ? ['wecom-robot'] : []),
      ...(c.webhook ? ['webhook'] : []),
      'log',
    ],
    ...(c.smtp && { smtp: redactUrl(c.smtp.url), emailFrom: c.smtp.from }),
    ...(c.twilio && { twilioFrom: c.twilio.from, twilioBaseUrl: c.twilio.baseUrl ?? 'https://api.twilio.com' }),
    ...(c.wecomApp && { wecomAgentId: c.wecomApp.agentId }),
    webhookSigned: c.webhook?.secret !== undefined,
    language: a.language,
    tenantLanguages: a.tenantLanguages,
    maxAttempts: a.maxAttempts,
    retryBaseMs: a.retryBaseMs,
    retryCapMs: a.retryCapMs,
  };
}
