import type { Redis } from 'ioredis';
import {
  assertTimersOf,
  DEFAULT_TIMER_LEASE_MS,
  type SlaTimer,
  type TimerRef,
  type TimerReplacement,
  type TimerStore,
} from '../sla/timer-store.js';
import { guard, LuaScript, WorkflowKeys } from './connection.js';

/** Splits a queue member `tenant\0id` (Lua). */
const SPLIT = `local function split(m)
  local sep = string.find(m, '\\0', 1, true)
  return string.sub(m, 1, sep - 1), string.sub(m, sep + 1)
end`;

/**
 * The two steps every way of writing a ticket's timers is made of (Lua), so `schedule`, `cancel` and `replace` share
 * them: `remove_older` drops the ticket's pending timers scheduled before `rev` (all when `rev` is nil) and returns
 * how many; `add_timer` puts one timer in the due set unless its id is fired or in flight, and returns 1 when it did.
 */
const TIMER_STEPS = `local function remove_older(due, bodies, ticketTimers, memberPrefix, rev)
  local ids
  if rev then ids = redis.call('ZRANGEBYSCORE', ticketTimers, '-inf', '(' .. rev)
  else ids = redis.call('ZRANGE', ticketTimers, 0, -1) end
  local removed = 0
  for _, id in ipairs(ids) do
    redis.call('ZREM', ticketTimers, id)
    if redis.call('ZREM', due, memberPrefix .. id) == 1 then
      redis.call('HDEL', bodies, id)
      removed = removed + 1
    end
  end
  return removed
end
local function add_timer(due, inflight, bodies, ticketTimers, fired, member, id, dueAt, rev, json)
  if redis.call('EXISTS', fired) == 1 then return 0 end
  if redis.call('ZSCORE', inflight, member) then return 0 end
  redis.call('HSET', bodies, id, json)
  redis.call('ZADD', due, dueAt, member)
  redis.call('ZADD', ticketTimers, rev, id)
  return 1
end`;

// KEYS: due, inflight, bodies, fired, ticketTimers, ticketRevision
// ARGV: member, id, dueAt, revision, json, retention ms
const SCHEDULE = new LuaScript(`${TIMER_STEPS}
local known = redis.call('GET', KEYS[6])
if known and tonumber(ARGV[4]) < tonumber(known) then return 0 end
if add_timer(KEYS[1], KEYS[2], KEYS[3], KEYS[5], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]) == 0 then return 0 end
redis.call('PEXPIRE', KEYS[5], ARGV[6])
return 1`);

// KEYS: ticketTimers, ticketRevision, due, bodies   ARGV: member prefix (tenant\0), revision or '', retention ms
const CANCEL = new LuaScript(`${TIMER_STEPS}
local rev = nil
if ARGV[2] ~= '' then
  rev = ARGV[2]
  local known = redis.call('GET', KEYS[2])
  if (not known) or tonumber(known) < tonumber(rev) then redis.call('SET', KEYS[2], rev, 'PX', ARGV[3])
  else redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
end
return remove_older(KEYS[3], KEYS[4], KEYS[1], ARGV[1], rev)`);

/**
 * Lua: replaces a ticket's pending timers (see `TimerStore.replace`). `k` = {due, inflight, bodies, ticketTimers,
 * ticketRevision} (the keys of {@link RedisTimerStore.replaceCall}), `a` = its ARGV from `o` on: fired-key prefix
 * (`…:fired:`), member prefix (`tenant\0`), revision, retention ms, n, then n × (id, dueAt, json). Returns
 * {removed, scheduled, stale}. Shared by the ticket store's scripts, which write a ticket and its timers in one step.
 */
export const REPLACE_TIMERS_LUA = `${TIMER_STEPS}
local function replace_timers(k, a, o)
  local rev = a[o + 2]
  local known = redis.call('GET', k[5])
  if known and tonumber(rev) < tonumber(known) then return {0, 0, 1} end
  redis.call('SET', k[5], rev, 'PX', a[o + 3])
  local removed = remove_older(k[1], k[3], k[4], a[o + 1], rev)
  local scheduled = 0
  for i = 0, tonumber(a[o + 4]) - 1 do
    local id = a[o + 5 + i * 3]
    scheduled = scheduled + add_timer(k[1], k[2], k[3], k[4], a[o] .. id, a[o + 1] .. id, id, a[o + 6 + i * 3], rev, a[o + 7 + i * 3])
  end
  redis.call('PEXPIRE', k[4], a[o + 3])
  return {removed, scheduled, 0}
end`;

const REPLACE = new LuaScript(`${REPLACE_TIMERS_LUA}
return replace_timers({KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]}, ARGV, 1)`);

// KEYS: due, inflight   ARGV: now, limit, lease deadline, key prefix
const CLAIM = new LuaScript(`${SPLIT}
local out = {}
local limit = tonumber(ARGV[2])
local function take(m)
  local tenant, id = split(m)
  local body = redis.call('HGET', ARGV[4] .. tenant .. ':timers', id)
  if body then
    redis.call('ZADD', KEYS[2], ARGV[3], m)
    out[#out + 1] = body
  else
    redis.call('ZREM', KEYS[2], m)
  end
end
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, limit)) do take(m) end
local room = limit - #out
if room > 0 then
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, room)) do
    redis.call('ZREM', KEYS[1], m)
    take(m)
  end
end
return out`);

// KEYS: inflight   ARGV: now, retention ms, key prefix, members…
const ACK = new LuaScript(`${SPLIT}
local n = 0
for i = 4, #ARGV do
  if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then
    local tenant, id = split(ARGV[i])
    redis.call('HDEL', ARGV[3] .. tenant .. ':timers', id)
    redis.call('SET', ARGV[3] .. tenant .. ':fired:' .. id, ARGV[1], 'PX', ARGV[2])
    n = n + 1
  end
end
return n`);

/** A {@link REPLACE_TIMERS_LUA} reply as a {@link TimerReplacement}. */
export function replacementOf(reply: unknown): TimerReplacement {
  const [removed, scheduled, stale] = reply as number[];
  return { removed: Number(removed), scheduled: Number(scheduled), stale: Number(stale) === 1 };
}

/** Options of {@link RedisTimerStore}. */
export interface RedisTimerStoreOptions {
  /** Key layout (default prefix `sluice:wf:`). */
  readonly keys?: WorkflowKeys;
  /** How long fired marks and a ticket's newest revision are kept, ms (default 30 days). */
  readonly retentionMs?: number;
}

const member = (tenant: string, id: string): string => `${tenant}\u0000${id}`;

/**
 * The {@link TimerStore} on Redis, shared by every workflow instance. Pending timers wait
 * in one sorted set by due time; `claimDue` (a Lua script) moves them to an in-flight
 * sorted set scored by lease deadline and re-claims expired leases first; `ack` retires
 * them and writes a fired mark that expires after the retention. Timer bodies live in a
 * per-tenant hash; a per-ticket sorted set by revision serves `cancel` and the revision
 * guard.
 */
export class RedisTimerStore implements TimerStore {
  readonly #redis: Redis;
  readonly #keys: WorkflowKeys;
  readonly #retentionMs: number;

  /**
   * @param redis a connected client (see `connectWorkflowRedis`); not closed by the store
   * @param options key layout and retention
   */
  constructor(redis: Redis, options: RedisTimerStoreOptions = {}) {
    this.#redis = redis;
    this.#keys = options.keys ?? new WorkflowKeys();
    this.#retentionMs = options.retentionMs ?? 30 * 86_400_000;
  }

  async schedule(timer: SlaTimer): Promise<boolean> {
    const k = this.#keys;
    const keys = [
      k.timersDue,
      k.timersInFlight,
      k.timerBodies(timer.tenant),
      k.fired(timer.tenant, timer.id),
      k.ticketTimers(timer.tenant, timer.ticketId),
      k.ticketRevision(timer.tenant, timer.ticketId),
    ];
    const args = [member(timer.tenant, timer.id), timer.id, timer.dueAt, timer.revision, JSON.stringify(timer), this.#retentionMs];
    return (await guard('schedule a timer', () => SCHEDULE.run(this.#redis, keys, args))) === 1;
  }

  async cancel(tenant: string, ticketId: string, revision?: number): Promise<number> {
    const k = this.#keys;
    const keys = [k.ticketTimers(tenant, ticketId), k.ticketRevision(tenant, ticketId), k.timersDue, k.timerBodies(tenant)];
    return Number(
      await guard('cancel timers', () => CANCEL.run(this.#redis, keys, [member(tenant, ''), revision ?? '', this.#retentionMs])),
    );
  }

  async replace(tenant: string, ticketId: string, revision: number, timers: readonly SlaTimer[]): Promise<TimerReplacement> {
    const { keys, args } = this.replaceCall(tenant, ticketId, revision, timers);
    return replacementOf(await guard('replace a ticket’s timers', () => REPLACE.run(this.#redis, keys, args)));
  }

  /**
   * The KEYS and ARGV of {@link REPLACE_TIMERS_LUA} for one replacement, checked: for the ticket store, whose scripts
   * write a ticket and its timers together (same Redis, same key layout).
   */
  replaceCall(
    tenant: string,
    ticketId: string,
    revision: number,
    timers: readonly SlaTimer[],
  ): { keys: string[]; args: (string | number)[] } {
    assertTimersOf(tenant, ticketId, timers);
    const k = this.#keys;
    const keys = [
      k.timersDue,
      k.timersInFlight,
      k.timerBodies(tenant),
      k.ticketTimers(tenant, ticketId),
      k.ticketRevision(tenant, ticketId),
    ];
    const args: (string | number)[] = [k.fired(tenant, ''), member(tenant, ''), revision, this.#retentionMs, timers.length];
    for (const t of timers) args.push(t.id, t.dueAt, JSON.stringify({ ...t, revision }));
    return { keys, args };
  }

  async claimDue(now: number, limit: number, leaseMs = DEFAULT_TIMER_LEASE_MS): Promise<SlaTimer[]> {
    const args = [now, Math.max(1, Math.floor(limit)), now + leaseMs, this.#keys.prefix];
    const bodies = (await guard('claim timers', () =>
      CLAIM.run(this.#redis, [this.#keys.timersDue, this.#keys.timersInFlight], args),
    )) as string[];
    return bodies.map((b) => JSON.parse(b) as SlaTimer);
  }

  async ack(timers: readonly TimerRef[], now: number): Promise<number> {
    if (timers.length === 0) return 0;
    const args = [now, this.#retentionMs, this.#keys.prefix, ...timers.map((t) => member(t.tenant, t.id))];
    return Number(await guard('ack timers', () => ACK.run(this.#redis, [this.#keys.timersInFlight], args)));
  }

  async nextDueAt(): Promise<number | undefined> {
    const [due, lease] = await guard('read the next due time', () =>
      Promise.all([
        this.#redis.zrange(this.#keys.timersDue, 0, 0, 'WITHSCORES'),
        this.#redis.zrange(this.#keys.timersInFlight, 0, 0, 'WITHSCORES'),
      ]),
    );
    const scores = [due[1], lease[1]].filter((s): s is string => s !== undefined).map(Number);
    return scores.length === 0 ? undefined : Math.min(...scores);
  }

  async firedAt(tenant: string, ids: readonly string[]): Promise<(number | undefined)[]> {
    if (ids.length === 0) return [];
    const values = await guard('read fired marks', () => this.#redis.mget(...ids.map((id) => this.#keys.fired(tenant, id))));
    return values.map((v) => (v === null ? undefined : Number(v)));
  }

  /** Pending and in-flight timer counts (for gauges and the benchmark). */
  async counts(): Promise<{ pending: number; inFlight: number }> {
    const [pending, inFlight] = await guard('count timers', () =>
      Promise.all([this.#redis.zcard(this.#keys.timersDue), this.#redis.zcard(this.#keys.timersInFlight)]),
    );
    return { pending, inFlight };
  }
}
