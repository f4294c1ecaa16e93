import type { Redis } from 'ioredis';
import type { FlowDocument } from '../definition/document.js';
import type { FlowRepository } from '../engine/flow-store.js';
import { workflowError } from '../errors.js';
import type { RoundRobinCounter } from '../people/ports.js';
import { guard, LuaScript, WorkflowKeys } from './connection.js';

// KEYS: flows (id → latest), versions (version → doc)   ARGV: id, version, doc
// Returns -1 when stored, else the latest version (which the new one does not exceed).
const SAVE = new LuaScript(`
local latest = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) <= latest then return latest end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return -1`);

/**
 * The {@link FlowRepository} on Redis: per tenant a hash of flow id → latest version, and
 * per flow a hash of version → definition. Saving checks "newer than the latest" and
 * stores in one script, so two instances deploying at once cannot both win a version.
 */
export class RedisFlowRepository implements FlowRepository {
  readonly #redis: Redis;
  readonly #keys: WorkflowKeys;

  /**
   * @param redis a connected client; not closed by the repository
   * @param keys key layout (default prefix `sluice:wf:`)
   */
  constructor(redis: Redis, keys: WorkflowKeys = new WorkflowKeys()) {
    this.#redis = redis;
    this.#keys = keys;
  }

  async save(doc: FlowDocument): Promise<void> {
    const keys = [this.#keys.flows(doc.tenant), this.#keys.flowVersions(doc.tenant, doc.id)];
    const r = Number(await guard('save a flow', () => SAVE.run(this.#redis, keys, [doc.id, doc.version, JSON.stringify(doc)])));
    if (r !== -1) {
      throw workflowError(
        'SLUICE_ERR_FLOW_VERSION_EXISTS',
        `flow "${doc.id}" of tenant "${doc.tenant}" is at v${r}; deploy v${r + 1} or later, not v${doc.version}`,
      );
    }
  }

  async get(tenant: string, id: string, version: number): Promise<FlowDocument | undefined> {
    const doc = await guard('read a flow', () => this.#redis.hget(this.#keys.flowVersions(tenant, id), String(version)));
    return doc === null ? undefined : (JSON.parse(doc) as FlowDocument);
  }

  async latestVersion(tenant: string, id: string): Promise<number | undefined> {
    const v = await guard('read a flow', () => this.#redis.hget(this.#keys.flows(tenant), id));
    return v === null ? undefined : Number(v);
  }

  async list(tenant: string): Promise<{ id: string; latestVersion: number }[]> {
    const all = await guard('list flows', () => this.#redis.hgetall(this.#keys.flows(tenant)));
    return Object.entries(all)
      .map(([id, v]) => ({ id, latestVersion: Number(v) }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** Every stored version number of a flow, ascending (for the API). */
  async versions(tenant: string, id: string): Promise<number[]> {
    const vs = await guard('list flow versions', () => this.#redis.hkeys(this.#keys.flowVersions(tenant, id)));
    return vs.map(Number).sort((a, b) => a - b);
  }
}

/**
 * The {@link RoundRobinCounter} on Redis (`INCR`), so every instance takes turns from one
 * position per pool. Starts at 0 like the in-memory counter.
 */
export class RedisRoundRobinCounter implements RoundRobinCounter {
  readonly #redis: Redis;
  readonly #keys: WorkflowKeys;

  /**
   * @param redis a connected client; not closed by the counter
   * @param keys key layout (default prefix `sluice:wf:`)
   */
  constructor(redis: Redis, keys: WorkflowKeys = new WorkflowKeys()) {
    this.#redis = redis;
    this.#keys = keys;
  }

  async next(tenant: string, poolKey: string): Promise<number> {
    return (await guard('advance a round-robin counter', () => this.#redis.incr(this.#keys.roundRobin(tenant, poolKey)))) - 1;
  }
}
