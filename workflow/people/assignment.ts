import type { PeopleSpec } from './spec.js';

/** Someone work can be assigned to, as the people directory knows them. */
export interface Person {
  /** User id. */
  readonly id: string;
  /** Skills held (for `skill-match`). */
  readonly skills?: readonly string[];
  /** Attributes (`site: berlin`), matched by a `skill-match` spec's `attributes`. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Most open todos this person takes (overrides the spec's capacity). */
  readonly capacity?: number;
  /** False while away; inactive people are never picked. */
  readonly active?: boolean;
}

/** Everything a pick depends on, gathered by the engine beforehand: the pick itself is pure. */
export interface AssignmentInput {
  /** Candidate people (duplicates allowed; the first occurrence counts). */
  readonly candidates: readonly Person[];
  /** Open todos per user id (missing = 0). */
  readonly loads: ReadonlyMap<string, number>;
  /** Round-robin counter for the pool (any integer; used modulo the pool size). */
  readonly counter: number;
  /** Users not to pick (already holding a todo of the same node visit). */
  readonly exclude?: ReadonlySet<string>;
}

/**
 * Picks one assignee, or undefined when nobody qualifies (everyone excluded, inactive,
 * lacking skills or at capacity) — the todo then waits unassigned.
 *
 * - `round-robin`: people ordered by id, starting at `counter`, first one under capacity.
 * - `least-loaded`: fewest open todos under capacity; ties by id.
 * - `skill-match`: only people holding every skill and every attribute value asked for, then least-loaded.
 */
export function chooseAssignee(spec: PeopleSpec, input: AssignmentInput): string | undefined {
  const seen = new Set<string>();
  const load = (p: Person): number => input.loads.get(p.id) ?? 0;
  const cap = (p: Person): number => p.capacity ?? spec.capacity ?? Number.POSITIVE_INFINITY;
  let pool = input.candidates.filter((p) => {
    if (seen.has(p.id)) return false;
    seen.add(p.id);
    return p.active !== false && !input.exclude?.has(p.id) && load(p) < cap(p);
  });
  if (spec.strategy === 'skill-match') {
    const wanted = Object.entries(spec.attributes ?? {});
    pool = pool.filter((p) => spec.skills.every((s) => p.skills?.includes(s)) && wanted.every(([k, v]) => p.attributes?.[k] === v));
  }
  if (pool.length === 0) return undefined;
  pool.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (spec.strategy === 'round-robin') {
    const n = pool.length;
    return (pool[((input.counter % n) + n) % n] as Person).id;
  }
  let best = pool[0] as Person;
  for (const p of pool) if (load(p) < load(best)) best = p;
  return best.id;
}
