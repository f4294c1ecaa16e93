/**
 * Signed webhooks. Each delivery is a JSON `POST` with
 *
 * - `X-Sluice-Timestamp`: Unix seconds when it was sent;
 * - `X-Sluice-Signature`: `v1=` + hex HMAC-SHA256, keyed with the shared secret, over `<timestamp>.<body>`;
 * - `X-Sluice-Delivery` (and `Idempotency-Key`): the delivery id, the same on every attempt of one delivery.
 *
 * A receiver verifies with {@link verifyWebhookSignature}: recompute the HMAC over the timestamp header, a dot and
 * the raw body bytes, compare in constant time, refuse a timestamp more than the replay window (5 minutes) away
 * from its clock, and drop a delivery id it has already seen (a resend after Sluice lost track of a send).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { systemClock } from '../../../adapters/clock.js';
import { redactUrl } from '../../../adapters/redact.js';
import { workflowError } from '../../errors.js';
import type { AlertChannel, SendReceipt, SendRequest } from '../types.js';
import { type HttpChannelOptions, request, retriableStatus } from './http.js';

/** Header names of a signed delivery (lower case, as Node reads them). */
export const WEBHOOK_HEADERS = Object.freeze({
  timestamp: 'x-sluice-timestamp',
  signature: 'x-sluice-signature',
  delivery: 'x-sluice-delivery',
});

/** Default replay window of {@link verifyWebhookSignature}, ms. */
export const WEBHOOK_REPLAY_WINDOW_MS = 300_000;

/** `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. */
export function webhookSignature(secret: string, timestamp: string, body: string | Buffer): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/**
 * Checks a received delivery: the signature over the raw body and the timestamp within the replay window.
 *
 * @param nowMs the receiver's clock, epoch ms
 * @returns null when valid, else why not
 */
export function verifyWebhookSignature(
  secret: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  rawBody: string | Buffer,
  nowMs: number,
  windowMs = WEBHOOK_REPLAY_WINDOW_MS,
): string | null {
  const ts = headers[WEBHOOK_HEADERS.timestamp];
  const sig = headers[WEBHOOK_HEADERS.signature];
  if (typeof ts !== 'string' || !/^\d{1,12}$/.test(ts)) return 'missing or malformed timestamp';
  if (typeof sig !== 'string') return 'missing signature';
  if (Math.abs(nowMs - Number(ts) * 1000) > windowMs) return 'timestamp outside the replay window';
  const want = Buffer.from(webhookSignature(secret, ts, rawBody));
  const got = Buffer.from(sig);
  return want.length === got.length && timingSafeEqual(want, got) ? null : 'signature does not match';
}

/** Settings of {@link createSignedWebhookChannel}. */
export interface SignedWebhookOptions extends HttpChannelOptions {
  /** HMAC secret shared with receivers; absent: deliveries go unsigned (no signature header). */
  readonly secret?: string;
}

/**
 * The `webhook` channel: the delivery's address is the URL (a person's webhook, or the deployment's fallback
 * `SLUICE_WEBHOOK_URL`). The body is the alert's facts with the rendered text, so a receiving system (an SMS
 * gateway, a ticketing tool) has everything. 2xx succeeds; 408, 429, 5xx and network errors are retried.
 */
export function createSignedWebhookChannel(o: SignedWebhookOptions = {}): AlertChannel {
  const clock = o.clock ?? systemClock;
  if (o.secret !== undefined && o.secret.length < 16) {
    throw workflowError('SLUICE_ERR_ALERT_CHANNEL_CONFIG', 'SLUICE_ALERT_WEBHOOK_SECRET must be at least 16 characters');
  }
  return {
    channel: 'webhook',
    async send(r: SendRequest): Promise<SendReceipt> {
      const url = r.delivery.address;
      if (!/^https?:\/\/[^/]/.test(url)) {
        throw workflowError('SLUICE_ERR_ALERT_SEND_FAILED', `webhook address "${redactUrl(url)}" is not an http(s) URL`, {
          retriable: false,
        });
      }
      const body = JSON.stringify(webhookBody(r));
      const ts = String(Math.floor(clock.now() / 1000));
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        [WEBHOOK_HEADERS.timestamp]: ts,
        [WEBHOOK_HEADERS.delivery]: r.delivery.id,
        'idempotency-key': r.delivery.id,
      };
      if (o.secret !== undefined) headers[WEBHOOK_HEADERS.signature] = webhookSignature(o.secret, ts, body);
      const res = await request('webhook', url, { method: 'POST', headers, body }, { ...o, clock });
      if (res.status >= 200 && res.status < 300) return {};
      throw workflowError('SLUICE_ERR_ALERT_SEND_FAILED', `webhook ${redactUrl(url)} answered ${res.status}`, {
        retriable: retriableStatus(res.status),
      });
    },
  };
}

/**
 * The JSON a webhook receives: the alert's facts flattened at the top (an SLA alert keeps the fields the earlier
 * webhook channel sent: `timerId`, `ticketId`, `kind`, `level`, `latenessMs`, …) and the delivery beside them.
 */
export function webhookBody(r: SendRequest): Record<string, unknown> {
  const { alert, delivery, message } = r;
  return {
    ...alert.facts,
    tenant: alert.tenant,
    alertId: alert.id,
    alertKind: alert.kind,
    channel: alert.channel,
    recipients: alert.recipients,
    deliveryId: delivery.id,
    recipient: delivery.recipient,
    language: message.language,
    subject: message.subject,
    text: message.text,
    attempt: r.attempt,
  };
}
