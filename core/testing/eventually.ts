/**
 * Polling for tests that wait on real time: a bus consumer in another task, a child process, a
 * service across the network. Tests in virtual time advance a `ManualClock` instead
 * (`adapters/clock.ts`: `settle`, `runFor`).
 */

/** How long to keep trying: a timeout in ms, or the timeout and the pause between tries. */
export type Patience = number | { readonly timeoutMs?: number; readonly intervalMs?: number };

/** What is awaited, for the failure message; a function is asked only on failure (to show the state then). */
export type What = string | (() => string);

/** Default timeout, ms: under vitest's 5 s test timeout, so the failure names what was awaited. */
const DEFAULT_TIMEOUT_MS = 4_000;

function patience(p: Patience | undefined): { timeoutMs: number; intervalMs: number } {
  const o = typeof p === 'number' ? { timeoutMs: p } : (p ?? {});
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // About 200 tries over the timeout, 5 to 250 ms apart: quick for in-memory checks, light on a real service.
  return { timeoutMs, intervalMs: o.intervalMs ?? Math.min(250, Math.max(5, Math.round(timeoutMs / 200))) };
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls until a condition holds, failing with a message that names what was awaited.
 *
 * - `eventually(check, what, patience?)` waits until `check()` is true and resolves to the time it took, ms.
 * - `eventually(read, ok, what, patience?)` waits until `ok(read())` and resolves to that value; the
 *   failure also shows the last value read.
 *
 * A throwing or rejecting `check`/`read` counts as "not yet"; on timeout its last error is in the message.
 * `what` may be a function, asked only on failure, to describe the state at that moment.
 *
 * @param patience timeout in ms (default 4 000), or `{ timeoutMs, intervalMs }`; the pause between
 *   tries defaults to 1/200 of the timeout, between 5 and 250 ms
 * @example await eventually(() => got.length === 10, 'the ten messages');
 * @example const rows = await eventually(() => query(), (r) => r.length === 3, 'the minute rows', 60_000);
 */
export function eventually(check: () => boolean | Promise<boolean>, what: What, patience?: Patience): Promise<number>;
export function eventually<T>(read: () => T | Promise<T>, ok: (value: T) => boolean, what: What, patience?: Patience): Promise<T>;
export async function eventually<T>(
  fn: () => T | Promise<T>,
  okOrWhat: ((value: T) => boolean) | What,
  whatOrPatience?: What | Patience,
  last4?: Patience,
): Promise<T | number> {
  const valued = typeof whatOrPatience === 'string' || typeof whatOrPatience === 'function';
  const ok = valued ? (okOrWhat as (value: T) => boolean) : (v: T) => Boolean(v);
  const what = (valued ? whatOrPatience : okOrWhat) as What;
  const { timeoutMs, intervalMs } = patience(valued ? last4 : (whatOrPatience as Patience | undefined));
  const t0 = Date.now();
  let last: { value: T } | undefined;
  let lastErr: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (ok(value)) return valued ? value : Date.now() - t0;
      last = { value };
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() - t0 >= timeoutMs) break;
    await pause(intervalMs);
  }
  const seen = valued && last ? `; last: ${JSON.stringify(last.value)}` : '';
  const failed = lastErr === undefined ? '' : `; last error: ${lastErr instanceof Error ? lastErr.message : String(lastErr)}`;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}${seen}${failed}`);
}
