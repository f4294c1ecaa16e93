/**
 * The control loop's degradation levels as the push stream shows them: one level per skill group,
 * with its reason. Routing applies the higher of the tenant's level and the skill group's own
 * (`control/router.ts`), so the stream shows that one too and says which scope it came from.
 */
import type { ControlService } from '../../control/service.js';
import type { PublishedScopeLevel } from '../../control/index.js';
import type { Level } from '../../control/types.js';

/** The level of one scope (a tenant, or one skill group of it), as `GET /v1/control/state` lists it and the leader publishes it. */
export type ScopeLevel = PublishedScopeLevel;

/** Where the stream reads levels from: the control loop running in this process. */
export interface LevelSource {
  /** Levels of `tenant`'s scopes (every tenant's when undefined). */
  levels(tenant: string | undefined): readonly ScopeLevel[];
  /** Calls `listener` with the tenant whose level changed; returns a function that unsubscribes. */
  onChange(listener: (tenant: string) => void): () => void;
}

/** The level a skill group's calls are routed at, as pushed in `skillGroups[].control`. */
export interface SkillGroupLevel {
  readonly level: Level;
  readonly reason: string;
  /** Epoch ms. */
  readonly since: number;
  /** Whose level applies: the skill group's own, or the tenant's when that is higher (or the group has none). */
  readonly scope: 'skillGroup' | 'tenant';
  readonly pinned: boolean;
}

/** A {@link LevelSource} over the control service of this process. */
export function levelSourceOf(service: Pick<ControlService, 'state' | 'on'>): LevelSource {
  return {
    levels: (tenant) =>
      service.state(tenant).levels.map((l) => ({
        tenant: l.tenant,
        ...(l.skillGroup === undefined ? {} : { skillGroup: l.skillGroup }),
        level: l.level,
        since: l.since,
        reason: l.reason,
        pinned: l.override !== null,
      })),
    onChange: (listener) => service.on('level', (e) => listener(e.scope.tenant)),
  };
}

/**
 * Indexes `levels` and returns a lookup of the level that applies to a skill group: the higher of
 * the tenant's and the group's (the group's on a tie); undefined when control knows neither.
 */
export function skillGroupLevels(levels: readonly ScopeLevel[]): (tenant: string, skillGroup: string) => SkillGroupLevel | undefined {
  const tenants = new Map<string, ScopeLevel>();
  const groups = new Map<string, ScopeLevel>();
  for (const l of levels) {
    if (l.skillGroup === undefined) tenants.set(l.tenant, l);
    else groups.set(`${l.tenant}\u0000${l.skillGroup}`, l);
  }
  const view = (l: ScopeLevel, scope: SkillGroupLevel['scope']): SkillGroupLevel => ({
    level: l.level,
    reason: l.reason,
    since: l.since,
    scope,
    pinned: l.pinned,
  });
  return (tenant, skillGroup) => {
    const t = tenants.get(tenant);
    const g = groups.get(`${tenant}\u0000${skillGroup}`);
    if (g !== undefined && (t === undefined || g.level >= t.level)) return view(g, 'skillGroup');
    return t === undefined ? undefined : view(t, 'tenant');
  };
}
