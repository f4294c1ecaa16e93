/**
 * Routing tables compiled from a tenant's policy, so that a decision is a few
 * array reads and breaker lookups. For every (level, priority, admitted) the
 * candidate list is precomputed: the level's targets in policy order (without
 * `agent` for priorities the level diverts, or when admission refused the call),
 * then the escape chain — every channel of {@link SAFETY_ORDER} that comes after
 * the safest target the level allows. Decisions (with their reason strings) are
 * built on first use and then reused, so steady-state routing allocates nothing.
 */
import type { BreakerStateName } from './breaker/machine.js';
import type { CtiNodePolicy, LevelPolicy, TenantPolicy } from './policy/schema.js';
import { LEVEL_KEYS, MAX_CTI_NODES } from './policy/schema.js';
import { PRIORITIES, SAFETY_ORDER } from './types.js';
import type { Channel, Level, Priority } from './types.js';

/** Where a call is sent; `reject` = play the overload message and release (every channel unavailable). */
export type RouteTarget = Channel | 'reject';

/** A routing decision. Treat as read-only: the same object is handed out again. */
export interface RouteDecision {
  readonly target: RouteTarget;
  /** CTI node for the `agent` target. */
  readonly ctiNode: string | undefined;
  readonly level: Level;
  readonly reason: string;
  /** The target's breaker is half-open: take a probe permit from `breakerKey`; if refused, decide again excluding it. */
  readonly probe: boolean;
  /** Breaker guarding the target ('' for reject). */
  readonly breakerKey: string;
  /** Create a callback ticket for this caller. */
  readonly ticket: boolean;
}

/** Breaker key of a CTI node. */
export function ctiBreakerKey(node: string): string {
  return `cti:${node}`;
}

/** Breaker keys of the diversion channels (shared by all tenants). */
export const CHANNEL_BREAKER_KEYS: Readonly<Record<Exclude<Channel, 'agent'>, string>> = Object.freeze({
  smart_ivr: 'channel:smart_ivr',
  chat: 'channel:chat',
  callback: 'channel:callback',
  keypad_ivr: 'channel:keypad_ivr',
});

/** Whether a breaker in state `s` may receive a call (possibly as a probe). */
export function passable(s: BreakerStateName): boolean {
  return s !== 'open' && s !== 'forced-open';
}

/** A tenant's routing inputs. */
export interface TenantRouting {
  readonly tenant: string;
  readonly policy: TenantPolicy;
  /** The deployment's CTI nodes, used when the policy names none of its own. */
  readonly cti: { readonly primary: string; readonly backup?: string };
  /** The deployment's answer to an unknown skill group, when the policy says none (default `refuse`). */
  readonly unknownSkillGroups?: 'refuse' | 'tenant-level';
}

/**
 * Why an agent call goes to a CTI node; the decision's variant is
 * `node index · 3 + kind` (node index in {@link CompiledTenant.nodes}).
 */
export const CtiVariant = Object.freeze({ Primary: 0, BackupShare: 1, BackupFailover: 2 } as const);

/** A CTI node of a compiled tenant. */
export interface CompiledNode {
  readonly name: string;
  /** `cti:<name>`. */
  readonly key: string;
  readonly weight: number;
  readonly primary: boolean;
}

/** The CTI nodes a tenant's calls go to: its policy's, or the deployment's (weight 1 each). */
export function ctiNodesOf(r: TenantRouting): readonly CtiNodePolicy[] {
  return (
    r.policy.ctiNodes ?? [
      { name: r.cti.primary, weight: 1, role: 'primary' },
      ...(r.cti.backup === undefined ? [] : [{ name: r.cti.backup, weight: 1, role: 'backup' as const }]),
    ]
  );
}

/** Precomputed plan for one (level, priority, admitted). */
export interface Plan {
  readonly level: Level;
  readonly priority: Priority;
  readonly policy: LevelPolicy;
  readonly candidates: readonly Channel[];
  readonly allowedCount: number;
  readonly admitted: boolean;
  /** Decisions built so far, by {@link decisionIndex}. */
  readonly cache: (RouteDecision | undefined)[];
}

/** A compiled tenant. `level` and `groups` are updated in place by the composition root when levels change. */
export interface CompiledTenant {
  readonly tenant: string;
  /** CTI nodes, primaries first, each role in policy order. */
  readonly nodes: readonly CompiledNode[];
  /** Breaker keys of the CTI nodes. */
  readonly ctiKeys: readonly string[];
  /** Breaker keys of the backup nodes. */
  readonly backupKeys: readonly string[];
  /** The first primary node. */
  readonly primary: string;
  readonly primaryKey: string;
  /** The first backup node, if any. */
  readonly backup: string | undefined;
  readonly backupKey: string | undefined;
  /** Tenant-scope level. */
  level: Level;
  /** Levels of tracked skill groups; effective level = max(tenant, group). */
  readonly groups: Map<string, Level>;
  /** Skill groups the policy declares (known before their first event). */
  readonly declared: ReadonlySet<string>;
  /** Whether a route naming a skill group neither tracked nor declared is refused (policy `unknownSkillGroups`). */
  readonly refuseUnknownGroups: boolean;
  /** Indexed by {@link planIndex}. */
  readonly plans: readonly Plan[];
}

/** Index of the plan for (level, priority rank, admitted). */
export function planIndex(level: Level, rank: number, admitted: boolean): number {
  return (level * PRIORITIES.length + rank) * 2 + (admitted ? 0 : 1);
}

const VARIANTS = MAX_CTI_NODES * 3;

/** Index of a decision in a plan's cache. */
export function decisionIndex(candidate: number, variant: number, probe: boolean, untracked: boolean): number {
  return (candidate * VARIANTS + variant) * 4 + (probe ? 2 : 0) + (untracked ? 1 : 0);
}

/** The candidate list (see the module comment). */
export function candidatesFor(policy: LevelPolicy, priority: Priority, admitted: boolean): { candidates: Channel[]; allowedCount: number } {
  const toAgents = admitted && policy.agentPriorities.includes(priority);
  const allowed = policy.targets.filter((t) => t !== 'agent' || toAgents);
  const safest = Math.max(...policy.targets.map((t) => SAFETY_ORDER.indexOf(t)));
  const escapes = SAFETY_ORDER.slice(safest + 1).filter((c) => !allowed.includes(c));
  return { candidates: [...allowed, ...escapes], allowedCount: allowed.length };
}

/** Compiles a tenant's routing tables; levels start at L0. */
export function compileTenant(r: TenantRouting): CompiledTenant {
  const plans: Plan[] = [];
  for (const level of [0, 1, 2, 3] as const) {
    const policy = r.policy.levels[LEVEL_KEYS[level]];
    PRIORITIES.forEach((priority, rank) => {
      for (const admitted of [true, false]) {
        const { candidates, allowedCount } = candidatesFor(policy, priority, admitted);
        plans[planIndex(level, rank, admitted)] = { level, priority, policy, candidates, allowedCount, admitted, cache: [] };
      }
    });
  }
  const listed = ctiNodesOf(r).map((n) => ({ name: n.name, key: ctiBreakerKey(n.name), weight: n.weight, primary: n.role === 'primary' }));
  const nodes = [...listed.filter((n) => n.primary), ...listed.filter((n) => !n.primary)];
  const first = nodes[0]!;
  const backup = nodes.find((n) => !n.primary);
  return {
    tenant: r.tenant,
    nodes,
    ctiKeys: nodes.map((n) => n.key),
    backupKeys: nodes.filter((n) => !n.primary).map((n) => n.key),
    primary: first.name,
    primaryKey: first.key,
    backup: backup?.name,
    backupKey: backup?.key,
    level: 0,
    groups: new Map(),
    declared: new Set(r.policy.skillGroups ?? []),
    refuseUnknownGroups: (r.policy.unknownSkillGroups ?? r.unknownSkillGroups ?? 'refuse') === 'refuse',
    plans,
  };
}

/** Builds (once) and returns the decision for candidate `i` of `plan`; `i` = candidates.length means reject. */
export function planDecision(t: CompiledTenant, plan: Plan, i: number, variant: number, probe: boolean, untracked: boolean): RouteDecision {
  const idx = decisionIndex(i, variant, probe, untracked);
  const hit = plan.cache[idx];
  if (hit !== undefined) return hit;
  const built = buildDecision(t, plan, i, variant, probe, untracked);
  plan.cache[idx] = built;
  return built;
}

function buildDecision(t: CompiledTenant, plan: Plan, i: number, variant: number, probe: boolean, untracked: boolean): RouteDecision {
  const head = `L${plan.level}: ${plan.priority}${plan.admitted ? '' : ' (admission limit reached)'}`;
  const tail = (probe ? ' [half-open probe]' : '') + (untracked ? ' [skill group not tracked: tenant level]' : '');
  const target = plan.candidates[i];
  if (target === undefined) {
    return Object.freeze({
      target: 'reject',
      ctiNode: undefined,
      level: plan.level,
      reason: `${head} → reject: every channel unavailable${tail}`,
      probe: false,
      breakerKey: '',
      ticket: false,
    });
  }
  let how: string;
  let ctiNode: string | undefined;
  let breakerKey: string;
  if (target === 'agent') {
    const node = t.nodes[Math.floor(variant / 3)]!;
    const kind = variant % 3;
    const primaries = t.nodes.filter((n) => n.primary).map((n) => n.name);
    ctiNode = node.name;
    breakerKey = node.key;
    how =
      kind === CtiVariant.Primary
        ? ` via primary CTI ${node.name}`
        : kind === CtiVariant.BackupShare
          ? ` via backup CTI ${node.name} (active-active share)`
          : ` via backup CTI ${node.name} (${primaries.length === 1 ? 'primary' : 'primaries'} ${primaries.join(', ')} unavailable)`;
  } else {
    breakerKey = CHANNEL_BREAKER_KEYS[target];
    how = '';
  }
  const why =
    i === 0
      ? ' (policy)'
      : i < plan.allowedCount
        ? ` (policy choice ${i + 1}; earlier choices unavailable)`
        : ` (fallback: every target of L${plan.level} unavailable)`;
  const ticket = target === 'callback' || (target !== 'agent' && plan.policy.ticketOnDivert);
  return Object.freeze({ target, ctiNode, level: plan.level, reason: `${head} → ${target}${how}${why}${tail}`, probe, breakerKey, ticket });
}
