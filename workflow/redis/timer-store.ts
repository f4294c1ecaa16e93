import type { Redis } from 'ioredis';
import { DEFAULT_TIMER_LEASE_MS, type SlaTimer, type TimerRef, type TimerStore } from '../sla/timer-store.js';
import { guard, LuaScript, WorkflowKeys } from './connection.js';

/** Splits a queue member `tenant\0id` (Lua). */
const SPLIT = `local function split(m)
  local sep = string.find(m, '\\0', 1, true)
  return string.sub(m, 1, sep - 1), string.sub(m, sep + 1)
end`;

// KEYS: due, inflight, bodies, fired, ticketTimers, ticketRevision
// ARGV: member, id, dueAt, revision, json, retention ms
const SCHEDULE = new LuaScript(`
if redis.call('EXISTS', KEYS[4]) == 1 then return 0 end
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
local known = redis.call('GET', KEYS[6])
if known and tonumber(ARGV[4]) < tonumber(known) then return 0 end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[5])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[4], ARGV[2])
redis.call('PEXPIRE', KEYS[5], ARGV[6])
return 1`);

// KEYS: ticketTimers, ticketRevision, due, bodies   ARGV: member prefix (tenant\0), revision or '', retention ms
const CANCEL = new LuaScript(`
local ids
if ARGV[2] ~= '' then
  local known = redis.call('GET', KEYS[2])
  if (not known) or tonumber(known) < tonumber(ARGV[2]) then redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  else redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2])
else
  ids = redis.call('ZRANGE', KEYS[1], 0, -1)
end
local removed = 0
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  if redis.call('ZREM', KEYS[3], ARGV[1] .. id) == 1 then
    redis.call('HDEL', KEYS[4], id)
    removed = removed + 1
  end
end
return removed`);

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
