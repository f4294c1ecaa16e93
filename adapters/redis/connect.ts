/**
 * The one place Sluice creates ioredis clients (the state store, the workflow stores, the control
 * routes' rate limiter): the same reconnect policy, an error listener on every client (ioredis
 * prints unhandled `error` events itself), and status reports and messages that never carry the
 * URL's password. What differs between users — fail fast or queue while disconnected, connect
 * now or on demand, auto-pipelining, a command timeout — is an option, chosen by each user for a
 * reason written beside it.
 */
import { Redis } from 'ioredis';
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

/**
 * A new ioredis client for `url` with the project's options.
 *
 * @param url `redis://[:password@]host:port/db`
 * @example const redis = createRedis(config.redisUrl, { commandTimeoutMs: 250, onStatus: (s, err) => log(s, err?.message) });
 */
export function createRedis(url: string, options: RedisClientOptions = {}): Redis {
  const redis = new Redis(url, {
    lazyConnect: options.lazyConnect ?? false,
    enableOfflineQueue: options.offlineQueue ?? false,
    maxRetriesPerRequest: options.maxRetriesPerRequest ?? 1,
    enableAutoPipelining: options.autoPipelining ?? false,
    retryStrategy: reconnectDelayMs,
    ...(options.commandTimeoutMs === undefined ? {} : { commandTimeout: options.commandTimeoutMs }),
  });
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
