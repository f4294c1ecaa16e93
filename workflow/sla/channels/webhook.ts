import { systemClock, type Clock } from '../../../adapters/clock.js';
import { isSluiceError } from '../../../core/errors.js';
import { workflowError } from '../../errors.js';
import { notificationPayload, type Notification, type NotificationChannel } from '../notifier.js';
import { redactUrl } from '../../../adapters/redact.js';

/** The part of `fetch` the channel uses, so tests can hand in their own. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ ok: boolean; status: number }>;

/** Options of {@link createWebhookChannel}. */
export interface WebhookChannelOptions {
  /** Endpoint receiving a JSON POST per notification. */
  readonly url: string;
  /** Abort and fail after this long, ms (default 5000). */
  readonly timeoutMs?: number;
  /** Extra request headers (e.g. an authorization token). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Channel name (default `webhook`). */
  readonly name?: string;
  /** HTTP client (default global `fetch`). */
  readonly fetch?: FetchLike;
  /** Clock for the timeout (default the system clock). */
  readonly clock?: Clock;
}

/**
 * A channel that POSTs each notification as JSON. Timeouts, network errors, 5xx and 429
 * fail with a retriable `SLUICE_ERR_WEBHOOK_FAILED`; other statuses fail for good.
 */
export function createWebhookChannel(options: WebhookChannelOptions): NotificationChannel {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const clock = options.clock ?? systemClock;
  const doFetch: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  // Error messages reach logs and ticket history: a password or token in the URL stays out of them.
  const shown = redactUrl(options.url);
  const name = options.name ?? 'webhook';
  if (!/^https?:\/\//.test(options.url)) {
    throw workflowError(
      'SLUICE_ERR_WEBHOOK_FAILED',
      `webhook channel "${name}": url "${redactUrl(options.url)}" must start with http:// or https://`,
    );
  }
  return {
    name,
    async send(n: Notification): Promise<void> {
      const controller = new AbortController();
      let timedOut = false;
      const handle = clock.setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
      try {
        const res = await doFetch(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...options.headers },
          body: JSON.stringify(notificationPayload(n)),
          signal: controller.signal,
        });
        if (!res.ok) {
          const retriable = res.status >= 500 || res.status === 429;
          throw workflowError('SLUICE_ERR_WEBHOOK_FAILED', `webhook ${shown} answered ${res.status} for timer ${n.timer.id}`, {
            retriable,
          });
        }
      } catch (err) {
        if (isSluiceError(err)) throw err;
        const why = timedOut ? `timed out after ${timeoutMs} ms` : `failed: ${(err as Error).message}`;
        throw workflowError('SLUICE_ERR_WEBHOOK_FAILED', `webhook ${shown} ${why} for timer ${n.timer.id}`, { cause: err });
      } finally {
        clock.clearTimeout(handle);
      }
    },
  };
}
