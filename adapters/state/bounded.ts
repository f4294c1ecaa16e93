/**
 * Bounded StateStore calls: a slow or unreachable Redis costs at most `timeoutMs` and an error, never a
 * hang. Every room that shares state through the store (control's fleet, the pipelines' real-time
 * publisher and its readers) goes through {@link bounded}; callers catch and fail static.
 */
import type { Clock } from '../clock.js';

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
