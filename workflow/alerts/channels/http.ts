/**
 * The one HTTP call the provider channels make: a request with a timeout on the injected clock, the answer read
 * as text, and failures turned into `SLUICE_ERR_ALERT_SEND_FAILED` whose message never shows a secret of the URL.
 */
import { systemClock, type Clock } from '../../../adapters/clock.js';
import { redactUrl } from '../../../adapters/redact.js';
import { workflowError } from '../../errors.js';

/** The part of the fetch API the channels use (the global `fetch` fits), so tests may hand in their own. */
export type HttpFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
) => Promise<{ status: number; text(): Promise<string> }>;

/** What every provider channel takes besides its own settings. */
export interface HttpChannelOptions {
  /** Abort after this long, ms (default 10 000); shorter than the outbox lease. */
  readonly timeoutMs?: number;
  /** HTTP client (default the global `fetch`). */
  readonly fetch?: HttpFetch;
  /** Clock of the timeout (default the system clock). */
  readonly clock?: Clock;
}

/** An HTTP answer: status and body text. */
export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/**
 * Sends one request and reads the answer; network errors and timeouts reject with a retriable
 * `SLUICE_ERR_ALERT_SEND_FAILED` naming `what` and the URL (redacted).
 */
export async function request(
  what: string,
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
  options: HttpChannelOptions,
): Promise<HttpAnswer> {
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const doFetch: HttpFetch = options.fetch ?? ((u, i) => fetch(u, i));
  const controller = new AbortController();
  let timedOut = false;
  const handle = clock.setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    const res = await doFetch(url, { ...init, signal: controller.signal });
    return { status: res.status, body: await res.text() };
  } catch (err) {
    const why = timedOut ? `timed out after ${timeoutMs} ms` : `failed: ${(err as Error).message}`;
    throw workflowError('SLUICE_ERR_ALERT_SEND_FAILED', `${what} ${redactUrl(url)} ${why}`, { cause: err, retriable: true });
  } finally {
    clock.clearTimeout(handle);
  }
}

/** Whether an HTTP status invites a retry: 429 and 5xx (and 408). */
export const retriableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/** Parses a JSON answer, or undefined when it is not JSON. */
export function jsonOf(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Checks a base URL setting: http(s), no trailing slash kept. */
export function baseUrl(setting: string, raw: string): string {
  if (!/^https?:\/\/[^/]/.test(raw)) {
    throw workflowError('SLUICE_ERR_ALERT_CHANNEL_CONFIG', `${setting} must be an http:// or https:// URL (got "${redactUrl(raw)}")`);
  }
  return raw.replace(/\/+$/, '');
}
