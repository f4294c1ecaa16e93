/**
 * E-mail over SMTP with nodemailer. Configured by one URL, `smtp://user:password@host:587` (STARTTLS when the
 * server offers it; `?requireTLS=true` refuses to send without it) or `smtps://…:465` (TLS from the start), with
 * `?tls.rejectUnauthorized=false` for a server with a self-signed certificate and `?tls.servername=` to check
 * another name. Each message has a Message-ID derived from the delivery id, so a resend after a worker died
 * mid-send carries the same id and mail systems that deduplicate by Message-ID show it once.
 */
import { createHash } from 'node:crypto';
import nodemailer, { type TransportOptions } from 'nodemailer';
import type { Clock } from '../../../adapters/clock.js';
import { systemClock } from '../../../adapters/clock.js';
import { redactUrl } from '../../../adapters/redact.js';
import { workflowError } from '../../errors.js';
import type { AlertChannel, SendReceipt, SendRequest } from '../types.js';

/** Settings of {@link createEmailChannel}. */
export interface EmailChannelOptions {
  /** `smtp://` or `smtps://` URL with optional credentials and TLS options (see the module comment). */
  readonly url: string;
  /** Sender, e.g. `Sluice alerts <alerts@example.com>`. */
  readonly from: string;
  /** Connection, greeting and socket timeouts, ms (default 10 000). */
  readonly timeoutMs?: number;
  /** Clock for the Date header (default the system clock). */
  readonly clock?: Clock;
}

/** nodemailer's transport options from the URL (credentials decoded; only the documented query options). */
export function smtpOptions(url: string, timeoutMs = 10_000): Record<string, unknown> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw workflowError('SLUICE_ERR_ALERT_CHANNEL_CONFIG', `SLUICE_ALERT_SMTP_URL is not a URL ("${redactUrl(url)}")`);
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') {
    throw workflowError(
      'SLUICE_ERR_ALERT_CHANNEL_CONFIG',
      `SLUICE_ALERT_SMTP_URL must start with smtp:// or smtps:// (got "${redactUrl(url)}")`,
    );
  }
  const secure = u.protocol === 'smtps:';
  const tls: Record<string, unknown> = {};
  const options: Record<string, unknown> = {
    host: u.hostname,
    port: u.port === '' ? (secure ? 465 : 587) : Number(u.port),
    secure,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  };
  if (u.username !== '' || u.password !== '') options.auth = { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) };
  for (const [k, v] of u.searchParams) {
    const flag = v === 'true' ? true : v === 'false' ? false : undefined;
    if ((k === 'requireTLS' || k === 'ignoreTLS') && flag !== undefined) options[k] = flag;
    else if (k === 'tls.rejectUnauthorized' && flag !== undefined) tls.rejectUnauthorized = flag;
    else if (k === 'tls.servername' && v !== '') tls.servername = v;
    else {
      throw workflowError(
        'SLUICE_ERR_ALERT_CHANNEL_CONFIG',
        `SLUICE_ALERT_SMTP_URL option "${k}" is not one of requireTLS, ignoreTLS (true/false), tls.rejectUnauthorized (true/false), tls.servername`,
      );
    }
  }
  if (Object.keys(tls).length > 0) options.tls = tls;
  return options;
}

/** The deterministic Message-ID of a delivery: `<sha256(delivery id)[:32]@sluice.alerts>`. */
export const messageIdOf = (deliveryId: string): string =>
  `<${createHash('sha256').update(deliveryId).digest('hex').slice(0, 32)}@sluice.alerts>`;

interface SmtpError {
  readonly responseCode?: number;
  readonly code?: string;
  readonly message: string;
}

/**
 * The `email` channel. An SMTP 5xx reply (a refused recipient, a refused message, failed authentication) fails
 * for good; 4xx replies, connection failures and timeouts are retried.
 */
export function createEmailChannel(o: EmailChannelOptions): AlertChannel {
  const clock = o.clock ?? systemClock;
  if (o.from.trim() === '')
    throw workflowError('SLUICE_ERR_ALERT_CHANNEL_CONFIG', 'SLUICE_ALERT_EMAIL_FROM must be set with SLUICE_ALERT_SMTP_URL');
  const transport = nodemailer.createTransport(smtpOptions(o.url, o.timeoutMs) as TransportOptions);
  const shown = redactUrl(o.url);
  return {
    channel: 'email',
    async send(r: SendRequest): Promise<SendReceipt> {
      try {
        const info = await transport.sendMail({
          from: o.from,
          to: r.delivery.address,
          subject: r.message.subject,
          text: r.message.text,
          date: new Date(clock.now()),
          messageId: messageIdOf(r.delivery.id),
          headers: { 'X-Sluice-Alert': `${r.alert.tenant}/${r.alert.id}`, 'Content-Language': r.message.language },
        });
        if (info.rejected.length > 0) {
          throw workflowError('SLUICE_ERR_ALERT_SEND_FAILED', `SMTP ${shown} refused ${r.delivery.address}`, { retriable: false });
        }
        return { providerId: info.messageId };
      } catch (err) {
        if ((err as { code?: string }).code?.startsWith('SLUICE_ERR_')) throw err;
        const e = err as SmtpError;
        const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
        throw workflowError('SLUICE_ERR_ALERT_SEND_FAILED', `SMTP ${shown} failed: ${String(e.message).slice(0, 300)}`, {
          cause: err,
          retriable: !permanent,
        });
      }
    },
    async close() {
      transport.close();
    },
  };
}
