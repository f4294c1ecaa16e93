import type { Redis } from 'ioredis';
import { workflowError } from '../errors.js';
import { decodeCursor, encodeCursor, matchesFilters } from '../engine/memory-ticket-store.js';
import type { Ticket, TicketState } from '../engine/ticket.js';
import { waitsForAssignment, type TicketFilters, type TicketPage, type TicketStore, type TimersOf } from '../engine/ticket-store.js';
import type { WorkloadSource } from '../people/ports.js';
import { guard, LuaScript, WorkflowKeys } from './connection.js';
import { RedisTimerStore, REPLACE_TIMERS_LUA } from './timer-store.js';

// Ticket keys from KEYS[o + 1]: ticket, load, index keys…  ARGV: doc, createdAt, id, idx JSON, load JSON
const createTicketLua = (o: number) => `
if redis.call('EXISTS', KEYS[${o + 1}]) == 1 then return 0 end
redis.call('HSET', KEYS[${o + 1}], 'rev', 1, 'doc', ARGV[1], 'idx', ARGV[4], 'load', ARGV[5])
for i = ${o + 3}, #KEYS do redis.call('ZADD', KEYS[i], ARGV[2], ARGV[3]) end
for user, n in pairs(cjson.decode(ARGV[5])) do redis.call('HINCRBY', KEYS[${o + 2}], user, n) end`;

// Ticket keys from KEYS[o + 1]: ticket, load, new index keys…  ARGV: doc, createdAt, id, idx JSON, load JSON, expected revision
// Returns 0 when stored, -1 when missing, else the stored revision (a conflict).
const updateTicketLua = (o: number) => `
local rev = redis.call('HGET', KEYS[${o + 1}], 'rev')
if not rev then return -1 end
if tonumber(rev) ~= tonumber(ARGV[6]) then return tonumber(rev) end
for _, k in ipairs(cjson.decode(redis.call('HGET', KEYS[${o + 1}], 'idx'))) do redis.call('ZREM', k, ARGV[3]) end
for i = ${o + 3}, #KEYS do redis.call('ZADD', KEYS[i], ARGV[2], ARGV[3]) end
for user, n in pairs(cjson.decode(redis.call('HGET', KEYS[${o + 1}], 'load'))) do
  if redis.call('HINCRBY', KEYS[${o + 2}], user, -n) <= 0 then redis.call('HDEL', KEYS[${o + 2}], user) end
end
for user, n in pairs(cjson.decode(ARGV[5])) do redis.call('HINCRBY', KEYS[${o + 2}], user, n) end
redis.call('HSET', KEYS[${o + 1}], 'rev', tonumber(ARGV[6]) + 1, 'doc', ARGV[1], 'idx', ARGV[4], 'load', ARGV[5])`;

const CREATE = new LuaScript(`${createTicketLua(0)}
return 1`);
const UPDATE = new LuaScript(`${updateTicketLua(0)}
return 0`);
// The same with the ticket's SLA timers replaced in the same script: KEYS start with the 5 timer keys, ARGV
// continues after the ticket's with the timer replacement's (REPLACE_TIMERS_LUA).
const TIMER_KEYS = '{KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]}';
const CREATE_WITH_TIMERS = new LuaScript(`${REPLACE_TIMERS_LUA}
${createTicketLua(5)}
replace_timers(${TIMER_KEYS}, ARGV, 6)
return 1`);
const UPDATE_WITH_TIMERS = new LuaScript(`${REPLACE_TIMERS_LUA}
${updateTicketLua(5)}
replace_timers(${TIMER_KEYS}, ARGV, 7)
return 0`);

/** Options of {@link RedisTicketStore}. */
export interface RedisTicketStoreOptions {
  /** Key layout (default prefix `sluice:wf:`). */
  readonly keys?: WorkflowKeys;
  /** Most index entries one `list` call examines before it returns a short page with a cursor (default 5000). */
  readonly maxScan?: number;
  /** How long the paired timer store keeps fired marks and a ticket's newest revision, ms (default 30 days). */
  readonly timerRetentionMs?: number;
}

const STATES: readonly TicketState[] = ['active', 'paused', 'closed'];

/**
 * The {@link TicketStore} (and {@link WorkloadSource}) on Redis. A ticket is one hash
 * (`rev`, `doc`); compare-and-set on the revision, index upkeep and open-todo counts run in
 * one Lua script, so a write is all or nothing and exactly one of concurrent writers of a
 * revision wins. Per-tenant sorted sets by creation time (all, by state, flow, node and
 * assignee) serve `list` with cursor pagination.
 */
export class RedisTicketStore implements TicketStore, WorkloadSource {
  readonly #redis: Redis;
  readonly #keys: WorkflowKeys;
  readonly #maxScan: number;
  /** The paired timer store: same Redis and key layout, so a ticket write and its timers are one script. */
  readonly timers: RedisTimerStore;

  /**
   * @param redis a connected client (see `connectWorkflowRedis`); not closed by the store
   * @param options key layout and scan bound
   */
  constructor(redis: Redis, options: RedisTicketStoreOptions = {}) {
    this.#redis = redis;
    this.#keys = options.keys ?? new WorkflowKeys();
    this.#maxScan = options.maxScan ?? 5_000;
    this.timers = new RedisTimerStore(redis, {
      keys: this.#keys,
      ...(options.timerRetentionMs !== undefined && { retentionMs: options.timerRetentionMs }),
    });
  }

  /** One script run: the plain one, or the one that also replaces the stored ticket's timers. */
  async #run(
    what: string,
    plain: LuaScript,
    withTimers: LuaScript,
    stored: Ticket,
    extra: (string | number)[],
    timers?: TimersOf,
  ): Promise<unknown> {
    const { keys, args } = this.#args(stored);
    if (!timers) return guard(what, () => plain.run(this.#redis, keys, [...args, ...extra]));
    const t = this.timers.replaceCall(stored.tenant, stored.id, stored.revision, timers(stored));
    return guard(what, () => withTimers.run(this.#redis, [...t.keys, ...keys], [...args, ...extra, ...t.args]));
  }

  #indexes(t: Ticket): string[] {
    const k = this.#keys;
    const assignees = new Set(t.todos.flatMap((d) => (d.status === 'open' && d.assignee !== undefined ? [d.assignee] : [])));
    return [
      k.tickets(t.tenant),
      k.tickets(t.tenant, 'state', t.state),
      k.tickets(t.tenant, 'flow', t.flow.id),
      k.tickets(t.tenant, 'node', t.nodeId),
      ...[...assignees].map((a) => k.tickets(t.tenant, 'assignee', a)),
      ...(waitsForAssignment(t) ? [k.tickets(t.tenant, 'unassigned')] : []),
    ];
  }

  /**
   * Open todos per assignee, as the workload of an unclosed ticket (`{}` when closed); open todos
   * nobody holds count under the empty field `""` (no user id is empty).
   */
  #load(t: Ticket): string {
    const load: Record<string, number> = {};
    if (t.state !== 'closed') for (const d of t.todos) if (d.status === 'open') load[d.assignee ?? ''] = (load[d.assignee ?? ''] ?? 0) + 1;
    return JSON.stringify(load);
  }

  #args(t: Ticket): { keys: string[]; args: (string | number)[] } {
    const idx = this.#indexes(t);
    return {
      keys: [this.#keys.ticket(t.tenant, t.id), this.#keys.load(t.tenant), ...idx],
      args: [JSON.stringify(t), t.createdAt, t.id, JSON.stringify(idx), this.#load(t)],
    };
  }

  async get(tenant: string, id: string): Promise<Ticket | undefined> {
    const doc = await guard('read a ticket', () => this.#redis.hget(this.#keys.ticket(tenant, id), 'doc'));
    return doc === null ? undefined : (JSON.parse(doc) as Ticket);
  }

  async create(ticket: Ticket, timers?: TimersOf): Promise<Ticket> {
    const stored: Ticket = { ...ticket, revision: 1 };
    const created = await this.#run('create a ticket', CREATE, CREATE_WITH_TIMERS, stored, [], timers);
    if (created !== 1) throw workflowError('SLUICE_ERR_TICKET_EXISTS', `ticket "${ticket.id}" already exists in tenant "${ticket.tenant}"`);
    // The store keeps a string: the caller's objects are never shared with it.
    return stored;
  }

  async update(ticket: Ticket, expectedRevision: number, timers?: TimersOf): Promise<Ticket> {
    const stored: Ticket = { ...ticket, revision: expectedRevision + 1 };
    const r = Number(await this.#run('update a ticket', UPDATE, UPDATE_WITH_TIMERS, stored, [expectedRevision], timers));
    if (r === -1) throw workflowError('SLUICE_ERR_TICKET_NOT_FOUND', `ticket "${ticket.id}" does not exist in tenant "${ticket.tenant}"`);
    if (r !== 0) {
      throw workflowError(
        'SLUICE_ERR_TICKET_CONFLICT',
        `ticket "${ticket.id}" of tenant "${ticket.tenant}" is at revision ${r}, not ${expectedRevision}: re-read and retry`,
      );
    }
    return stored;
  }

  /** The most selective index the filters allow. */
  #indexFor(tenant: string, f: TicketFilters): string {
    const k = this.#keys;
    if (f.assignee !== undefined) return k.tickets(tenant, 'assignee', f.assignee);
    if (f.unassigned === true) return k.tickets(tenant, 'unassigned');
    if (f.nodeId !== undefined) return k.tickets(tenant, 'node', f.nodeId);
    if (f.flowId !== undefined) return k.tickets(tenant, 'flow', f.flowId);
    if (f.state !== undefined) return k.tickets(tenant, 'state', f.state);
    return k.tickets(tenant);
  }

  /**
   * A page of the tenant's tickets, oldest first. Reads the most selective index from the
   * cursor on and checks every filter on the ticket itself; when sparse filters make it
   * examine `maxScan` entries, the page may hold fewer than `limit` items: follow `nextCursor`.
   */
  async list(tenant: string, filters: TicketFilters = {}, cursor?: string, limit = 50): Promise<TicketPage> {
    const size = Math.min(500, Math.max(1, Math.floor(limit)));
    const after = cursor === undefined ? undefined : decodeCursor(tenant, cursor);
    const index = this.#indexFor(tenant, filters);
    const lows = [filters.createdFrom, after?.createdAt].filter((x): x is number => x !== undefined);
    const min = lows.length === 0 ? '-inf' : String(Math.max(...lows));
    const max = filters.createdTo === undefined ? '+inf' : `(${filters.createdTo}`;
    const chunk = Math.min(1_000, Math.max(64, 2 * (size + 1)));
    const items: Ticket[] = [];
    let examined = 0;
    let last: Ticket | undefined;
    for (let offset = 0; ; offset += chunk) {
      const ids = await guard('list tickets', () => this.#redis.zrangebyscore(index, min, max, 'LIMIT', offset, chunk));
      if (ids.length === 0) return { items };
      const docs = await guard('list tickets', () => Promise.all(ids.map((id) => this.#redis.hget(this.#keys.ticket(tenant, id), 'doc'))));
      for (const doc of docs) {
        if (doc === null) continue;
        const t = JSON.parse(doc) as Ticket;
        if (after && !(t.createdAt > after.createdAt || (t.createdAt === after.createdAt && t.id > after.id))) continue;
        examined++;
        if (matchesFilters(t, filters)) {
          if (items.length === size) {
            const end = items[size - 1] as Ticket;
            return { items, nextCursor: encodeCursor(tenant, end.createdAt, end.id) };
          }
          items.push(t);
        }
        last = t;
        if (examined >= this.#maxScan && last) return { items, nextCursor: encodeCursor(tenant, last.createdAt, last.id) };
      }
      if (ids.length < chunk) return { items };
    }
  }

  async unassignedTodos(tenant: string): Promise<number> {
    return Number((await guard('count unassigned todos', () => this.#redis.hget(this.#keys.load(tenant), ''))) ?? 0);
  }

  async openTodoCounts(tenant: string, userIds: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    userIds = userIds.filter((id) => id !== '');
    if (userIds.length === 0) return counts;
    const values = await guard('read workloads', () => this.#redis.hmget(this.#keys.load(tenant), ...userIds));
    values.forEach((v, i) => {
      const n = Number(v ?? 0);
      if (n > 0) counts.set(userIds[i] as string, n);
    });
    return counts;
  }

  /** Number of the tenant's tickets in each state (for gauges). */
  async countByState(tenant: string): Promise<Record<TicketState, number>> {
    const n = await guard('count tickets', () => Promise.all(STATES.map((s) => this.#redis.zcard(this.#keys.tickets(tenant, 'state', s)))));
    return { active: n[0] ?? 0, paused: n[1] ?? 0, closed: n[2] ?? 0 };
  }
}
