import type { Person } from './assignment.js';
import type { PeopleDirectory, PrincipalRef, RoundRobinCounter } from './ports.js';

/** A person with memberships, as loaded into {@link MemoryPeopleDirectory}. */
export interface DirectoryEntry extends Person {
  /** Groups the person belongs to. */
  readonly groups?: readonly string[];
  /** Organisation (department, site, BPO partner) the person belongs to. */
  readonly organisation?: string;
}

/** In-memory {@link PeopleDirectory}, loaded from config or by tests. */
export class MemoryPeopleDirectory implements PeopleDirectory {
  readonly #people = new Map<string, Map<string, DirectoryEntry>>();

  /** Adds or replaces people in a tenant; returns this directory for chaining. */
  add(tenant: string, ...people: DirectoryEntry[]): this {
    let t = this.#people.get(tenant);
    if (!t) this.#people.set(tenant, (t = new Map()));
    for (const p of people) t.set(p.id, structuredClone(p));
    return this;
  }

  async resolve(tenant: string, ref: PrincipalRef): Promise<Person[]> {
    const all = [...(this.#people.get(tenant)?.values() ?? [])];
    switch (ref.kind) {
      case 'user':
        return [all.find((p) => p.id === ref.id) ?? { id: ref.id }];
      case 'group':
        return all.filter((p) => p.groups?.includes(ref.id));
      case 'organisation':
        return all.filter((p) => p.organisation === ref.id);
      // This directory knows no organisation tree (see `MemoryDirectory` for one that does).
      case 'head':
      case 'manager':
        return [];
    }
  }
}

/** In-memory {@link RoundRobinCounter}. */
export class MemoryRoundRobinCounter implements RoundRobinCounter {
  readonly #counters = new Map<string, number>();

  async next(tenant: string, poolKey: string): Promise<number> {
    const k = `${tenant}\u0000${poolKey}`;
    const n = this.#counters.get(k) ?? 0;
    this.#counters.set(k, n + 1);
    return n;
  }
}
