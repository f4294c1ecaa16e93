/**
 * Bounded StateStore calls: every shared-state operation of the control room
 * goes through {@link bounded}, so a slow or unreachable Redis costs at most
 * `timeoutMs` and an error, never a hang. Callers catch and fail static.
 */
import type { Clock } from '../../adapters/clock.js';

/** Raised when a StateStore call does not answer in time. */
export class StoreTimeoutError extends Error {
  /** @param what the operation, for logs */
  constructor(what: string, ms: number) {
    super(`StateStore ${what} did not answer within ${ms} ms`);
    this.name = 'StoreTimeoutError';
  }
}

/**
 * Resolves like `op`, or rejects with {@link StoreTimeoutError} after `timeoutMs`
 * (timed by `clock`, so virtual-time tests control it). The timer is cleared
 * either way; a late answer is ignored.
 */
export function bounded<T>(clock: Clock, timeoutMs: number, what: string, op: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = clock.setTimeout(() => {
      if (done) return;
      done = true;
      reject(new StoreTimeoutError(what, timeoutMs));
    }, timeoutMs);
    let p: Promise<T>;
    try {
      p = op();
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (v) => {
        if (done) return;
        done = true;
        clock.clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        if (done) return;
        done = true;
        clock.clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * Subscriptions made without waiting: a store that is down at start answers
 * `subscribe` only when it connects, and starting must not hang on that.
 * `close` unsubscribes whatever was subscribed by then (bounded by `timeoutMs`).
 */
export class Subscriptions {
  readonly #pending: Promise<(() => Promise<void>) | undefined>[] = [];

  /** Adds a subscription in progress; its failure is reported to `onError` and otherwise ignored. */
  add(sub: Promise<() => Promise<void>>, onError: (err: unknown) => void): void {
    this.#pending.push(
      sub.catch((err: unknown) => {
        onError(err);
        return undefined;
      }),
    );
  }

  /** Unsubscribes everything subscribed so far. Never throws. */
  async close(clock: Clock, timeoutMs: number): Promise<void> {
    const pending = this.#pending.splice(0);
    await Promise.all(
      pending.map((p) =>
        bounded(clock, timeoutMs, 'unsubscribe', async () => {
          const off = await p;
          await off?.();
        }).catch(() => {}),
      ),
    );
  }
}
