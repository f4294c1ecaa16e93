/**
 * Whether a Redis keeps what Sluice writes across a restart. Tickets, SLA timers, policies, levels and the
 * callback queue live only there: a Redis with neither an append-only file nor RDB snapshots loses them all
 * when it restarts, without an error anywhere. Sluice checks once at start and warns (it does not refuse: a
 * cache-only Redis is a choice some deployments make, e.g. behind a replica that persists).
 */
import type { Redis } from 'ioredis';

/** What a Redis says of its persistence. */
export interface RedisPersistence {
  /** `appendonly yes` (from `INFO persistence`, which works where `CONFIG` is disabled). */
  readonly aof: boolean;
  /** `appendfsync` (`always`, `everysec`, `no`) when `CONFIG GET` answers, else undefined. */
  readonly appendfsync: string | undefined;
  /** The RDB snapshot schedule (`save`, e.g. `3600 1 300 100`; `''` = none) when `CONFIG GET` answers, else undefined. */
  readonly rdbSchedule: string | undefined;
  /** `maxmemory-policy` when `CONFIG GET` answers: an `allkeys-*` policy may evict tickets and timers under memory pressure. */
  readonly evictionPolicy: string | undefined;
  /** Why `CONFIG GET` gave nothing (renamed or disabled by the provider, or not allowed by the ACL), if it did not. */
  readonly configUnavailable: string | undefined;
  /** What an operator should know, or undefined when the data survives a restart as recommended. */
  readonly warning: string | undefined;
}

/** `field:value` lines of an `INFO` section. */
function infoFields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}

async function configGet(redis: Redis, name: string): Promise<string> {
  const reply = (await redis.call('CONFIG', 'GET', name)) as string[];
  return reply[1] ?? '';
}

/**
 * Reads `INFO persistence` (and `CONFIG GET appendfsync`/`save`/`maxmemory-policy` when allowed) and says whether a
 * restart would lose data: a warning when neither AOF nor RDB snapshots are on, or AOF is on with `appendfsync no`,
 * or when a full Redis would evict any key (`allkeys-*`).
 * Recommended: `appendonly yes` with `appendfsync everysec` (at most a second of writes lost on a crash).
 *
 * @throws when `INFO` itself fails (the caller logs that the check could not run)
 */
export async function redisPersistence(redis: Redis): Promise<RedisPersistence> {
  const info = infoFields(String(await redis.info('persistence')));
  const aof = info.get('aof_enabled') === '1';
  let appendfsync: string | undefined;
  let rdbSchedule: string | undefined;
  let evictionPolicy: string | undefined;
  let configUnavailable: string | undefined;
  try {
    appendfsync = await configGet(redis, 'appendfsync');
    rdbSchedule = await configGet(redis, 'save');
    evictionPolicy = await configGet(redis, 'maxmemory-policy');
  } catch (err) {
    configUnavailable = (err as Error).message;
  }
  let warning: string | undefined;
  if (!aof && rdbSchedule === '') {
    warning =
      'Redis persistence is off (appendonly no, no save schedule): a Redis restart loses every ticket, SLA timer, policy and queued callback; set appendonly yes with appendfsync everysec';
  } else if (!aof && rdbSchedule === undefined) {
    warning = `Redis append-only file is off and its snapshot schedule could not be read (CONFIG GET: ${configUnavailable}): unless RDB snapshots are on, a Redis restart loses every ticket, SLA timer, policy and queued callback; set appendonly yes with appendfsync everysec`;
  } else if (!aof) {
    warning = `Redis keeps only RDB snapshots (save ${rdbSchedule}): a crash loses the writes since the last snapshot (tickets, SLA timers, policies); appendonly yes with appendfsync everysec loses at most a second`;
  } else if (appendfsync === 'no') {
    warning =
      'Redis appendfsync is no: the OS decides when writes reach the disk (up to ~30 s lost on a crash); appendfsync everysec is recommended';
  }
  if (evictionPolicy?.startsWith('allkeys-')) {
    const evicting = `Redis maxmemory-policy is ${evictionPolicy}: when it fills, Redis deletes keys Sluice needs (tickets, timers, policies); use noeviction`;
    warning = warning ? `${warning}; ${evicting}` : evicting;
  }
  return { aof, appendfsync, rdbSchedule, evictionPolicy, configUnavailable, warning };
}
