import type { Redis } from 'ioredis';
import { alertRequestProblem, type AlertRequest } from '../../core/alerts.js';
import {
  type AlertOutbox,
  type ClaimedJob,
  DEFAULT_OUTBOX_RETENTION_MS,
  expandJobId,
  type JobStatus,
  type OutboxJob,
  type Settlement,
  statusFields,
} from '../alerts/outbox.js';
import { workflowError } from '../errors.js';
import { guard, LuaScript } from './connection.js';

/**
 * Where the outbox's keys live (default prefix `sluice:alerts:`): per tenant `{tenant}:dedupe:{alert id}` (the
 * dedupe mark, expiring), `{tenant}:job:{job id}` (hash: `body`, `state`, `claims`, `failures`, `result`),
 * `{tenant}:jobs:{alert id}` (the alert's job ids); global `due` (sorted set of `tenant\0job id` by due time) and
 * `leased` (by lease deadline). Keys computed inside the scripts assume one Redis (not Redis Cluster).
 */
export class AlertOutboxKeys {
  /** @param prefix namespace, ends with `:` */
  constructor(readonly prefix = 'sluice:alerts:') {}
  dedupe(tenant: string, alertId: string): string {
    return `${this.prefix}${tenant}:dedupe:${alertId}`;
  }
  job(tenant: string, jobId: string): string {
    return `${this.prefix}${tenant}:job:${jobId}`;
  }
  alertJobs(tenant: string, alertId: string): string {
    return `${this.prefix}${tenant}:jobs:${alertId}`;
  }
  get due(): string {
    return `${this.prefix}due`;
  }
  get leased(): string {
    return `${this.prefix}leased`;
  }
}

/** Adds one job unless its key exists (Lua helper). ARGV layout per job: id, tenant, alert id, body. */
const ADD_JOB = `local function addjob(prefix, tenant, id, alertId, body, now, retention)
  local key = prefix .. tenant .. ':job:' .. id
  if redis.call('EXISTS', key) == 1 then return 0 end
  redis.call('HSET', key, 'body', body, 'state', 'pending', 'claims', 0, 'failures', 0)
  redis.call('ZADD', prefix .. 'due', now, tenant .. '\\0' .. id)
  local set = prefix .. tenant .. ':jobs:' .. alertId
  redis.call('SADD', set, id)
  redis.call('PEXPIRE', set, retention)
  return 1
end`;

// KEYS: dedupe   ARGV: prefix, tenant, job id, alert id, body, now, dedupeMs, retention
const RAISE = new LuaScript(`${ADD_JOB}
if not redis.call('SET', KEYS[1], ARGV[6], 'NX', 'PX', ARGV[7]) then return 0 end
addjob(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[8])
return 1`);

// KEYS: due, leased   ARGV: now, limit, lease deadline, prefix
const CLAIM = new LuaScript(`
local out = {}
local limit = tonumber(ARGV[2])
local function take(m)
  local sep = string.find(m, '\\0', 1, true)
  local key = ARGV[4] .. string.sub(m, 1, sep - 1) .. ':job:' .. string.sub(m, sep + 1)
  redis.call('ZREM', KEYS[1], m)
  local body = redis.call('HGET', key, 'body')
  if not body then
    redis.call('ZREM', KEYS[2], m)
    return
  end
  local claims = redis.call('HINCRBY', key, 'claims', 1)
  redis.call('HSET', key, 'state', 'leased')
  redis.call('ZADD', KEYS[2], ARGV[3], m)
  out[#out + 1] = body
  out[#out + 1] = tostring(claims)
  out[#out + 1] = redis.call('HGET', key, 'failures') or '0'
end
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, limit)) do take(m) end
local room = limit - #out / 3
if room > 0 then
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, room)) do take(m) end
end
return out`);

// KEYS: job, due, leased   ARGV: prefix, tenant, member, token, state, dueAt, result, now, retention, n, then n × (id, alert id, body)
const SETTLE = new LuaScript(`${ADD_JOB}
if redis.call('HGET', KEYS[1], 'claims') ~= ARGV[4] or redis.call('HGET', KEYS[1], 'state') ~= 'leased' then return 0 end
if not redis.call('ZSCORE', KEYS[3], ARGV[3]) then return 0 end
redis.call('ZREM', KEYS[3], ARGV[3])
redis.call('HSET', KEYS[1], 'state', ARGV[5])
if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'result', ARGV[7]) end
if ARGV[5] == 'retry' then
  redis.call('HINCRBY', KEYS[1], 'failures', 1)
  redis.call('ZADD', KEYS[2], ARGV[6], ARGV[3])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[9])
end
local n = tonumber(ARGV[10])
for i = 0, n - 1 do
  addjob(ARGV[1], ARGV[2], ARGV[11 + i * 3], ARGV[12 + i * 3], ARGV[13 + i * 3], ARGV[8], ARGV[9])
end
return 1`);

/**
 * The {@link AlertOutbox} in Redis, shared by every instance: each step one Lua script, so a claim, a settlement
 * with the jobs it adds, a raise with its dedupe mark are atomic across processes.
 */
export class RedisAlertOutbox implements AlertOutbox {
  readonly #redis: Redis;
  readonly #keys: AlertOutboxKeys;
  readonly #retentionMs: number;

  /** @param options key prefix; retention of dedupe marks and finished jobs, ms (default 7 days) */
  constructor(redis: Redis, options: { readonly keys?: AlertOutboxKeys; readonly retentionMs?: number } = {}) {
    this.#redis = redis;
    this.#keys = options.keys ?? new AlertOutboxKeys();
    this.#retentionMs = options.retentionMs ?? DEFAULT_OUTBOX_RETENTION_MS;
  }

  async raise(alert: AlertRequest, options: { readonly dedupeMs?: number } = {}): Promise<boolean> {
    const problem = alertRequestProblem(alert);
    if (problem)
      throw workflowError('SLUICE_ERR_ALERT_INVALID', `alert refused: ${problem}`, { details: { field: problem.split(' ')[0] } });
    const job: OutboxJob = { kind: 'expand', id: expandJobId(alert), tenant: alert.tenant, alert };
    const k = this.#keys;
    const dedupeMs = Math.max(1, Math.round(options.dedupeMs ?? this.#retentionMs));
    const r = await guard('raise an alert', () =>
      RAISE.run(
        this.#redis,
        [k.dedupe(alert.tenant, alert.id)],
        [k.prefix, alert.tenant, job.id, alert.id, JSON.stringify(job), alert.at, dedupeMs, this.#retentionMs],
      ),
    );
    return r === 1;
  }

  async claim(now: number, limit: number, leaseMs: number): Promise<ClaimedJob[]> {
    const k = this.#keys;
    const raw = (await guard('claim alert jobs', () =>
      CLAIM.run(this.#redis, [k.due, k.leased], [now, limit, now + leaseMs, k.prefix]),
    )) as string[];
    const out: ClaimedJob[] = [];
    for (let i = 0; i < raw.length; i += 3) {
      const claims = Number(raw[i + 1]);
      out.push({ job: JSON.parse(raw[i]!) as OutboxJob, token: String(claims), claims, failures: Number(raw[i + 2]) });
    }
    return out;
  }

  async settle(tenant: string, jobId: string, token: string, s: Settlement, now: number): Promise<boolean> {
    const k = this.#keys;
    const add = s.add ?? [];
    const args: (string | number)[] = [
      k.prefix,
      tenant,
      `${tenant}\0${jobId}`,
      token,
      s.state,
      s.dueAt ?? now,
      s.result ?? '',
      now,
      this.#retentionMs,
      add.length,
    ];
    for (const j of add) args.push(j.id, j.alert.id, JSON.stringify(j));
    const r = await guard('settle an alert job', () => SETTLE.run(this.#redis, [k.job(tenant, jobId), k.due, k.leased], args));
    return r === 1;
  }

  async jobs(tenant: string, alertId: string): Promise<JobStatus[]> {
    const k = this.#keys;
    const ids = (await guard('list alert jobs', () => this.#redis.smembers(k.alertJobs(tenant, alertId)))).sort();
    const rows = await Promise.all(ids.map((id) => this.#redis.hgetall(k.job(tenant, id))));
    return rows.flatMap((h, i) => {
      if (!h.body) return [];
      const job = JSON.parse(h.body) as OutboxJob;
      return [
        {
          id: ids[i]!,
          ...statusFields(job),
          state: h.state as JobStatus['state'],
          claims: Number(h.claims),
          failures: Number(h.failures),
          ...(h.result !== undefined && { result: h.result }),
        },
      ];
    });
  }

  async nextDueAt(): Promise<number | undefined> {
    const k = this.#keys;
    const [due, leased] = await guard('read the next alert job', () =>
      Promise.all([this.#redis.zrange(k.due, 0, 0, 'WITHSCORES'), this.#redis.zrange(k.leased, 0, 0, 'WITHSCORES')]),
    );
    const times = [due[1], leased[1]].filter((x): x is string => x !== undefined).map(Number);
    return times.length === 0 ? undefined : Math.min(...times);
  }
}
