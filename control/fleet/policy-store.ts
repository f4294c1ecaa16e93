/**
 * The policy store over the StateStore: every tenant's record is one field of
 * the map `control:policies`, so one read lists them all. An update takes a
 * short per-tenant lock lease, applies the core's pure version arithmetic under
 * the optimistic `expectedVersion` check, writes, releases, and publishes the
 * tenant name so peers reload. With Redis unreachable, reads and updates fail
 * with `SLUICE_ERR_CONTROL_SHARED_UNAVAILABLE` (503, retriable): a policy is
 * never changed on one instance only.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../adapters/clock.js';
import type { StateStore } from '../../adapters/state/types.js';
import { isSluiceError } from '../../core/errors.js';
import { controlError } from '../errors.js';
import { Emitter } from '../../core/emitter.js';
import type { Emits, Listener } from '../../core/emitter.js';
import { validatePolicy } from '../policy/schema.js';
import { nextPolicyRecord, rolledBackRecord } from '../policy/store.js';
import type { PolicyRecord, PolicyStore, PolicyStoreEvents, PolicyUpdateOptions } from '../policy/store.js';
import { Subscriptions, bounded } from './guard.js';
import { KEYS, policyLockKey } from './keys.js';

const MAP = 'control:policies';

/** Reads of a peer's announced change before giving up until the next periodic reload (100, 200, 400, 800 ms apart). */
const RELOAD_ATTEMPTS = 5;

/** Options of {@link StateStorePolicyStore}. */
export interface PolicyStoreOptions {
  readonly store: StateStore;
  readonly clock: Clock;
  readonly timeoutMs: number;
  /** Lock attempts before giving up (default 20, 25 ms apart). */
  readonly lockAttempts?: number;
}

function parseRecord(tenant: string, raw: string): PolicyRecord {
  const r = JSON.parse(raw) as PolicyRecord;
  const version = (v: PolicyRecord['current'] | null) => (v === null ? null : { ...v, policy: validatePolicy(v.policy) });
  return { tenant, current: version(r.current)!, previous: version(r.previous ?? null) };
}

/** See the module comment. */
export class StateStorePolicyStore implements PolicyStore, Emits<PolicyStoreEvents> {
  readonly #options: PolicyStoreOptions;
  readonly #owner = randomUUID();
  readonly #events = new Emitter<PolicyStoreEvents>();
  readonly #subs = new Subscriptions();
  #started = false;

  constructor(options: PolicyStoreOptions) {
    this.#options = options;
  }

  /** Subscribes to peers' updates (without waiting for a store that is down); each becomes a `change` event here. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    // A peer's change is read back; a read that fails (a store slow for a moment) is tried again a few times, so a
    // change announced once is not missed for good (the control service also reloads every policy periodically).
    const reload = (tenant: string, attempt = 0) => {
      if (!this.#started) return;
      this.get(tenant).then(
        (r) => r !== undefined && this.#events.emit('change', r),
        () => {
          if (attempt < RELOAD_ATTEMPTS - 1) this.#options.clock.setTimeout(() => reload(tenant, attempt + 1), 100 * 2 ** attempt);
        },
      );
    };
    this.#subs.add(
      this.#options.store.subscribe(KEYS.policyChannel, (tenant) => reload(tenant)),
      () => {},
    );
  }

  /** Unsubscribes. */
  async stop(): Promise<void> {
    this.#started = false;
    await this.#subs.close(this.#options.clock, this.#options.timeoutMs);
  }

  /** {@inheritDoc PolicyStore.get} */
  async get(tenant: string): Promise<PolicyRecord | undefined> {
    const raw = (await this.#call('read policies', () => this.#options.store.getFields(MAP)))[tenant];
    return raw === undefined ? undefined : parseRecord(tenant, raw);
  }

  /** Every tenant's record (malformed ones are skipped). */
  async all(): Promise<PolicyRecord[]> {
    const map = await this.#call('read policies', () => this.#options.store.getFields(MAP));
    const out: PolicyRecord[] = [];
    for (const [tenant, raw] of Object.entries(map)) {
      try {
        out.push(parseRecord(tenant, raw));
      } catch {
        // A record written by an incompatible version: the tenant keeps the default policy here.
      }
    }
    return out;
  }

  /** {@inheritDoc PolicyStore.put} */
  async put(tenant: string, policy: unknown, options?: PolicyUpdateOptions): Promise<PolicyRecord> {
    const valid = validatePolicy(policy);
    return this.#update(tenant, (cur) => nextPolicyRecord(cur, tenant, valid, this.#options.clock.now(), options));
  }

  /** {@inheritDoc PolicyStore.rollback} */
  async rollback(tenant: string, options?: PolicyUpdateOptions): Promise<PolicyRecord> {
    return this.#update(tenant, (cur) => rolledBackRecord(cur, tenant, this.#options.clock.now(), options));
  }

  /** Subscribes to `name`; returns a function that unsubscribes (idempotent). */
  on<K extends keyof PolicyStoreEvents & string>(name: K, listener: Listener<PolicyStoreEvents[K]>): () => void {
    return this.#events.on(name, listener);
  }

  async #update(tenant: string, next: (cur: PolicyRecord | undefined) => PolicyRecord): Promise<PolicyRecord> {
    const { store } = this.#options;
    const lock = policyLockKey(tenant);
    await this.#lock(lock);
    let record: PolicyRecord;
    try {
      record = next(await this.get(tenant));
      await this.#call('write policy', () => store.setFields(MAP, { [tenant]: JSON.stringify(record) }));
    } finally {
      await this.#call('unlock policy', () => store.releaseLease(lock, this.#owner)).catch(() => {});
    }
    await this.#call('publish policy', () => store.publish(KEYS.policyChannel, tenant)).catch(() => {});
    this.#events.emit('change', record);
    return record;
  }

  async #lock(key: string): Promise<void> {
    const attempts = this.#options.lockAttempts ?? 20;
    for (let i = 0; i < attempts; i++) {
      if (await this.#call('lock policy', () => this.#options.store.acquireLease(key, this.#owner, 5_000))) return;
      await new Promise<void>((r) => this.#options.clock.setTimeout(r, 25));
    }
    throw controlError(
      'SLUICE_ERR_CONTROL_SHARED_UNAVAILABLE',
      `policy of ${key.slice(key.lastIndexOf(':') + 1)} is being updated by another instance; retry`,
    );
  }

  async #call<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await bounded(this.#options.clock, this.#options.timeoutMs, what, op);
    } catch (err) {
      if (isSluiceError(err)) throw err;
      throw controlError('SLUICE_ERR_CONTROL_SHARED_UNAVAILABLE', `${what}: ${(err as Error).message}`, { cause: err });
    }
  }
}
