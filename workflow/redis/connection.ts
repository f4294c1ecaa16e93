import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { connectRedis } from '../../adapters/redis/connect.js';
import { isSluiceError } from '../../core/errors.js';
import { workflowError } from '../errors.js';

/** Options of {@link connectWorkflowRedis}. */
export interface WorkflowRedisOptions {
  /** Fail a command after this many reconnect attempts while Redis is down (default 2). */
  readonly maxRetriesPerRequest?: number;
  /** Called when the connection fails or comes back (readiness, logs). */
  readonly onStatus?: (status: 'ready' | 'error', err?: Error) => void;
}

/**
 * Opens the ioredis client the workflow stores share (`adapters/redis/connect.ts`) and waits
 * until it is ready. Auto-pipelining sends commands issued in one event-loop turn in one write,
 * which is what makes many concurrent tickets and timer acks cheap; commands issued during a
 * short disconnection wait in the offline queue, and {@link guard} turns a failure into a
 * retriable error.
 *
 * @param url `redis://host:port/db`
 * @param timeoutMs how long to wait for the first connection, ms
 * @throws SluiceError `SLUICE_ERR_UNAVAILABLE` when Redis does not answer in time
 */
export async function connectWorkflowRedis(url: string, options: WorkflowRedisOptions = {}, timeoutMs = 5_000): Promise<Redis> {
  try {
    return await connectRedis(
      url,
      {
        autoPipelining: true,
        offlineQueue: true,
        maxRetriesPerRequest: options.maxRetriesPerRequest ?? 2,
        ...(options.onStatus === undefined ? {} : { onStatus: options.onStatus }),
      },
      timeoutMs,
    );
  } catch (err) {
    throw workflowError('SLUICE_ERR_UNAVAILABLE', `workflow ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Runs `fn`, turning a Redis failure (connection lost, command timed out) into a retriable
 * `SLUICE_ERR_UNAVAILABLE`; workflow errors pass through unchanged.
 *
 * @param what names the operation in the message
 */
export async function guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isSluiceError(err)) throw err;
    throw workflowError('SLUICE_ERR_UNAVAILABLE', `workflow store failed to ${what}: ${(err as Error).message}`, { cause: err });
  }
}

/** A Lua script run by its SHA1, loaded on first use (and again after a `SCRIPT FLUSH` or a Redis restart). */
export class LuaScript {
  readonly #lua: string;
  readonly #sha: string;

  /** @param lua script text; keys in `KEYS`, arguments in `ARGV` */
  constructor(lua: string) {
    this.#lua = lua;
    this.#sha = createHash('sha1').update(lua).digest('hex');
  }

  /** Runs the script atomically with the given keys and arguments. */
  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.#lua, keys.length, ...keys, ...args);
    }
  }
}

/**
 * Where every workflow key lives. One prefix (default `sluice:wf:`) and the tenant in
 * every per-tenant key: `sluice:wf:{tenant}:ticket:{id}`. The timer queues are global
 * (one claim serves all tenants); their members carry the tenant. Keys computed inside the
 * scripts assume one Redis (not Redis Cluster).
 */
export class WorkflowKeys {
  /** @param prefix namespace of every key, ends with `:` */
  constructor(readonly prefix = 'sluice:wf:') {}

  /** Hash of one ticket: `rev`, `doc`, `idx` (index keys it is in), `load` (open todos per assignee). */
  ticket(tenant: string, id: string): string {
    return `${this.prefix}${tenant}:ticket:${id}`;
  }

  /** Sorted set of the tenant's ticket ids by creation time; with a filter, the tickets matching it. */
  tickets(tenant: string, filter?: 'state' | 'flow' | 'node' | 'assignee' | 'unassigned', value?: string): string {
    return filter === undefined ? `${this.prefix}${tenant}:tickets` : `${this.prefix}${tenant}:tickets:${filter}:${value ?? ''}`;
  }

  /** Hash user id → open todos on the tenant's unclosed tickets; field `""`: open todos nobody holds. */
  load(tenant: string): string {
    return `${this.prefix}${tenant}:load`;
  }

  /** Hash flow id → latest version. */
  flows(tenant: string): string {
    return `${this.prefix}${tenant}:flows`;
  }

  /** Hash version → definition JSON of one flow. */
  flowVersions(tenant: string, id: string): string {
    return `${this.prefix}${tenant}:flow:${id}`;
  }

  /** Prefix of the tenant's people directory keys (persons, groups, organisations and their indexes). */
  directory(tenant: string): string {
    return `${this.prefix}${tenant}:dir:`;
  }

  /** Round-robin counter of one assignment pool. */
  roundRobin(tenant: string, pool: string): string {
    return `${this.prefix}${tenant}:rr:${pool}`;
  }

  /** Sorted set of pending timers by due time (members `tenant\0id`). */
  get timersDue(): string {
    return `${this.prefix}timers:due`;
  }

  /** Sorted set of claimed timers by lease deadline. */
  get timersInFlight(): string {
    return `${this.prefix}timers:inflight`;
  }

  /** Hash timer id → timer JSON, while pending or in flight. */
  timerBodies(tenant: string): string {
    return `${this.prefix}${tenant}:timers`;
  }

  /** Fired mark of one timer (value: epoch ms it was acked), expiring after the retention. */
  fired(tenant: string, id: string): string {
    return `${this.prefix}${tenant}:fired:${id}`;
  }

  /** Sorted set of a ticket's pending timer ids by the revision that scheduled them. */
  ticketTimers(tenant: string, ticketId: string): string {
    return `${this.prefix}${tenant}:ticket-timers:${ticketId}`;
  }

  /** Newest revision of a ticket the timer store has seen. */
  ticketRevision(tenant: string, ticketId: string): string {
    return `${this.prefix}${tenant}:ticket-rev:${ticketId}`;
  }
}
