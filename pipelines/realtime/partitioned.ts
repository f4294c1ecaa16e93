import type { TelemetryEvent } from '../events/types.js';
import type { SlidingFigures } from '../skillgroup/rows.js';
import type { QueueSnapshot } from '../../core/messages.js';
import type { AgentNow, ExtensionNow, SkillGroupNow } from './figures.js';
import { queueSnapshot, sumSkillGroups, unionAgents, unionExtensions, type RealtimeReader } from './merge.js';
import { RealtimeState, type RealtimeOptions } from './state.js';

/** A source partition as the real-time state names it: `<topic>:<partition>` (and the bus's namespace, if any). */
export type PartitionId = string;

/**
 * The real-time state of a pipeline worker, one {@link RealtimeState} per source partition it reads, so
 * that what a partition holds can be published on its own (`shared.ts`) and dropped when the partition
 * goes to another worker in a rebalance: the worker then neither shows nor publishes it any more, and
 * the new owner's state takes its place. Read as a whole it is the sum of its parts (`merge.ts`), which
 * is exactly what one {@link RealtimeState} fed every event would show.
 */
export class PartitionedRealtime implements RealtimeReader {
  readonly #parts = new Map<PartitionId, RealtimeState>();
  readonly #listeners = new Set<(tenant: string) => void>();
  readonly #options: RealtimeOptions;

  constructor(options: RealtimeOptions = {}) {
    this.#options = options;
  }

  #changed(tenant: string): void {
    for (const l of this.#listeners) l(tenant);
  }

  #part(id: PartitionId): RealtimeState {
    let p = this.#parts.get(id);
    if (p === undefined) {
      p = new RealtimeState(this.#options);
      p.onChange((t) => this.#changed(t));
      this.#parts.set(id, p);
    }
    return p;
  }

  /** Calls `fn(tenant)` after each change (an event, figures, a partition dropped); returns an unsubscribe function. */
  onChange(fn: (tenant: string) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Applies a batch of one partition's events; `now` is processing time, epoch ms. */
  apply(id: PartitionId, events: readonly TelemetryEvent[], now: number): void {
    const p = this.#part(id);
    for (const e of events) p.apply(e, now);
  }

  /** Applies a skill-group partition's stored minute rows. */
  applyRows(id: PartitionId, rows: Parameters<RealtimeState['applyRows']>[0], now: number): void {
    this.#part(id).applyRows(rows, now);
  }

  /** Applies a skill-group partition's sliding figures. */
  applySliding(id: PartitionId, figures: SlidingFigures[], now: number): void {
    this.#part(id).applySliding(figures, now);
  }

  /** Forgets partitions this worker no longer reads; listeners hear of every tenant they held. */
  drop(ids: Iterable<PartitionId>): void {
    const tenants = new Set<string>();
    for (const id of ids) {
      const p = this.#parts.get(id);
      if (p === undefined) continue;
      this.#parts.delete(id);
      for (const g of p.skillGroups(0)) tenants.add(g.tenant);
      for (const a of p.agents()) tenants.add(a.tenant);
      for (const x of p.extensions()) tenants.add(x.tenant);
    }
    for (const t of tenants) this.#changed(t);
  }

  /** Keeps only the partitions in `ids` (the worker's whole assignment after a rebalance). */
  retain(ids: ReadonlySet<PartitionId>): void {
    this.drop([...this.#parts.keys()].filter((id) => !ids.has(id)));
  }

  /** The partitions held and their state (the publisher reads each on its own). */
  partitions(): ReadonlyMap<PartitionId, RealtimeState> {
    return this.#parts;
  }

  /** {@link RealtimeState.expire} over every partition; returns how many names were forgotten. */
  expire(now: number): number {
    let n = 0;
    for (const p of this.#parts.values()) n += p.expire(now);
    return n;
  }

  /** Entries held over every partition. */
  get size(): { skillGroups: number; agents: number; extensions: number } {
    const out = { skillGroups: 0, agents: 0, extensions: 0 };
    for (const p of this.#parts.values()) {
      const s = p.size;
      out.skillGroups += s.skillGroups;
      out.agents += s.agents;
      out.extensions += s.extensions;
    }
    return out;
  }

  /** {@inheritDoc RealtimeReader.skillGroups} */
  skillGroups(now: number, tenant?: string, skillGroup?: string): SkillGroupNow[] {
    return sumSkillGroups([...this.#parts.values()].map((p) => p.skillGroups(now, tenant, skillGroup)));
  }

  /** {@inheritDoc RealtimeReader.agents} */
  agents(tenant?: string): AgentNow[] {
    return unionAgents([...this.#parts.values()].map((p) => p.agents(tenant)));
  }

  /** {@inheritDoc RealtimeReader.extensions} */
  extensions(tenant?: string): ExtensionNow[] {
    return unionExtensions([...this.#parts.values()].map((p) => p.extensions(tenant)));
  }

  /** Per-queue signals for the control loop. */
  snapshots(now: number): QueueSnapshot[] {
    return this.skillGroups(now).map((s) => queueSnapshot(s, now));
  }
}
