/**
 * Per-key rate limits of the control routes, with `@fastify/rate-limit`.
 *
 * - The key is the authenticated principal (tenant and key id), set by the
 *   app's auth hook (`onRequest`); the limit runs in `preValidation`, after
 *   it, and never reads the body.
 * - `POST /v1/route` and `POST /v1/route/{id}/outcome` get `routePerSec` each
 *   (counted apart); every other control route gets `apiPerSec`.
 * - Beyond the limit: 429, `Retry-After` (seconds to the end of the window)
 *   and the project's error body (`SLUICE_ERR_RATE_LIMITED`).
 * - With a Redis client the counters are shared by every instance (the
 *   plugin's Redis store: one Lua INCR + PEXPIRE per request); when a Redis
 *   command fails, each instance counts on its own (the plugin's in-memory
 *   store) for the next second before trying Redis again, so the limit never
 *   lapses and requests do not queue behind an unreachable Redis.
 */
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import type { Clock } from '../../adapters/clock.js';
import { controlError } from '../errors.js';

/** Limits of {@link registerRateLimits}. */
export interface ControlRateLimits {
  /** Requests per window per API key on `POST /v1/route`, and apart on outcomes. */
  readonly routePerSec: number;
  /** Requests per window per API key on every other control route. */
  readonly apiPerSec: number;
  /** Window, ms (default 1000). */
  readonly windowMs?: number;
  /** Shares the counters across instances; in memory otherwise. */
  readonly redis?: Redis;
  /** Key prefix in Redis (default `sluice:rate:`). */
  readonly prefix?: string;
  /** Called for every request answered 429, with the tenant of its key. */
  readonly onLimited?: (limit: 'route' | 'outcome' | 'api', tenant: string) => void;
}

/**
 * Defaults a real contact center never reaches: a large one routes at most a few hundred
 * calls a second per tenant, one route and one outcome request each. The bound also caps what
 * one key can take of an instance: a route costs about 0.35 ms of CPU through the whole app
 * (measured with `sluice start` on one core), so 1 000/s is about a third of a core.
 */
export const DEFAULT_RATE_LIMITS = Object.freeze({ routePerSec: 1_000, apiPerSec: 100 });

/** The store shape `@fastify/rate-limit` calls. */
interface Store {
  incr(key: string, cb: (err: Error | null, res?: { current: number; ttl: number }) => void, timeWindow: number, max: number): void;
  child(routeOptions: unknown): Store;
}
type StoreCtor = new (continueExceeding: boolean, exponentialBackoff: boolean, a?: unknown, b?: unknown) => Store;

// The plugin's own stores (it exports no path to them): Redis (a Lua script) and the in-memory LRU.
const load = createRequire(import.meta.url);
const RedisStore = load('@fastify/rate-limit/store/RedisStore.js') as StoreCtor;
const LocalStore = load('@fastify/rate-limit/store/LocalStore.js') as StoreCtor;

/** How long after a failed Redis command the instance counts in memory only, ms. */
const LOCAL_AFTER_FAILURE_MS = 1_000;

/** Redis first; the in-memory store for a while after Redis answered with an error. */
class SharedStore implements Store {
  constructor(
    readonly shared: Store,
    readonly local: Store,
    readonly clock: Clock,
    /** Shared by a store and its children: Redis is one connection. */
    readonly health: { downUntil: number },
  ) {}

  incr(key: string, cb: (err: Error | null, res?: { current: number; ttl: number }) => void, timeWindow: number, max: number): void {
    if (this.clock.now() < this.health.downUntil) {
      this.local.incr(key, cb, timeWindow, max);
      return;
    }
    this.shared.incr(
      key,
      (err, res) => {
        if (!err) return cb(null, res);
        this.health.downUntil = this.clock.now() + LOCAL_AFTER_FAILURE_MS;
        this.local.incr(key, cb, timeWindow, max);
      },
      timeWindow,
      max,
    );
  }

  child(routeOptions: unknown): Store {
    return new SharedStore(this.shared.child(routeOptions), this.local.child(routeOptions), this.clock, this.health);
  }
}

/** The principal a request acts as: its tenant and key id. Never taken from the body. */
function principalKey(req: FastifyRequest): string {
  const p = req.principal as { tenant?: string; keyId?: string } | null;
  return p === null || p === undefined ? `ip:${req.ip}` : `${p.tenant}:${p.keyId}`;
}

/** Which limit a route falls under. */
function limitOf(req: FastifyRequest): 'route' | 'outcome' | 'api' {
  const url = req.routeOptions.url ?? '';
  return url === '/v1/route' ? 'route' : url === '/v1/route/:decisionId/outcome' ? 'outcome' : 'api';
}

/**
 * Registers the limits in `app`'s context: every route declared after this call
 * gets `apiPerSec`; a route whose config carries {@link routeLimit} gets that.
 */
export async function registerRateLimits(app: FastifyInstance, limits: ControlRateLimits, clock: Clock): Promise<void> {
  const windowMs = limits.windowMs ?? 1_000;
  const redis = limits.redis;
  const health = { downUntil: Number.NEGATIVE_INFINITY };
  const store =
    redis === undefined
      ? undefined
      : class extends SharedStore {
          constructor(params: { continueExceeding?: boolean; exponentialBackoff?: boolean }) {
            const c = params.continueExceeding ?? false;
            const e = params.exponentialBackoff ?? false;
            super(new RedisStore(c, e, redis, limits.prefix ?? 'sluice:rate:'), new LocalStore(c, e), clock, health);
          }
        };
  await app.register(rateLimit, {
    global: true,
    max: limits.apiPerSec,
    timeWindow: windowMs,
    hook: 'preValidation',
    keyGenerator: principalKey,
    ...(store === undefined ? {} : { store: store as never }),
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    onExceeded: (req) => limits.onLimited?.(limitOf(req), (req.principal as { tenant?: string } | null)?.tenant ?? ''),
    errorResponseBuilder: (req, ctx) =>
      controlError(
        'SLUICE_ERR_RATE_LIMITED',
        `${ctx.max} ${limitOf(req)} requests per ${windowMs} ms for this API key; retry in ${ctx.after}`,
      ),
  });
}

/** Route config giving a route the routing limit. */
export function routeLimit(limits: ControlRateLimits | false): { rateLimit?: { max: number; timeWindow: number } } {
  return limits === false ? {} : { rateLimit: { max: limits.routePerSec, timeWindow: limits.windowMs ?? 1_000 } };
}
