/**
 * One real-time view across pipeline workers, through the StateStore (Redis).
 *
 * Each worker runs a {@link RealtimePublisher}: every period (1 s) it writes the state of each source
 * partition it reads to one map per partition, `realtime:part:<partition>` (field = tenant, value = that
 * tenant's skill groups, agents and extensions in the partition, as JSON; field `@` = who wrote it and
 * when), in one atomic merge that also sets the map's expiry to the staleness bound (5 s). Only the
 * holder of the partition's lease (`realtime:lease:<partition>`, renewed on each write, same expiry)
 * writes it, so a partition is never published by two workers at once; a worker that loses a partition
 * in a rebalance deletes its map and gives the lease up, so the new owner publishes at its next period.
 * An index map `realtime:parts` (field = partition, value = last write, epoch ms) lets readers find them.
 *
 * Any instance reads with a {@link SharedRealtime}: every period it reads the index and each partition's
 * map (one round trip each, side by side) and serves `GET /v1/realtime/*`, the stream and the control
 * loop's snapshots from that copy, the sum of the partitions (`merge.ts`). A worker that dies stops being
 * counted when its maps expire: within the staleness bound after its last write, plus one read period.
 * The worker that takes its partitions over rebuilds their state from the events it reads again (from
 * the committed offset: at least the open windows, `SLUICE_ALLOWED_LATENESS_MS` + 1 minute) and publishes
 * it from its first period holding the lease; meanwhile the view lacks those partitions' entities.
 *
 * Payloads are bounded per tenant by the worker's name limits (`SLUICE_MAX_*_PER_TENANT`); the number of
 * partitions by the topics' partition counts.
 */
import type { Clock, TimerHandle } from '../../adapters/clock.js';
import { bounded } from '../../adapters/state/bounded.js';
import type { StateStore } from '../../adapters/state/types.js';
import { isTenantName } from '../../core/access.js';
import type { QueueSnapshot } from '../../core/messages.js';
import type { AgentNow, ExtensionNow, SkillGroupNow } from './figures.js';
import { queueSnapshot, sumSkillGroups, unionAgents, unionExtensions, type RealtimeReader } from './merge.js';
import type { PartitionedRealtime, PartitionId } from './partitioned.js';
import type { RealtimeState } from './state.js';

/** StateStore keys of the shared real-time view (the store adds its prefix). */
export const REALTIME_KEYS = Object.freeze({
  /** Map partition → epoch ms of its last write. */
  index: 'realtime:parts',
  part: (id: PartitionId) => `realtime:part:${id}`,
  lease: (id: PartitionId) => `realtime:lease:${id}`,
});

/** Field of a partition's map holding {@link PartMeta} (tenant names cannot start with `@`). */
const META = '@';

/** Defaults, ms. */
export const REALTIME_SHARING_DEFAULTS = Object.freeze({ periodMs: 1_000, staleMs: 5_000, timeoutMs: 1_000 });

/** Who wrote a partition's map, and when (epoch ms, the writer's clock). */
interface PartMeta {
  readonly v: 1;
  readonly owner: string;
  readonly at: number;
}

/** One tenant's entities in one partition, as published. */
export interface TenantPart {
  readonly skillGroups: readonly SkillGroupNow[];
  readonly agents: readonly AgentNow[];
  readonly extensions: readonly ExtensionNow[];
}

/** Options of {@link RealtimePublisher}. */
export interface RealtimePublisherOptions {
  readonly store: StateStore;
  readonly clock: Clock;
  /** The worker's state, per partition. */
  readonly source: Pick<PartitionedRealtime, 'partitions'>;
  /** This worker's tag (host:pid), unique in the fleet. */
  readonly owner: string;
  /** Publish period, ms (default 1000). */
  readonly periodMs?: number;
  /** Lifetime of what one write published (maps and leases), ms (default 5000): the staleness bound. */
  readonly staleMs?: number;
  /** Longest wait for the store per call, ms (default 1000). */
  readonly timeoutMs?: number;
  readonly onError?: (err: unknown) => void;
}

/** One partition's state grouped by tenant (one pass over each list). */
function byTenant(state: RealtimeState, now: number): Map<string, TenantPart> {
  const out = new Map<string, { skillGroups: SkillGroupNow[]; agents: AgentNow[]; extensions: ExtensionNow[] }>();
  const of = (tenant: string) => {
    let t = out.get(tenant);
    if (t === undefined) out.set(tenant, (t = { skillGroups: [], agents: [], extensions: [] }));
    return t;
  };
  for (const g of state.skillGroups(now)) of(g.tenant).skillGroups.push(g);
  for (const a of state.agents()) of(a.tenant).agents.push(a);
  for (const x of state.extensions()) of(x.tenant).extensions.push(x);
  return out;
}

/** See the module comment. */
export class RealtimePublisher {
  readonly #o: RealtimePublisherOptions;
  readonly #staleMs: number;
  readonly #timeoutMs: number;
  /** Partitions whose map this worker wrote last (it holds their lease), with the tenants written. */
  readonly #published = new Map<PartitionId, Set<string>>();
  #timer: TimerHandle | undefined;
  #waiting = 0;

  constructor(options: RealtimePublisherOptions) {
    this.#o = options;
    this.#staleMs = options.staleMs ?? REALTIME_SHARING_DEFAULTS.staleMs;
    this.#timeoutMs = options.timeoutMs ?? REALTIME_SHARING_DEFAULTS.timeoutMs;
    const period = options.periodMs ?? REALTIME_SHARING_DEFAULTS.periodMs;
    if (!(this.#staleMs >= 2 * period)) throw new RangeError(`staleMs (${this.#staleMs}) must be at least twice periodMs (${period})`);
  }

  #call<T>(what: string, op: () => Promise<T>): Promise<T> {
    return bounded(this.#o.clock, this.#timeoutMs, what, op);
  }

  /** Partitions published at the last round. */
  get publishing(): number {
    return this.#published.size;
  }

  /** Partitions held here but not published at the last round: another worker's lease has not expired yet. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Publishes every partition held once, and withdraws those no longer held. Throws the first store failure. */
  async publishOnce(): Promise<void> {
    const { store, clock, owner } = this.#o;
    const now = clock.now();
    const held = this.#o.source.partitions();
    const failures: unknown[] = [];
    const gone = [...this.#published.keys()].filter((id) => !held.has(id));
    await Promise.all(gone.map((id) => this.#withdraw(id).catch((err: unknown) => failures.push(err))));
    let waiting = 0;
    const written: PartitionId[] = [];
    await Promise.all(
      [...held].map(async ([id, state]) => {
        try {
          if (!(await this.#call('take a real-time lease', () => store.acquireLease(REALTIME_KEYS.lease(id), owner, this.#staleMs)))) {
            // Another worker still holds it (it had the partition before and has not withdrawn or expired yet).
            waiting++;
            this.#published.delete(id);
            return;
          }
          const tenants = byTenant(state, now);
          const fields: Record<string, string> = { [META]: JSON.stringify({ v: 1, owner, at: now } satisfies PartMeta) };
          for (const [t, part] of tenants) fields[t] = JSON.stringify(part);
          await this.#call('publish real-time state', () => store.setFields(REALTIME_KEYS.part(id), fields, this.#staleMs));
          // Tenants written before and gone now; on taking a partition over, whatever the last holder left.
          const before =
            this.#published.get(id) ??
            Object.keys(await this.#call('read real-time state', () => store.getFields(REALTIME_KEYS.part(id)))).filter((f) => f !== META);
          const left = [...before].filter((t) => !tenants.has(t));
          if (left.length > 0) await this.#call('publish real-time state', () => store.delFields(REALTIME_KEYS.part(id), left));
          this.#published.set(id, new Set(tenants.keys()));
          written.push(id);
        } catch (err) {
          failures.push(err);
        }
      }),
    );
    this.#waiting = waiting;
    if (written.length > 0) {
      const index = Object.fromEntries(written.map((id) => [id, String(now)]));
      await this.#call('publish the real-time index', () => store.setFields(REALTIME_KEYS.index, index, 86_400_000)).catch((err: unknown) =>
        failures.push(err),
      );
    }
    if (failures.length > 0) throw failures[0];
  }

  /** Deletes a partition's map while holding its lease, then gives the lease up. */
  async #withdraw(id: PartitionId): Promise<void> {
    const { store, owner } = this.#o;
    this.#published.delete(id);
    if (await this.#call('take a real-time lease', () => store.acquireLease(REALTIME_KEYS.lease(id), owner, this.#staleMs))) {
      await this.#call('withdraw real-time state', () => store.del(REALTIME_KEYS.part(id)));
      await this.#call('give a real-time lease up', () => store.releaseLease(REALTIME_KEYS.lease(id), owner));
    }
  }

  /** Publishes every period until {@link halt} or {@link stop}. */
  start(): void {
    if (this.#timer !== undefined) return;
    const arm = () => {
      this.#timer = this.#o.clock.setTimeout(() => {
        this.publishOnce()
          .catch((err: unknown) => this.#o.onError?.(err))
          .finally(() => {
            if (this.#timer !== undefined) arm();
          });
      }, this.#o.periodMs ?? REALTIME_SHARING_DEFAULTS.periodMs);
    };
    arm();
  }

  /** Stops publishing and leaves what was published to expire (what a crash leaves behind). */
  halt(): void {
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Stops publishing and withdraws every partition published, so readers drop them at once. Never throws. */
  async stop(): Promise<void> {
    this.halt();
    await Promise.all([...this.#published.keys()].map((id) => this.#withdraw(id).catch((err: unknown) => this.#o.onError?.(err))));
  }
}

/** Options of {@link SharedRealtime}. */
export interface SharedRealtimeOptions {
  readonly store: StateStore;
  readonly clock: Clock;
  /** Read period, ms (default 1000). */
  readonly periodMs?: number;
  /** Longest wait for the store per call, ms (default 1000). */
  readonly timeoutMs?: number;
  /** Index entries older than this are not read (partitions of a topic no longer used), ms (default 1 h). */
  readonly forgetMs?: number;
  readonly onError?: (err: unknown) => void;
}

interface ReadPart {
  readonly owner: string;
  readonly at: number;
  /** Tenant → the raw JSON read (to skip parsing what did not change) and what it holds. */
  readonly tenants: Map<string, { raw: string; part: TenantPart }>;
}

const isList = (x: unknown, tenant: string) =>
  Array.isArray(x) && x.every((e) => typeof e === 'object' && e !== null && (e as { tenant?: unknown }).tenant === tenant);

/** Parses one tenant's published part; undefined when malformed. */
function parsePart(raw: string, tenant: string): TenantPart | undefined {
  let x: unknown;
  try {
    x = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const p = x as Partial<TenantPart> | null;
  if (typeof p !== 'object' || p === null) return undefined;
  if (!isList(p.skillGroups, tenant) || !isList(p.agents, tenant) || !isList(p.extensions, tenant)) return undefined;
  return p as TenantPart;
}

function parseMeta(raw: string | undefined): PartMeta | undefined {
  if (raw === undefined) return undefined;
  try {
    const m = JSON.parse(raw) as Partial<PartMeta> | null;
    return m?.v === 1 && typeof m.owner === 'string' && typeof m.at === 'number' && Number.isFinite(m.at) ? (m as PartMeta) : undefined;
  } catch {
    return undefined;
  }
}

/** What a {@link SharedRealtime} read last, for metrics. */
export interface SharedRealtimeStats {
  /** Partitions in the view. */
  readonly partitions: number;
  /** Distinct workers that wrote them. */
  readonly publishers: number;
  /** Age of the oldest partition state in the view now, ms (0 when none). */
  readonly stalenessMs: number;
  /** Time since the last successful read, ms (Infinity before the first). */
  readonly sinceReadMs: number;
}

/** See the module comment. */
export class SharedRealtime implements RealtimeReader {
  readonly #o: SharedRealtimeOptions;
  readonly #listeners = new Set<(tenant: string) => void>();
  #parts = new Map<PartitionId, ReadPart>();
  #readAt = Number.NEGATIVE_INFINITY;
  #timer: TimerHandle | undefined;
  #rejected = 0;

  constructor(options: SharedRealtimeOptions) {
    this.#o = options;
  }

  /** Calls `fn(tenant)` after a read that changed that tenant's figures; returns an unsubscribe function. */
  onChange(fn: (tenant: string) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Malformed entries skipped so far. */
  get rejected(): number {
    return this.#rejected;
  }

  #call<T>(what: string, op: () => Promise<T>): Promise<T> {
    return bounded(this.#o.clock, this.#o.timeoutMs ?? REALTIME_SHARING_DEFAULTS.timeoutMs, what, op);
  }

  /** Reads every live partition once. Throws when the store fails (the last copy is kept). */
  async refresh(): Promise<void> {
    const { store, clock } = this.#o;
    const now = clock.now();
    const forget = this.#o.forgetMs ?? 3_600_000;
    const index = await this.#call('read the real-time index', () => store.getFields(REALTIME_KEYS.index));
    const ids = Object.entries(index)
      .filter(([, at]) => now - Number(at) <= forget)
      .map(([id]) => id);
    const maps = await Promise.all(ids.map((id) => this.#call('read real-time state', () => store.getFields(REALTIME_KEYS.part(id)))));
    const next = new Map<PartitionId, ReadPart>();
    const changed = new Set<string>();
    ids.forEach((id, i) => {
      const fields = maps[i]!;
      // No `@`: the map expired (its writer stopped) or was withdrawn.
      const meta = parseMeta(fields[META]);
      if (meta === undefined) return;
      const before = this.#parts.get(id);
      const tenants = new Map<string, { raw: string; part: TenantPart }>();
      for (const [tenant, raw] of Object.entries(fields)) {
        if (tenant === META) continue;
        const had = before?.tenants.get(tenant);
        if (had?.raw === raw) {
          tenants.set(tenant, had);
          continue;
        }
        const part = isTenantName(tenant) ? parsePart(raw, tenant) : undefined;
        if (part === undefined) {
          this.#rejected++;
          continue;
        }
        tenants.set(tenant, { raw, part });
        changed.add(tenant);
      }
      for (const t of before?.tenants.keys() ?? []) if (!tenants.has(t)) changed.add(t);
      next.set(id, { owner: meta.owner, at: meta.at, tenants });
    });
    for (const [id, p] of this.#parts) if (!next.has(id)) for (const t of p.tenants.keys()) changed.add(t);
    this.#parts = next;
    this.#readAt = now;
    for (const t of changed) for (const l of this.#listeners) l(t);
  }

  /** Reads every period until {@link stop} (the first read at once). */
  start(): void {
    if (this.#timer !== undefined) return;
    const run = () => {
      this.refresh()
        .catch((err: unknown) => this.#o.onError?.(err))
        .finally(() => {
          if (this.#timer !== undefined)
            this.#timer = this.#o.clock.setTimeout(run, this.#o.periodMs ?? REALTIME_SHARING_DEFAULTS.periodMs);
        });
    };
    this.#timer = this.#o.clock.setTimeout(run, 0);
  }

  /** Stops reading. */
  stop(): void {
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The parts of `tenant` (every tenant when undefined), each with the time it was written. */
  *#tenantParts(tenant: string | undefined): Generator<{ at: number; part: TenantPart }> {
    for (const p of this.#parts.values()) {
      if (tenant !== undefined) {
        const t = p.tenants.get(tenant);
        if (t !== undefined) yield { at: p.at, part: t.part };
      } else for (const t of p.tenants.values()) yield { at: p.at, part: t.part };
    }
  }

  /** {@inheritDoc RealtimeReader.skillGroups} A call still waiting has waited since its part was written, too. */
  skillGroups(now: number, tenant?: string, skillGroup?: string): SkillGroupNow[] {
    const lists: SkillGroupNow[][] = [];
    for (const { at, part } of this.#tenantParts(tenant)) {
      const age = Math.max(0, now - at);
      lists.push(
        part.skillGroups
          .filter((g) => skillGroup === undefined || g.skillGroup === skillGroup)
          .map((g) => (g.callsWaiting > 0 ? { ...g, longestWaitMs: g.longestWaitMs + age } : g)),
      );
    }
    return sumSkillGroups(lists);
  }

  /** {@inheritDoc RealtimeReader.agents} */
  agents(tenant?: string): AgentNow[] {
    return unionAgents([...this.#tenantParts(tenant)].map((p) => p.part.agents)).map((a) => ({ ...a, skillGroups: [...a.skillGroups] }));
  }

  /** {@inheritDoc RealtimeReader.extensions} */
  extensions(tenant?: string): ExtensionNow[] {
    return unionExtensions([...this.#tenantParts(tenant)].map((p) => p.part.extensions)).map((x) => ({ ...x }));
  }

  /**
   * Queue snapshots for the control loop, each as old as the oldest part of its tenant (so a copy kept
   * while the store is unreachable ages, and the control loop's staleness bound applies to it).
   */
  snapshots(now: number): QueueSnapshot[] {
    const oldest = new Map<string, number>();
    for (const p of this.#parts.values()) for (const t of p.tenants.keys()) oldest.set(t, Math.min(oldest.get(t) ?? p.at, p.at));
    return this.skillGroups(now).map((s) => queueSnapshot(s, oldest.get(s.tenant) ?? now));
  }

  /** What the last read found. */
  stats(now: number): SharedRealtimeStats {
    let oldest = now;
    const owners = new Set<string>();
    for (const p of this.#parts.values()) {
      oldest = Math.min(oldest, p.at);
      owners.add(p.owner);
    }
    return {
      partitions: this.#parts.size,
      publishers: owners.size,
      stalenessMs: Math.max(0, now - oldest),
      sinceReadMs: now - this.#readAt,
    };
  }
}
