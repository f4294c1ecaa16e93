/**
 * The limits of `GET /v1/stream`: how many sockets a key and the server hold, and how many frames
 * a client may send. Wall screens only listen (the server needs nothing from them but an occasional
 * `subscribe`), so a client that sends much is misbehaving, and a key holding a room of sockets is
 * either a leak or an attack; neither may cost other tenants their pushes.
 */

/** Which cap refused a new stream. */
export type StreamCap = 'per-key' | 'global';

/** Counts open streams per API key and in all; slots are taken by {@link StreamConnections.take}. */
export class StreamConnections {
  readonly #perKey = new Map<string, number>();
  #total = 0;

  /**
   * @param maxPerKey streams one key may hold at once
   * @param maxTotal streams the server holds at once
   */
  constructor(
    readonly maxPerKey: number,
    readonly maxTotal: number,
  ) {}

  /** Open streams in all. */
  get total(): number {
    return this.#total;
  }

  /** Open streams of one key. */
  of(keyId: string): number {
    return this.#perKey.get(keyId) ?? 0;
  }

  /** The cap a new stream of `keyId` would break now, or undefined when it fits. */
  refusal(keyId: string): StreamCap | undefined {
    if (this.of(keyId) >= this.maxPerKey) return 'per-key';
    if (this.#total >= this.maxTotal) return 'global';
    return undefined;
  }

  /**
   * Takes a slot for `keyId` and returns the function that gives it back (once, however often it
   * is called); returns the cap instead when none is free.
   */
  take(keyId: string): (() => void) | StreamCap {
    const refused = this.refusal(keyId);
    if (refused) return refused;
    this.#perKey.set(keyId, this.of(keyId) + 1);
    this.#total++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#total--;
      const left = this.of(keyId) - 1;
      // Keys without a stream leave the map: it never holds more entries than open streams.
      if (left > 0) this.#perKey.set(keyId, left);
      else this.#perKey.delete(keyId);
    };
  }
}

/**
 * A token bucket over a client's inbound frames: `perMinute` tokens, refilled continuously, one per
 * frame. Time comes from the caller (the stream's clock), so a test can hold it still.
 */
export class FrameBudget {
  #tokens: number;
  #at: number;

  /**
   * @param perMinute frames allowed per minute, and the largest burst
   * @param now the current time, ms
   */
  constructor(
    readonly perMinute: number,
    now: number,
  ) {
    this.#tokens = perMinute;
    this.#at = now;
  }

  /** Spends one frame at `now` (ms); false when the budget is used up. */
  spend(now: number): boolean {
    const elapsed = Math.max(0, now - this.#at);
    this.#at = Math.max(this.#at, now);
    this.#tokens = Math.min(this.perMinute, this.#tokens + (elapsed * this.perMinute) / 60_000);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
