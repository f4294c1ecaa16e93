/**
 * The routing decision: a pure function of the request and in-memory state
 * (compiled tenant tables, levels, breaker states). It never picks a target
 * whose breaker is open; when every target a level allows is unavailable it
 * walks on along the safety order agent → smart IVR → chat → callback →
 * keypad IVR (see {@link SAFETY_ORDER}), and answers `reject` only when keypad
 * IVR is unavailable too.
 *
 * Defined answers for odd input: an unknown tenant goes to keypad IVR at L3
 * (nothing is known about its queues or CTI), or `reject` when keypad IVR is
 * open; an untracked skill group is routed at the tenant's level; an unknown
 * priority is treated as `normal`.
 *
 * Probes: a half-open target is eligible, and the decision says `probe: true`.
 * The caller takes a probe permit from that breaker; if refused, it calls
 * `decide` again with the key in `exclude` and gets the next target at once.
 */
import type { BreakerStateName } from './breaker/machine.js';
import { CHANNEL_BREAKER_KEYS, CtiVariant, passable, planDecision, planIndex } from './routing-table.js';
import type { CompiledTenant, Plan, RouteDecision } from './routing-table.js';
import type { Priority } from './types.js';

export type { RouteDecision, RouteTarget } from './routing-table.js';

/** A call to place. */
export interface RouteRequest {
  readonly tenant: string;
  readonly skillGroup: string;
  readonly priority: Priority;
  /** Hashed to split calls between CTI nodes in active-active; without it the primary is preferred. */
  readonly callId?: string;
  /** False when the tenant's admission bucket refused the call: agents are skipped. */
  readonly admitted?: boolean;
  /** Breaker keys to skip (e.g. a half-open target that refused a probe). */
  readonly exclude?: readonly string[];
}

/** In-memory state the decision reads. */
export interface RouteState {
  readonly tenants: ReadonlyMap<string, CompiledTenant>;
  /** State of breaker `key`; a key without a breaker should answer 'closed'. */
  breakerState(key: string): BreakerStateName;
  /** Health weight of a CTI breaker in [0, 1] for the active-active split (default 1). */
  ctiWeight?(key: string): number;
}

const UNKNOWN_TENANT: RouteDecision = Object.freeze({
  target: 'keypad_ivr',
  ctiNode: undefined,
  level: 3,
  reason: 'unknown tenant → keypad_ivr (safe default)',
  probe: false,
  breakerKey: CHANNEL_BREAKER_KEYS.keypad_ivr,
  ticket: false,
});
const UNKNOWN_TENANT_PROBE: RouteDecision = Object.freeze({
  ...UNKNOWN_TENANT,
  probe: true,
  reason: `${UNKNOWN_TENANT.reason} [half-open probe]`,
});
const UNKNOWN_TENANT_REJECT: RouteDecision = Object.freeze({
  ...UNKNOWN_TENANT,
  target: 'reject',
  breakerKey: '',
  reason: 'unknown tenant and keypad_ivr unavailable → reject',
});

function rankOf(p: Priority): number {
  switch (p) {
    case 'vip':
      return 0;
    case 'high':
      return 1;
    case 'low':
      return 3;
    default:
      return 2;
  }
}

/** FNV-1a of the call id, as a number in [0, 1). */
function unitHash(s: string | undefined): number {
  if (s === undefined) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 4294967296;
}

function excluded(req: RouteRequest, key: string): boolean {
  return req.exclude?.includes(key) === true;
}

/** Picks a CTI node: returns variant · 2 + (probe ? 1 : 0), or −1 when no node can take the call. */
function pickCti(t: CompiledTenant, plan: Plan, req: RouteRequest, state: RouteState): number {
  const p = excluded(req, t.primaryKey) ? 'open' : state.breakerState(t.primaryKey);
  const b = t.backupKey === undefined || excluded(req, t.backupKey) ? 'open' : state.breakerState(t.backupKey);
  const pOk = passable(p);
  const bOk = passable(b);
  if (pOk && bOk && plan.policy.backupActive) {
    const wp = state.ctiWeight?.(t.primaryKey) ?? 1;
    const wb = state.ctiWeight?.(t.backupKey!) ?? 1;
    const share = wp + wb > 0 ? wp / (wp + wb) : 0.5;
    if (unitHash(req.callId) >= share) return CtiVariant.BackupShare * 2 + (b === 'half-open' ? 1 : 0);
    return CtiVariant.Primary * 2 + (p === 'half-open' ? 1 : 0);
  }
  if (pOk) return CtiVariant.Primary * 2 + (p === 'half-open' ? 1 : 0);
  if (bOk) return CtiVariant.BackupFailover * 2 + (b === 'half-open' ? 1 : 0);
  return -1;
}

/**
 * Decides where a call goes. Pure: reads `state`, changes nothing but a
 * decision cache; returns a shared, frozen decision object.
 */
export function decide(req: RouteRequest, state: RouteState): RouteDecision {
  const t = state.tenants.get(req.tenant);
  if (t === undefined) {
    const k = CHANNEL_BREAKER_KEYS.keypad_ivr;
    const s = excluded(req, k) ? 'open' : state.breakerState(k);
    return !passable(s) ? UNKNOWN_TENANT_REJECT : s === 'half-open' ? UNKNOWN_TENANT_PROBE : UNKNOWN_TENANT;
  }
  const g = t.groups.get(req.skillGroup);
  const untracked = g === undefined;
  const level = g === undefined || g < t.level ? t.level : g;
  const plan = t.plans[planIndex(level, rankOf(req.priority), req.admitted !== false)]!;
  const cands = plan.candidates;
  for (let i = 0; i < cands.length; i++) {
    const ch = cands[i]!;
    if (ch === 'agent') {
      const pick = pickCti(t, plan, req, state);
      if (pick >= 0) return planDecision(t, plan, i, pick >> 1, (pick & 1) === 1, untracked);
      continue;
    }
    const key = CHANNEL_BREAKER_KEYS[ch];
    if (excluded(req, key)) continue;
    const s = state.breakerState(key);
    if (passable(s)) return planDecision(t, plan, i, 0, s === 'half-open', untracked);
  }
  return planDecision(t, plan, cands.length, 0, false, untracked);
}
