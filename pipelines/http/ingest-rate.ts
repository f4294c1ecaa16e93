import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Events per second one API key may ingest (`SLUICE_INGEST_EVENTS_PER_SEC`), counted in events, not
 * requests: a tenant whose collector floods `POST /v1/events` fills the bus, and the pipeline workers read
 * every tenant's events in the order they came, so without it one tenant's flood delays every other
 * tenant's figures (with Kafka there is no admission bound to stop it). A real contact center sends far
 * fewer: a large one (10,000 agents) sends 1–2 thousand events a second at its peak.
 *
 * Counted in fixed one-second windows by `rate-limiter-flexible`: with a Redis client the counts are shared
 * by every instance (a key's limit holds across the fleet behind a load balancer); while a Redis command
 * fails, each instance counts in memory on its own (the library's insurance limiter), so the limit never
 * lapses and a request never waits for an unreachable Redis longer than the client's command timeout.
 */
export class IngestRate {
  readonly #limiter: RateLimiterMemory | RateLimiterRedis;
  readonly #perSec: number;

  /**
   * @param eventsPerSec events per second per key, at least one request's worth (5000)
   * @param windowS length of a counting window, s (default 1: `eventsPerSec` × this many per window)
   * @param shared Redis to count in, shared by every instance, and the key prefix there
   */
  constructor(eventsPerSec: number, windowS = 1, shared?: { readonly redis: Redis; readonly prefix?: string }) {
    this.#perSec = eventsPerSec;
    const window = { points: eventsPerSec * windowS, duration: windowS };
    this.#limiter =
      shared === undefined
        ? new RateLimiterMemory(window)
        : new RateLimiterRedis({
            ...window,
            storeClient: shared.redis,
            keyPrefix: shared.prefix ?? 'sluice:ingest-rate',
            insuranceLimiter: new RateLimiterMemory(window),
          });
  }

  /** Events per second per key. */
  get perSec(): number {
    return this.#perSec;
  }

  /** Seconds to wait before `key` may send again, when its window is used up already (checked before a body is read). */
  async exhausted(key: string): Promise<number | undefined> {
    const res = await this.#limiter.get(key);
    return res !== null && res.remainingPoints <= 0 ? retryAfter(res) : undefined;
  }

  /** Counts `events` for `key`; the seconds to wait when they do not fit in its window (none of them counted as sent). */
  async take(key: string, events: number): Promise<number | undefined> {
    try {
      await this.#limiter.consume(key, events);
      return undefined;
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      // The refused request is not held against the key: give its events back.
      await this.giveBack(key, events);
      return retryAfter(err);
    }
  }

  /** Takes back `events` counted for `key` by {@link take} (their request was refused after all). */
  async giveBack(key: string, events: number): Promise<void> {
    await this.#limiter.reward(key, events);
  }
}

const retryAfter = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));
