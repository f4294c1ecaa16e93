/**
 * The one place Sluice creates ioredis clients (the state store, the workflow stores, the control
 * routes' rate limiter): the same reconnect policy, an error listener on every client (ioredis
 * prints unhandled `error` events itself), and status reports and messages that never carry the
 * URL's password. What differs between users — fail fast or queue while disconnected, connect
 * now or on demand, auto-pipelining, a command timeout — is an option, chosen by each user for a
 * reason written beside it.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { redactSecrets, redactUrl, urlSecrets } from '../redact.js';

/** Reconnect delay after `attempt` failed tries, ms: 50 ms doubling, at most 2 s, retried for ever. */
export const reconnectDelayMs = (attempt: number): number => Math.min(50 * 2 ** attempt, 2_000);

/** Options of {@link createRedis}. */
export interface RedisClientOptions {
  /** Connect on the first command or on {@link connectRedis} (default false: connect now). */
  readonly lazyConnect?: boolean;
  /** Queue commands while disconnected (default false: a command fails at once and the caller decides). */
  readonly offlineQueue?: boolean;
  /** Fail a command after this many reconnect attempts while Redis is down (default 1). */
  readonly maxRetriesPerRequest?: number;
  /** Fail a command that has no answer after this long, ms (default: no timeout). */
  readonly commandTimeoutMs?: number;
  /** Send the commands issued in one event-loop turn in one write (default false). */
  readonly autoPipelining?: boolean;
  /** Told when the connection comes up or fails; the error's message has the URL's secrets hidden. */
  readonly onStatus?: (status: 'ready' | 'error', err?: Error) => void;
}

/** `err` with every secret of `url` hidden from its message (the same error when there is nothing to hide). */
export function redactError(err: Error, url: string): Error {
  const message = redactSecrets(err.message, urlSecrets(url));
  if (message === err.message) return err;
  const safe = new Error(message);
  safe.name = err.name;
  return safe;
}

/** Where a Redis deployment watched by Sentinel is: the sentinels, the master's name and the master's credentials. */
export interface RedisSentinelTarget {
  /** `host:port` of each sentinel (port 26379 when left out). */
  readonly sentinels: readonly string[];
  /** The name the sentinels monitor the master under (`sentinel monitor <name> …`). */
  readonly name: string;
  /** The master's URL for its user, password, database and `rediss:` (its host is not used): `redis://:pw@x/2`. */
  readonly url?: string;
  /** Password of the sentinels themselves, when they require one. */
  readonly sentinelPassword?: string;
}

/**
 * One URL for a Sentinel deployment, so that every place handed a Redis URL (the state store, the workflow stores,
 * the queues, the rate limiters) connects through the sentinels without knowing about them:
 * `redis://[user:password@]<name>/<db>?sentinels=h1:26379,h2:26379[&sentinelPassword=…]`. {@link createRedis} reads it
 * back; {@link redactUrl} hides both passwords.
 *
 * @example sentinelUrl({ sentinels: ['10.0.0.1:26379', '10.0.0.2:26379'], name: 'sluice', url: 'redis://:pw@ignored/0' })
 */
export function sentinelUrl(target: RedisSentinelTarget): string {
  if (target.sentinels.length === 0) throw new Error('Redis Sentinel needs at least one sentinel address');
  if (!/^[A-Za-z0-9._-]+$/.test(target.name))
    throw new Error(`Redis Sentinel master name must be letters, digits, . _ -, got "${target.name}"`);
  for (const s of target.sentinels) parseHostPort(s);
  const base = new URL(target.url ?? 'redis://sentinel');
  const url = new URL(`${base.protocol}//${target.name}`);
  url.username = base.username;
  url.password = base.password;
  url.pathname = base.pathname === '' ? '/' : base.pathname;
  url.searchParams.set('sentinels', target.sentinels.join(','));
  if (target.sentinelPassword) url.searchParams.set('sentinelPassword', target.sentinelPassword);
  return url.toString();
}

function parseHostPort(s: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(s.trim());
  const port = m?.[2] === undefined ? 26379 : Number(m[2]);
  if (!m || port < 1 || port > 65535) throw new Error(`a sentinel address must be host:port, got "${s}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/** The ioredis target of `url`: the URL itself, or the sentinels and master name of a {@link sentinelUrl}. */
export function redisTarget(url: string): { url: string } | { sentinel: RedisOptions } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  const sentinels = parsed.searchParams.get('sentinels');
  if (sentinels === null) return { url };
  const db = Number(parsed.pathname.replace(/^\//, '') || '0');
  const sentinelPassword = parsed.searchParams.get('sentinelPassword') ?? undefined;
  const tls = parsed.protocol === 'rediss:';
  return {
    sentinel: {
      sentinels: sentinels.split(',').map(parseHostPort),
      name: parsed.hostname,
      ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
      ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
      ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
      ...(Number.isInteger(db) ? { db } : {}),
      ...(tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
      // A sentinel that is down is skipped; the next one is asked (ioredis tries them in order).
      sentinelRetryStrategy: reconnectDelayMs,
    },
  };
}

/**
 * A new ioredis client for `url` with the project's options.
 *
 * @param url `redis://[:password@]host:port/db`, or a {@link sentinelUrl} (through Redis Sentinel to the current master)
 * @example const redis = createRedis(config.redisUrl, { commandTimeoutMs: 250, onStatus: (s, err) => log(s, err?.message) });
 */
export function createRedis(url: string, options: RedisClientOptions = {}): Redis {
  const target = redisTarget(url);
  const common: RedisOptions = {
    lazyConnect: options.lazyConnect ?? false,
    enableOfflineQueue: options.offlineQueue ?? false,
    maxRetriesPerRequest: options.maxRetriesPerRequest ?? 1,
    enableAutoPipelining: options.autoPipelining ?? false,
    retryStrategy: reconnectDelayMs,
    ...(options.commandTimeoutMs === undefined ? {} : { commandTimeout: options.commandTimeoutMs }),
  };
  const redis = 'url' in target ? new Redis(target.url, common) : new Redis({ ...target.sentinel, ...common });
  const onStatus = options.onStatus;
  redis.on('ready', () => onStatus?.('ready'));
  redis.on('error', (err: Error) => onStatus?.('error', redactError(err, url)));
  return redis;
}

/**
 * Resolves true once `redis` is ready, false when it is not within `timeoutMs` (the client keeps
 * trying in the background).
 *
 * @param timeoutMs longest wait, ms
 */
export function whenReady(redis: Redis, timeoutMs: number, clock: Clock = systemClock): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    let timer: TimerHandle | undefined;
    const ready = (): void => {
      if (timer !== undefined) clock.clearTimeout(timer);
      resolve(true);
    };
    redis.once('ready', ready);
    timer = clock.setTimeout(() => {
      redis.off('ready', ready);
      resolve(false);
    }, timeoutMs);
  });
}

/**
 * A lazily created client, connected: resolves once it is ready.
 *
 * @param timeoutMs how long to wait for the first connection, ms
 * @throws Error naming the URL (password hidden) when Redis does not answer in time; the client is closed
 */
export async function connectRedis(url: string, options: RedisClientOptions = {}, timeoutMs = 5_000): Promise<Redis> {
  const redis = createRedis(url, { ...options, lazyConnect: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    redis.disconnect();
    throw new Error(`Redis at ${redactUrl(url)} is unreachable: ${redactError(err as Error, url).message}`);
  } finally {
    clearTimeout(timer);
  }
  return redis;
}
