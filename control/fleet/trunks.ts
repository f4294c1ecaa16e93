/**
 * Trunk (line) utilisation as the equipment that carries the calls reports it:
 * an SBC, a PBX or a metrics bridge sends `PUT /v1/control/trunks` with
 * `{ trunk, utilisation, ts? }` for its tenant, every few seconds. Any control
 * instance takes the report and writes it to the StateStore (one map per
 * tenant, field = trunk, the map's TTL renewed by each write, plus an index of
 * tenants), so the leader that computes levels reads every report whichever
 * instance the load balancer picked; each instance re-reads the maps once per
 * tick and keeps its last contents while the store is away.
 *
 * A report counts for `ttlMs` after its time (`ts`, never later than when it
 * arrived): a feeder that goes silent stops counting by itself, and its trunk
 * stops taking one of the tenant's `maxTrunks` places. A tenant's signal is the
 * highest utilisation among its fresh trunks: one full trunk group blocks the
 * calls it carries whatever the others do, and a weighted mean would need each
 * trunk's size, which feeders do not agree on.
 */
import type { Clock } from '../../adapters/clock.js';
import type { StateStore } from '../../adapters/state/types.js';
import { isSluiceError } from '../../core/errors.js';
import { checkNumber, controlError } from '../errors.js';
import { bounded } from './guard.js';
import { KEYS, trunksKey } from './keys.js';

/** Options of {@link TrunkFeed}. */
export interface TrunkFeedOptions {
  readonly store: StateStore;
  readonly clock: Clock;
  /** Longest wait for any store call, ms. */
  readonly timeoutMs: number;
  /** How long a report counts, ms (default 60 000). */
  readonly ttlMs?: number;
  /** Most trunks one tenant may have reporting at once (default 64). */
  readonly maxTrunks?: number;
}

/** One trunk's last report. */
export interface TrunkReading {
  readonly trunk: string;
  /** 0..1. */
  readonly utilisation: number;
  /** Report time, epoch ms. */
  readonly at: number;
}

/** The answer to a report. */
export interface TrunkReportResult extends TrunkReading {
  readonly tenant: string;
  /** When the report stops counting, epoch ms. */
  readonly expiresAt: number;
  /** The tenant's trunks reporting now (this one included). */
  readonly trunks: number;
  /** The tenant's trunk utilisation signal now (the highest fresh report). */
  readonly tenantUtilisation: number;
}

function parse(trunk: string, raw: string): TrunkReading | null {
  try {
    const v = JSON.parse(raw) as { u?: unknown; at?: unknown };
    const u = v?.u;
    const at = v?.at;
    return typeof u === 'number' && u >= 0 && u <= 1 && typeof at === 'number' && Number.isFinite(at)
      ? { trunk, utilisation: u, at }
      : null;
  } catch {
    return null;
  }
}

/** See the module comment. */
export class TrunkFeed {
  readonly #options: TrunkFeedOptions;
  readonly #ttl: number;
  readonly #max: number;
  /** tenant → trunk → last reading. */
  #readings = new Map<string, Map<string, TrunkReading>>();

  constructor(options: TrunkFeedOptions) {
    this.#options = options;
    this.#ttl = checkNumber('control.trunks.ttlMs', options.ttlMs ?? 60_000, { int: true, min: 1 });
    this.#max = checkNumber('control.trunks.maxPerTenant', options.maxTrunks ?? 64, { int: true, min: 1 });
  }

  /** How long a report counts, ms. */
  get ttlMs(): number {
    return this.#ttl;
  }

  /**
   * Records a report for `tenant` (the caller's, from its credential) in the shared store.
   * @param ts the feeder's measurement time, epoch ms (default: now; a later one counts as now)
   * @throws SluiceError `SLUICE_ERR_CONTROL_REQUEST_INVALID` for a report older than the TTL,
   *   `SLUICE_ERR_CONTROL_TRUNKS_FULL` for a new trunk past the bound, `SLUICE_ERR_CONTROL_SHARED_UNAVAILABLE` when the store fails
   */
  async report(tenant: string, trunk: string, utilisation: number, ts?: number): Promise<TrunkReportResult> {
    const { store, clock } = this.#options;
    const now = clock.now();
    const at = ts === undefined ? now : Math.min(ts, now);
    if (now - at >= this.#ttl) {
      throw controlError('SLUICE_ERR_CONTROL_REQUEST_INVALID', `body.ts is ${now - at} ms old; a report counts for ${this.#ttl} ms only`);
    }
    const key = trunksKey(tenant);
    const stored = await this.#call('read trunks', () => store.getFields(key));
    const fresh = new Map<string, TrunkReading>();
    for (const [name, raw] of Object.entries(stored)) {
      const r = parse(name, raw);
      if (r !== null && now - r.at < this.#ttl) fresh.set(name, r);
    }
    if (!fresh.has(trunk) && fresh.size >= this.#max) {
      throw controlError(
        'SLUICE_ERR_CONTROL_TRUNKS_FULL',
        `tenant ${tenant} has ${fresh.size} trunks reporting (the limit); trunk ${trunk} is refused until one is silent for ${this.#ttl} ms`,
      );
    }
    const mine: TrunkReading = { trunk, utilisation, at };
    fresh.set(trunk, mine);
    const json = (r: TrunkReading) => JSON.stringify({ u: r.utilisation, at: r.at });
    if (stored[trunk] === undefined && Object.keys(stored).length >= this.#max) {
      // Silent trunks fill the map: rewrite it with the fresh ones (a report racing this comes back with its next one).
      await this.#call('compact trunks', () => store.del(key));
      await this.#call('write trunks', () =>
        store.setFields(key, Object.fromEntries([...fresh.values()].map((r) => [r.trunk, json(r)])), this.#ttl),
      );
    } else {
      await this.#call('write trunk', () => store.setFields(key, { [trunk]: json(mine) }, this.#ttl));
    }
    await this.#call('write trunk index', () => store.setFields(KEYS.trunkTenants, { [tenant]: String(now) }, 86_400_000));
    this.#readings.set(tenant, fresh);
    return {
      tenant,
      trunk,
      utilisation,
      at,
      expiresAt: at + this.#ttl,
      trunks: fresh.size,
      tenantUtilisation: this.utilisation(tenant) ?? utilisation,
    };
  }

  /** Re-reads every tenant's reports from the store. Throws when the store fails (the last contents are kept). */
  async refresh(): Promise<void> {
    const { store, clock, timeoutMs } = this.#options;
    const now = clock.now();
    const index = await bounded(clock, timeoutMs, 'read trunk index', () => store.getFields(KEYS.trunkTenants));
    const next = new Map<string, Map<string, TrunkReading>>();
    for (const [tenant, last] of Object.entries(index)) {
      if (!(now - Number(last) < this.#ttl)) continue;
      const fields = await bounded(clock, timeoutMs, 'read trunks', () => store.getFields(trunksKey(tenant)));
      const m = new Map<string, TrunkReading>();
      for (const [trunk, raw] of Object.entries(fields)) {
        const r = parse(trunk, raw);
        if (r !== null && now - r.at < this.#ttl && m.size < this.#max) m.set(trunk, r);
      }
      if (m.size > 0) next.set(tenant, m);
    }
    this.#readings = next;
  }

  /** `tenant`'s trunk utilisation: the highest report still counting, or undefined when none is. */
  utilisation(tenant: string): number | undefined {
    const now = this.#options.clock.now();
    let max: number | undefined;
    for (const r of this.#readings.get(tenant)?.values() ?? []) {
      if (now - r.at < this.#ttl && (max === undefined || r.utilisation > max)) max = r.utilisation;
    }
    return max;
  }

  /** `tenant`'s reports still counting. */
  readings(tenant: string): TrunkReading[] {
    const now = this.#options.clock.now();
    return [...(this.#readings.get(tenant)?.values() ?? [])].filter((r) => now - r.at < this.#ttl);
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
