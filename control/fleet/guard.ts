/**
 * Bounded StateStore calls: every shared-state operation of the control room
 * goes through {@link bounded} (`adapters/state/bounded.ts`), so a slow or
 * unreachable Redis costs at most `timeoutMs` and an error, never a hang.
 * Callers catch and fail static.
 */
import type { Clock } from '../../adapters/clock.js';
import { bounded } from '../../adapters/state/bounded.js';

export { bounded, StoreTimeoutError } from '../../adapters/state/bounded.js';

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
