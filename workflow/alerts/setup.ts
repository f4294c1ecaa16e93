/**
 * Alert delivery as a deployment configures it: the channel settings (plain data the app reads from its
 * environment) turned into adapters.
 */
import type { Clock } from '../../adapters/clock.js';
import type { Logger } from '../../core/logger.js';
import { createEmailChannel } from './channels/email.js';
import { createAlertLogChannel } from './channels/log.js';
import { createSmsChannel, createVoiceChannel, twilioProvider } from './channels/telephony.js';
import { createSignedWebhookChannel } from './channels/webhook.js';
import { createWeComAppChannel, createWeComRobotChannel } from './channels/wecom.js';
import type { AlertChannel } from './types.js';

/** The alert channels a deployment configures (each part optional; `log` is always there). */
export interface AlertChannelSettings {
  /** E-mail: `SLUICE_ALERT_SMTP_URL`, `SLUICE_ALERT_EMAIL_FROM`. */
  readonly smtp?: { readonly url: string; readonly from: string };
  /** SMS and voice through Twilio: `SLUICE_ALERT_TWILIO_*`. */
  readonly twilio?: { readonly accountSid: string; readonly authToken: string; readonly from: string; readonly baseUrl?: string };
  /** WeChat Work application: `SLUICE_ALERT_WECOM_CORP_ID`, `…_CORP_SECRET`, `…_AGENT_ID`. */
  readonly wecomApp?: { readonly corpId: string; readonly corpSecret: string; readonly agentId: number; readonly baseUrl?: string };
  /** WeChat Work group robot: `SLUICE_ALERT_WECOM_ROBOT_KEY`. */
  readonly wecomRobot?: { readonly key: string; readonly baseUrl?: string };
  /** Webhooks (people's, and the fallback `SLUICE_WEBHOOK_URL`): signed with `SLUICE_ALERT_WEBHOOK_SECRET` when set. */
  readonly webhook?: { readonly secret?: string };
  /** Timeout of one provider call, ms (default 10 000). */
  readonly timeoutMs?: number;
}

/**
 * The adapters of the configured channels, and the log.
 *
 * @throws SluiceError `SLUICE_ERR_ALERT_CHANNEL_CONFIG` naming the setting that is wrong
 */
export function alertChannels(s: AlertChannelSettings, deps: { readonly clock: Clock; readonly log: Logger }): AlertChannel[] {
  const http = { clock: deps.clock, ...(s.timeoutMs !== undefined && { timeoutMs: s.timeoutMs }) };
  const out: AlertChannel[] = [createAlertLogChannel(deps.log)];
  if (s.smtp) out.push(createEmailChannel({ ...s.smtp, clock: deps.clock, ...(s.timeoutMs !== undefined && { timeoutMs: s.timeoutMs }) }));
  if (s.twilio) {
    const provider = twilioProvider({ ...s.twilio, ...http });
    out.push(createSmsChannel(provider), createVoiceChannel(provider));
  }
  if (s.wecomApp) out.push(createWeComAppChannel({ ...s.wecomApp, ...http }));
  if (s.wecomRobot) out.push(createWeComRobotChannel({ ...s.wecomRobot, ...http }));
  if (s.webhook) out.push(createSignedWebhookChannel({ ...http, ...(s.webhook.secret !== undefined && { secret: s.webhook.secret }) }));
  return out;
}
