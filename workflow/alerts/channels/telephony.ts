/**
 * SMS and voice calls through a provider's HTTP API, provider-neutral: the channels talk to a
 * {@link TelephonyProvider}; {@link twilioProvider} is the first one (Twilio's REST API 2010-04-01).
 */
import { workflowError } from '../../errors.js';
import type { AlertChannel, SendReceipt, SendRequest } from '../types.js';
import { baseUrl, type HttpChannelOptions, jsonOf, request, retriableStatus } from './http.js';

/** A provider that sends SMS and places calls that speak a text. */
export interface TelephonyProvider {
  /** Provider name, for messages. */
  readonly name: string;
  /** Sends `text` to `to` (E.164). */
  sms(to: string, text: string): Promise<SendReceipt>;
  /** Calls `to` (E.164) and says `speech` in `language` (BCP 47). */
  call(to: string, speech: string, language: string): Promise<SendReceipt>;
  /**
   * Optional: the id of an SMS with this exact text already sent to `to` since `sinceMs` (epoch ms), if the
   * provider lists what it sent. Asked before resending a delivery in doubt, so one the provider accepted is not
   * sent twice.
   */
  findSms?(to: string, text: string, sinceMs: number): Promise<string | undefined>;
}

/** Settings of {@link twilioProvider}. */
export interface TwilioOptions extends HttpChannelOptions {
  /** Account SID (`AC…`): the path and the basic-auth user. */
  readonly accountSid: string;
  /** Auth token: the basic-auth password. */
  readonly authToken: string;
  /** Caller id / sender: an E.164 number of the account (or an alphanumeric sender id for SMS where allowed). */
  readonly from: string;
  /** API base (default `https://api.twilio.com`); tests point it at a local stand-in. */
  readonly baseUrl?: string;
}

/** XML text escaping for TwiML. */
export const escapeXml = (s: string): string =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);

/** Twilio `<Say language>` for a template language (`en` → `en-US`). */
export const sayLanguage = (language: string): string => (language === 'en' ? 'en-US' : language);

/**
 * Twilio: `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json` with form fields `To`, `From`, `Body`, and
 * `…/Calls.json` with `To`, `From`, `Twiml=<Response><Say language="…">…</Say></Response>`, basic auth
 * `AccountSid:AuthToken`. 201 carries the `sid`; 429 and 5xx are retried; any other status (Twilio's JSON error
 * with its `code`, e.g. 21211 for a bad `To`) fails for good. Twilio's REST API takes no idempotency key.
 */
export function twilioProvider(o: TwilioOptions): TelephonyProvider {
  const base = baseUrl('SLUICE_ALERT_TWILIO_BASE_URL', o.baseUrl ?? 'https://api.twilio.com');
  if (!/^AC[0-9a-zA-Z]{8,64}$/.test(o.accountSid)) {
    throw workflowError(
      'SLUICE_ERR_ALERT_CHANNEL_CONFIG',
      'SLUICE_ALERT_TWILIO_ACCOUNT_SID must be an account SID (AC followed by letters and digits)',
    );
  }
  if (o.authToken === '') throw workflowError('SLUICE_ERR_ALERT_CHANNEL_CONFIG', 'SLUICE_ALERT_TWILIO_AUTH_TOKEN must not be empty');
  const auth = `Basic ${Buffer.from(`${o.accountSid}:${o.authToken}`).toString('base64')}`;
  const post = async (resource: 'Messages' | 'Calls', fields: Record<string, string>): Promise<SendReceipt> => {
    const url = `${base}/2010-04-01/Accounts/${encodeURIComponent(o.accountSid)}/${resource}.json`;
    const what = `Twilio ${resource}`;
    const res = await request(
      what,
      url,
      {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams(fields).toString(),
      },
      o,
    );
    const json = jsonOf(res.body);
    if (res.status === 200 || res.status === 201) return typeof json?.sid === 'string' ? { providerId: json.sid } : {};
    const code = json?.code === undefined ? '' : ` code ${String(json.code)}`;
    const message = typeof json?.message === 'string' ? `: ${json.message.slice(0, 200)}` : '';
    throw workflowError('SLUICE_ERR_ALERT_SEND_FAILED', `${what} answered ${res.status}${code}${message}`, {
      retriable: retriableStatus(res.status),
    });
  };
  const findSms = async (to: string, text: string, sinceMs: number): Promise<string | undefined> => {
    // Twilio filters by day (`DateSent>=YYYY-MM-DD`); the exact instant is checked on each message.
    const day = new Date(sinceMs).toISOString().slice(0, 10);
    const q = new URLSearchParams({ To: to, From: o.from, 'DateSent>': day, PageSize: '50' });
    const url = `${base}/2010-04-01/Accounts/${encodeURIComponent(o.accountSid)}/Messages.json?${q.toString()}`;
    const res = await request(
      'Twilio Messages list',
      url,
      { method: 'GET', headers: { authorization: auth, accept: 'application/json' } },
      o,
    );
    const json = jsonOf(res.body);
    if (res.status !== 200 || !Array.isArray(json?.messages)) {
      throw workflowError('SLUICE_ERR_ALERT_SEND_FAILED', `Twilio Messages list answered ${res.status}`, { retriable: true });
    }
    for (const m of json.messages as Record<string, unknown>[]) {
      const created = Date.parse(String(m.date_created ?? ''));
      if (m.body === text && m.to === to && (Number.isNaN(created) || created >= sinceMs - 1_000) && typeof m.sid === 'string')
        return m.sid;
    }
    return undefined;
  };
  return {
    name: 'twilio',
    findSms,
    sms: (to, text) => post('Messages', { To: to, From: o.from, Body: text }),
    call: (to, speech, language) =>
      post('Calls', {
        To: to,
        From: o.from,
        Twiml: `<Response><Say language="${escapeXml(sayLanguage(language))}">${escapeXml(speech)}</Say></Response>`,
      }),
  };
}

/**
 * The `sms` channel over a provider. A delivery in doubt (its earlier attempt's worker died mid-send) is first
 * looked up in what the provider sent since the alert was raised: found, it is not sent again.
 */
export function createSmsChannel(provider: TelephonyProvider): AlertChannel {
  return {
    channel: 'sms',
    async send(r: SendRequest): Promise<SendReceipt> {
      if (r.inDoubt && provider.findSms) {
        const sid = await provider.findSms(r.delivery.address, r.message.text, r.alert.at);
        if (sid !== undefined) return { providerId: sid };
      }
      return provider.sms(r.delivery.address, r.message.text);
    },
  };
}

/** The `voice` channel (flow channel `phone`) over a provider: a call that says the alert's sentence. */
export function createVoiceChannel(provider: TelephonyProvider): AlertChannel {
  return { channel: 'voice', send: (r: SendRequest) => provider.call(r.delivery.address, r.message.speech, r.message.language) };
}
