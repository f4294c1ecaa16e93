import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Events per second one API key may ingest (`SLUICE_INGEST_EVENTS_PER_SEC`), counted in events, not
 * requests: a tenant whose collector floods `POST /v1/events` fills the bus, and the pipeline workers read
 * every tenant's events in the order they came, so without it one tenant's flood delays every other
 * tenant's figures (with Kafka there is no admission bound to stop it). A real contact center sends far
 * fewer: a large one (10,000 agents) sends 1–2 thousand events a second at its peak.
 *
 * Counted per instance in fixed one-second windows by `rate-limiter-flexible`.
 */
export class IngestRate {
  readonly #limiter: RateLimiterMemory;
  readonly #perSec: number;

  /**
   * @param eventsPerSec events per second per key, at least one request's worth (5000)
   * @param windowS length of a counting window, s (default 1: `eventsPerSec` × this many per window)
   */
  constructor(eventsPerSec: number, windowS = 1) {
    this.#perSec = eventsPerSec;
    this.#limiter = new RateLimiterMemory({ points: eventsPerSec * windowS, duration: windowS });
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
