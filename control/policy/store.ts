/**
 * Versioned policy storage: per tenant the current version and the previous
 * one. Versions only grow; a rollback publishes the previous table as a new
 * version, so the history reads forwards. The version arithmetic is pure
 * ({@link nextPolicyRecord}, {@link rolledBackRecord}); a shared store (Redis)
 * applies the same functions under an optimistic check on `current.version`.
 */
import { systemClock } from '../../adapters/clock.js';
import type { Clock } from '../../adapters/clock.js';
import { controlError } from '../errors.js';
import { Emitter } from '../../core/emitter.js';
import type { Emits, Listener } from '../../core/emitter.js';
import { DEFAULT_POLICY } from './defaults.js';
import { validatePolicy } from './schema.js';
import type { TenantPolicy } from './schema.js';

/** One published version. */
export interface PolicyVersion {
  /** 1, 2, 3, … per tenant. */
  readonly version: number;
  readonly policy: TenantPolicy;
  /** Epoch ms. */
  readonly updatedAt: number;
  /** Who published it (free text, for the audit trail). */
  readonly author: string;
}

/** What a store keeps for a tenant. */
export interface PolicyRecord {
  readonly tenant: string;
  readonly current: PolicyVersion;
  readonly previous: PolicyVersion | null;
}

/** Options of an update. */
export interface PolicyUpdateOptions {
  /** Version the caller read; the update fails if another was published since (0 = none yet). */
  readonly expectedVersion?: number;
  readonly author?: string;
}

/** A versioned policy store (in-memory here; the lead's Redis store implements the same port). */
export interface PolicyStore {
  /** The tenant's record, or undefined when it never had a policy of its own. */
  get(tenant: string): Promise<PolicyRecord | undefined>;
  /**
   * Validates and publishes `policy` as the tenant's next version.
   * @throws SluiceError `SLUICE_ERR_POLICY_INVALID`, `SLUICE_ERR_POLICY_VERSION_CONFLICT`
   */
  put(tenant: string, policy: unknown, options?: PolicyUpdateOptions): Promise<PolicyRecord>;
  /**
   * Publishes the previous version again, as a new version.
   * @throws SluiceError `SLUICE_ERR_POLICY_NO_PREVIOUS`, `SLUICE_ERR_POLICY_VERSION_CONFLICT`
   */
  rollback(tenant: string, options?: PolicyUpdateOptions): Promise<PolicyRecord>;
}

function checkExpected(record: PolicyRecord | undefined, tenant: string, expected: number | undefined): void {
  const have = record?.current.version ?? 0;
  if (expected !== undefined && expected !== have) {
    throw controlError('SLUICE_ERR_POLICY_VERSION_CONFLICT', `tenant ${tenant} is at version ${have}, not ${expected}`);
  }
}

/**
 * The record after publishing an already validated `policy` at `now` (epoch ms).
 * @throws SluiceError `SLUICE_ERR_POLICY_VERSION_CONFLICT` when `expectedVersion` is stale
 */
export function nextPolicyRecord(
  record: PolicyRecord | undefined,
  tenant: string,
  policy: TenantPolicy,
  now: number,
  options: PolicyUpdateOptions = {},
): PolicyRecord {
  checkExpected(record, tenant, options.expectedVersion);
  const version = (record?.current.version ?? 0) + 1;
  return { tenant, current: { version, policy, updatedAt: now, author: options.author ?? 'unknown' }, previous: record?.current ?? null };
}

/**
 * The record after rolling back to the previous version at `now` (epoch ms).
 * @throws SluiceError `SLUICE_ERR_POLICY_NO_PREVIOUS` when there is none, `SLUICE_ERR_POLICY_VERSION_CONFLICT` when `expectedVersion` is stale
 */
export function rolledBackRecord(
  record: PolicyRecord | undefined,
  tenant: string,
  now: number,
  options: PolicyUpdateOptions = {},
): PolicyRecord {
  if (record?.previous == null) throw controlError('SLUICE_ERR_POLICY_NO_PREVIOUS', `tenant ${tenant} has no previous version`);
  return nextPolicyRecord(record, tenant, record.previous.policy, now, {
    author: options.author ?? 'rollback',
    ...(options.expectedVersion === undefined ? {} : { expectedVersion: options.expectedVersion }),
  });
}

/** The policy in force for a tenant: its current version, or {@link DEFAULT_POLICY}. */
export function effectivePolicy(record: PolicyRecord | undefined): TenantPolicy {
  return record?.current.policy ?? DEFAULT_POLICY;
}

/** Events a store emits. */
export interface PolicyStoreEvents {
  change: PolicyRecord;
}

/** In-memory twin of the shared store. */
export class InMemoryPolicyStore implements PolicyStore, Emits<PolicyStoreEvents> {
  readonly #clock: Clock;
  readonly #records = new Map<string, PolicyRecord>();
  readonly #events = new Emitter<PolicyStoreEvents>();

  /** @param clock source of `updatedAt` */
  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  /** {@inheritDoc PolicyStore.get} */
  async get(tenant: string): Promise<PolicyRecord | undefined> {
    return this.#records.get(tenant);
  }

  /** {@inheritDoc PolicyStore.put} */
  async put(tenant: string, policy: unknown, options?: PolicyUpdateOptions): Promise<PolicyRecord> {
    const valid = validatePolicy(policy);
    return this.#publish(nextPolicyRecord(this.#records.get(tenant), tenant, valid, this.#clock.now(), options));
  }

  /** {@inheritDoc PolicyStore.rollback} */
  async rollback(tenant: string, options?: PolicyUpdateOptions): Promise<PolicyRecord> {
    return this.#publish(rolledBackRecord(this.#records.get(tenant), tenant, this.#clock.now(), options));
  }

  /** Every tenant with a policy of its own. */
  tenants(): string[] {
    return [...this.#records.keys()];
  }

  /** Subscribes to `name`; returns a function that unsubscribes (idempotent). No listener, no cost. */
  on<K extends keyof PolicyStoreEvents & string>(name: K, listener: Listener<PolicyStoreEvents[K]>): () => void {
    return this.#events.on(name, listener);
  }

  #publish(record: PolicyRecord): PolicyRecord {
    this.#records.set(record.tenant, record);
    this.#events.emit('change', record);
    return record;
  }
}
