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
import { MAX_CTI_NODES } from './policy/schema.js';
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

/** FNV-1a of the call id with a MurmurHash3 finaliser, as a number in [0, 1). */
function unitHash(s: string | undefined): number {
  if (s === undefined) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  // FNV-1a leaves its top bits poorly mixed for ids that differ in their last characters (a proxy's `t6-c1`,
  // `t6-c2`, …: 14 % of them fell below 0.5); MurmurHash3's finaliser spreads every bit over the whole word.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

function excluded(req: RouteRequest, key: string): boolean {
  return req.exclude?.includes(key) === true;
}

/** Per node of the call being decided: 0 unusable, 1 closed, 2 half-open; and its weight (scratch, no allocation). */
const USABLE = new Uint8Array(MAX_CTI_NODES);
const WEIGHT = new Float64Array(MAX_CTI_NODES);

/**
 * Picks a CTI node: returns variant · 2 + (probe ? 1 : 0), variant = node index · 3 + kind
 * ({@link CtiVariant}), or −1 when no node can take the call. The pool is every usable node at a
 * level with `backupActive` when a primary and a backup are usable, the usable primaries otherwise,
 * the usable backups when no primary is; within it the call id's hash picks by weight (the node's
 * policy weight × its health weight), so without a call id the first node of the pool takes it.
 */
function pickCti(t: CompiledTenant, plan: Plan, req: RouteRequest, state: RouteState): number {
  const nodes = t.nodes;
  let anyP = false;
  let anyB = false;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    const s = excluded(req, n.key) ? 'open' : state.breakerState(n.key);
    if (!passable(s)) {
      USABLE[i] = 0;
      continue;
    }
    USABLE[i] = s === 'half-open' ? 2 : 1;
    WEIGHT[i] = n.weight * (state.ctiWeight?.(n.key) ?? 1);
    if (n.primary) anyP = true;
    else anyB = true;
  }
  if (!anyP && !anyB) return -1;
  const share = plan.policy.backupActive && anyP && anyB;
  // In the pool: usable, and (sharing, or of the role that takes the calls: primaries when one is usable).
  let total = 0;
  for (let i = 0; i < nodes.length; i++) if (USABLE[i] !== 0 && (share || nodes[i]!.primary === anyP)) total += WEIGHT[i]!;
  const u = total > 0 ? unitHash(req.callId) * total : 0;
  let acc = 0;
  let pick = -1;
  for (let i = 0; i < nodes.length; i++) {
    if (USABLE[i] === 0 || !(share || nodes[i]!.primary === anyP)) continue;
    if (pick < 0) pick = i;
    acc += WEIGHT[i]!;
    if (u < acc) {
      pick = i;
      break;
    }
  }
  const kind = nodes[pick]!.primary ? CtiVariant.Primary : share ? CtiVariant.BackupShare : CtiVariant.BackupFailover;
  return (pick * 3 + kind) * 2 + (USABLE[pick] === 2 ? 1 : 0);
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
