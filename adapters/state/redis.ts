import type { Redis } from 'ioredis';
import { redactUrl } from '../redact.js';
import { createRedis, whenReady } from '../redis/connect.js';
import type { StateStore } from './types.js';

const ACQUIRE = `local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const INCR = `local n = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
if ARGV[2] ~= '' and redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n`;
const MERGE = `for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
if ARGV[1] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1`;

/** Options for {@link RedisStateStore}. */
export interface RedisStateStoreOptions {
  /** `redis://host:port/db`. */
  url: string;
  /** Key namespace, default `sluice:`. */
  prefix?: string;
  /** Called when the connection fails or comes back (for readiness and logs); messages have the password hidden. */
  onStatus?: (status: 'ready' | 'error', err?: Error) => void;
}

/**
 * The state store on Redis via ioredis. Atomic multi-step operations (leases, counters with expiry,
 * merging map fields) are Lua scripts, so several instances can share one Redis safely. Commands fail
 * fast while Redis is unreachable (no offline queue): callers decide to fail static.
 */
export class RedisStateStore implements StateStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #url: string;
  #sub: Redis | undefined;

  constructor(opts: RedisStateStoreOptions) {
    this.#prefix = opts.prefix ?? 'sluice:';
    this.#url = opts.url;
    // Fail fast while Redis is away (no offline queue): the control loop then fails static.
    this.#redis = createRedis(opts.url, { ...(opts.onStatus === undefined ? {} : { onStatus: opts.onStatus }) });
    this.#redis.defineCommand('sluiceAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    this.#redis.defineCommand('sluiceRelease', { numberOfKeys: 1, lua: RELEASE });
    this.#redis.defineCommand('sluiceIncr', { numberOfKeys: 1, lua: INCR });
    this.#redis.defineCommand('sluiceMerge', { numberOfKeys: 1, lua: MERGE });
  }

  /** Resolves once connected (or rejects with the connection error after `timeoutMs`). */
  async ready(timeoutMs = 5_000): Promise<void> {
    if (!(await whenReady(this.#redis, timeoutMs)))
      throw new Error(`Redis at ${redactUrl(this.#url)} not reachable within ${timeoutMs} ms`);
  }

  #k(key: string): string {
    return this.#prefix + key;
  }

  async get(key: string): Promise<string | null> {
    return this.#redis.get(this.#k(key));
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    if (ttlMs === undefined) await this.#redis.set(this.#k(key), value);
    else await this.#redis.set(this.#k(key), value, 'PX', Math.max(1, Math.round(ttlMs)));
  }

  async del(key: string): Promise<void> {
    await this.#redis.del(this.#k(key));
  }

  async incrBy(key: string, n: number, ttlMs?: number): Promise<number> {
    const r = await (this.#redis as unknown as Scripts).sluiceIncr(
      this.#k(key),
      String(n),
      ttlMs === undefined ? '' : String(Math.round(ttlMs)),
    );
    return Number(r);
  }

  async setFields(key: string, fields: Readonly<Record<string, string>>, ttlMs?: number): Promise<void> {
    const flat = Object.entries(fields).flat();
    if (flat.length === 0 && ttlMs === undefined) return;
    await (this.#redis as unknown as Scripts).sluiceMerge(
      this.#k(key),
      ttlMs === undefined ? '' : String(Math.max(1, Math.round(ttlMs))),
      ...flat,
    );
  }

  async delFields(key: string, fields: readonly string[]): Promise<void> {
    if (fields.length > 0) await this.#redis.hdel(this.#k(key), ...fields);
  }

  async getFields(key: string): Promise<Record<string, string>> {
    return this.#redis.hgetall(this.#k(key));
  }

  async acquireLease(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await (this.#redis as unknown as Scripts).sluiceAcquire(this.#k(key), owner, String(Math.round(ttlMs)))) === 1;
  }

  async releaseLease(key: string, owner: string): Promise<boolean> {
    return (await (this.#redis as unknown as Scripts).sluiceRelease(this.#k(key), owner)) === 1;
  }

  async publish(channel: string, message: string): Promise<number> {
    return await this.#redis.publish(this.#k(channel), message);
  }

  async subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>> {
    if (!this.#sub) {
      this.#sub = this.#redis.duplicate({ enableOfflineQueue: true });
      // Connection errors are reported by the main connection's listener; without one ioredis prints them.
      this.#sub.on('error', () => {});
    }
    const sub = this.#sub;
    const full = this.#k(channel);
    const handler = (ch: string, msg: string) => {
      if (ch === full) onMessage(msg);
    };
    sub.on('message', handler);
    try {
      await sub.subscribe(full);
    } catch (err) {
      sub.off('message', handler);
      throw err;
    }
    return async () => {
      sub.off('message', handler);
      await sub.unsubscribe(full);
    };
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.#redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.#sub?.disconnect();
    this.#redis.disconnect();
  }
}

interface Scripts {
  sluiceAcquire(key: string, owner: string, ttl: string): Promise<number>;
  sluiceRelease(key: string, owner: string): Promise<number>;
  sluiceIncr(key: string, n: string, ttl: string): Promise<string>;
  sluiceMerge(key: string, ttl: string, ...fieldsAndValues: string[]): Promise<number>;
}
