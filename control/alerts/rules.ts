/**
 * Centre alerts: the tenant's rules (its policy's `alerts` section) against what the control loop sees — the
 * highest level of the tenant's scopes, the breakers its calls depend on, each queue's service level — turned into
 * alert requests. Episodes are remembered here so a condition that holds is raised once, not every tick; the id
 * of each alert names its subject (`level/L2`, `breaker/cti:cti-primary`, `service-level/sales`), and the outbox
 * drops the same id within the rule's cooldown, so N control instances evaluating the same facts alert once.
 */
import type { AlertRequest } from '../../core/alerts.js';
import type { AlertRules, AlertTarget } from '../policy/schema.js';
import type { Level } from '../types.js';

/** What one tenant looks like now, as the rules read it. */
export interface CentreFacts {
  readonly tenant: string;
  /** The tenant's scopes (the tenant itself, its skill groups) with their level and its reason. */
  readonly levels: readonly { readonly scope: string; readonly level: Level; readonly reason: string }[];
  /** Breakers the tenant's calls depend on that are open now. */
  readonly openBreakers: readonly { readonly id: string; readonly reason: string }[];
  /** Each queue's service level of the current interval (0..1), null when not known yet. */
  readonly queues: readonly { readonly skillGroup: string; readonly serviceLevel: number | null }[];
}

/** An alert to raise, with the window its id keeps duplicates out. */
export interface CentreAlert {
  readonly alert: AlertRequest;
  readonly dedupeMs: number;
}

const RANK: Record<'L1' | 'L2' | 'L3', Level> = { L1: 1, L2: 2, L3: 3 };
const DEFAULT_COOLDOWN_MINUTES = 15;

interface TenantState {
  /** Subjects raised and still holding (cleared when the condition ends, so a new episode raises again). */
  readonly raised: Set<string>;
  /** Since when (epoch ms) each queue has been under its threshold. */
  readonly below: Map<string, number>;
}

/** See the module comment. One instance per control process; state per tenant, bounded by its scopes. */
export class CentreAlertRules {
  readonly #tenants = new Map<string, TenantState>();

  /**
   * The alerts to raise now for one tenant. An alert is remembered as raised only once {@link confirm} says it was
   * stored, so one that could not be stored (the outbox unreachable) is tried again at the next evaluation.
   *
   * @param now epoch ms
   */
  evaluate(now: number, rules: AlertRules | undefined, facts: CentreFacts): CentreAlert[] {
    if (!rules) {
      this.#tenants.delete(facts.tenant);
      return [];
    }
    let st = this.#tenants.get(facts.tenant);
    if (!st) this.#tenants.set(facts.tenant, (st = { raised: new Set(), below: new Map() }));
    const holding = new Set<string>();
    const out: CentreAlert[] = [];
    const cooldownMs = (rules.cooldownMinutes ?? DEFAULT_COOLDOWN_MINUTES) * 60_000;
    const raise = (subject: string, kind: AlertRequest['kind'], target: AlertTarget | undefined, facts2: AlertRequest['facts']) => {
      holding.add(subject);
      if (st.raised.has(subject)) return;
      const notify = target?.notify ?? rules.notify ?? [];
      out.push({
        dedupeMs: cooldownMs,
        alert: {
          id: subject,
          tenant: facts.tenant,
          kind,
          channel: target?.channel ?? rules.channel ?? 'message',
          recipients: [...notify],
          facts: facts2,
          ...(rules.language !== undefined && { language: rules.language }),
          at: now,
        },
      });
    };

    if (rules.level) {
      const top = facts.levels.reduce<(typeof facts.levels)[number] | undefined>(
        (a, b) => (a === undefined || b.level > a.level ? b : a),
        undefined,
      );
      const min = RANK[rules.level.atLeast];
      if (top && top.level >= min) {
        // Every level from the threshold to the one reached holds; a higher one reached later is a new alert.
        for (let r = min; r < top.level; r++) holding.add(`level/L${r}`);
        raise(`level/L${top.level}`, 'centre-level', rules.level, {
          level: `L${top.level}`,
          scope: top.scope,
          reason: top.reason.slice(0, 500),
        });
      }
    }
    if (rules.breakerOpen) {
      for (const b of facts.openBreakers.slice(0, 64)) {
        raise(`breaker/${b.id}`, 'centre-breaker', rules.breakerOpen, { breaker: b.id, reason: b.reason.slice(0, 500) });
      }
    }
    const sl = rules.serviceLevel;
    if (sl) {
      const only = sl.skillGroups ? new Set(sl.skillGroups) : undefined;
      const seen = new Set<string>();
      for (const q of facts.queues) {
        if (only && !only.has(q.skillGroup)) continue;
        seen.add(q.skillGroup);
        if (q.serviceLevel === null || q.serviceLevel >= sl.below) {
          st.below.delete(q.skillGroup);
          continue;
        }
        const since = st.below.get(q.skillGroup) ?? now;
        st.below.set(q.skillGroup, since);
        const minutes = Math.floor((now - since) / 60_000);
        if (minutes >= sl.forMinutes) {
          raise(`service-level/${q.skillGroup}`, 'centre-service-level', sl, {
            skillGroup: q.skillGroup,
            serviceLevel: Math.round(q.serviceLevel * 1000) / 1000,
            threshold: sl.below,
            minutes,
          });
        } else if (st.raised.has(`service-level/${q.skillGroup}`)) holding.add(`service-level/${q.skillGroup}`);
      }
      for (const g of st.below.keys()) if (!seen.has(g)) st.below.delete(g);
    } else st.below.clear();
    for (const s of st.raised) if (!holding.has(s)) st.raised.delete(s);
    return out;
  }

  /** Marks an alert as stored (or as a duplicate another instance stored): not raised again while it holds. */
  confirm(tenant: string, subject: string): void {
    this.#tenants.get(tenant)?.raised.add(subject);
  }

  /** Forgets tenants no longer seen (bounded memory). */
  retain(tenants: ReadonlySet<string>): void {
    for (const t of this.#tenants.keys()) if (!tenants.has(t)) this.#tenants.delete(t);
  }
}
