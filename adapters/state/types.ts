/**
 * Shared state between Sluice instances (control levels, breaker state, budgets, policies):
 * a handful of atomic operations. Redis through ioredis is the real store (atomic steps are Lua
 * scripts); {@link MemoryStateStore} is the twin for the embedded default. Both pass
 * `adapters/state/state.contract.ts`. Keys are namespaced by the store's prefix; callers add the tenant.
 */
export interface StateStore {
  get(key: string): Promise<string | null>;
  /** Sets a value, expiring after `ttlMs` when given. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  del(key: string): Promise<void>;
  /** Adds `n` to a counter (created at 0) and returns the new value; `ttlMs` is set when the key is new. */
  incrBy(key: string, n: number, ttlMs?: number): Promise<number>;
  /**
   * Merges `fields` into the map at `key` in one atomic step (other fields are kept), and when `ttlMs`
   * is given (re)sets the whole map's expiry. Lets several writers fill disjoint fields of one key
   * without a read-modify-write race (e.g. pipeline workers each publishing their skill groups).
   */
  setFields(key: string, fields: Readonly<Record<string, string>>, ttlMs?: number): Promise<void>;
  /** Removes `fields` from the map at `key` (the others and the map's expiry are kept). */
  delFields(key: string, fields: readonly string[]): Promise<void>;
  /** Every field of the map at `key` (`{}` when there is none). */
  getFields(key: string): Promise<Record<string, string>>;
  /**
   * Takes or renews a lease: succeeds when the key is free or already held by `owner`, and (re)sets
   * its expiry to `ttlMs`. Returns whether `owner` holds it now.
   */
  acquireLease(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives a lease up if `owner` holds it; returns whether it did. */
  releaseLease(key: string, owner: string): Promise<boolean>;
  /**
   * Publishes a message to every subscriber of `channel` (fire and forget); returns how many
   * subscribers it reached (Redis: connections subscribed to the channel; 0 when nobody listens).
   */
  publish(channel: string, message: string): Promise<number>;
  /** Subscribes; returns a function that unsubscribes. */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>>;
  /** True when the store answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
