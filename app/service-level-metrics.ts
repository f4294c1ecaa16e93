/**
 * The service level on `/metrics`, from each tenant's one definition (app/service-level.ts):
 *
 * - counters `sluice_queue_offered_total`, `sluice_queue_answered_total`, `sluice_queue_answered_within_sl_total`,
 *   `sluice_queue_abandoned_total`, `sluice_queue_abandoned_within_sl_total`, `sluice_queue_abandoned_short_total`
 *   `{tenant,skill_group}`, counted as each event is stored — "within" against the tenant's own T when the
 *   answer (or abandon) is observed, so no bucket bound is involved — and present at 0 from the moment a
 *   tenant's skill group is known (a `rate()` sees the first call);
 * - gauge `sluice_service_level{tenant,skill_group,variant}`: the tenant's variant over the rolling window the
 *   wallboard shows (the last 60 closed minutes; fewer after start), the same figure as the wallboard and
 *   `GET /v1/realtime/skillgroups` (`last60m.serviceLevel`), read at scrape time; absent while undefined;
 * - gauges `sluice_service_level_objective{tenant}` and `sluice_service_level_threshold_seconds{tenant,variant}`
 *   for every known tenant (the `variant` label says which of the four the tenant uses: Grafana's `sl_variant`
 *   variable reads it with `label_values`).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { serviceLevel, type ServiceLevelSums } from '../pipelines/metrics/formulas.js';
import type { TelemetryEvent } from '../pipelines/events/types.js';
import type { SkillGroupNow } from '../pipelines/realtime/state.js';
import { OTHER_LABEL, type LabelBounds } from './metric-labels.js';
import { serviceLevelOf, type ServiceLevelSettings } from './service-level.js';

/** What {@link ServiceLevelMetrics} needs. */
export interface ServiceLevelMetricsOptions {
  readonly registry: Registry;
  /** The label bounds of the app's other metrics (tenant and skill-group labels go through them). */
  readonly labels: LabelBounds;
  readonly settings: ServiceLevelSettings;
  /** A call abandoned after waiting less than this is a short abandon, ms (`SLUICE_SHORT_ABANDON_MS`). */
  readonly shortAbandonMs: number;
  /** Tenants this deployment knows: their objective and threshold gauges are there from the start. */
  readonly tenants: readonly string[];
}

type Labels = { tenant: string; skill_group: string };

const COUNTERS = {
  offered: 'Calls that entered the queue (OFFERED), by tenant and skill group.',
  answered: 'Calls answered by an agent (ANSWERED), by tenant and skill group.',
  answered_within_sl:
    "Answered calls that waited at most the tenant's service-level threshold T (sluice_service_level_threshold_seconds), counted when the answer is observed, by tenant and skill group.",
  abandoned: 'Calls abandoned while waiting (ABANDONED), by tenant and skill group.',
  abandoned_within_sl:
    "Abandoned calls that waited at most the tenant's service-level threshold T (variant abandonsWithinGood counts them as good), by tenant and skill group.",
  abandoned_short:
    'Abandoned calls that waited less than the short-abandon threshold (SLUICE_SHORT_ABANDON_MS), by tenant and skill group.',
} as const;

type CounterName = keyof typeof COUNTERS;

/** See the module comment. */
export class ServiceLevelMetrics {
  readonly #o: ServiceLevelMetricsOptions;
  readonly #counters: Record<CounterName, Counter<'tenant' | 'skill_group'>>;
  readonly #known = new Set<string>();

  constructor(o: ServiceLevelMetricsOptions) {
    this.#o = o;
    this.#counters = Object.fromEntries(
      Object.entries(COUNTERS).map(([name, help]) => [
        name,
        new Counter({ name: `sluice_queue_${name}_total`, help, labelNames: ['tenant', 'skill_group'], registers: [o.registry] }),
      ]),
    ) as Record<CounterName, Counter<'tenant' | 'skill_group'>>;
    const definitionOf = (tenant: string) => serviceLevelOf(o.settings, tenant);
    const tenants = [...new Set([...o.tenants, ...Object.keys(o.settings.tenants)])];
    const perTenant = (set: (labels: { tenant: string }, tenant: string) => void) => {
      for (const t of tenants) {
        const label = o.labels.tenant(t);
        if (label !== OTHER_LABEL) set({ tenant: label }, t);
      }
    };
    new Gauge({
      name: 'sluice_service_level_objective',
      help: "The tenant's service-level objective, ratio 0..1 (SLUICE_SERVICE_LEVEL_OBJECTIVE, or the tenant's entry in SLUICE_SERVICE_LEVEL_TENANTS).",
      labelNames: ['tenant'],
      registers: [o.registry],
      collect() {
        this.reset();
        perTenant((labels, t) => this.set(labels, definitionOf(t).objective));
      },
    });
    new Gauge({
      name: 'sluice_service_level_threshold_seconds',
      help: "The tenant's service-level threshold T, seconds, and in the variant label which of the four service-level variants it uses (SLUICE_SERVICE_LEVEL_MS / _VARIANT, or SLUICE_SERVICE_LEVEL_TENANTS).",
      labelNames: ['tenant', 'variant'],
      registers: [o.registry],
      collect() {
        this.reset();
        perTenant((labels, t) => {
          const d = definitionOf(t);
          this.set({ ...labels, variant: d.variant }, d.thresholdMs / 1000);
        });
      },
    });
  }

  /** The labels of a tenant's skill group, its counters set at 0 the first time they are seen. */
  #labels(tenant: string, skillGroup: string): Labels {
    const labels = { tenant: this.#o.labels.tenant(tenant), skill_group: this.#o.labels.value('skill_group', tenant, skillGroup) };
    const key = `${labels.tenant}\u0000${labels.skill_group}`;
    if (!this.#known.has(key)) {
      this.#known.add(key);
      for (const c of Object.values(this.#counters)) c.inc(labels, 0);
    }
    return labels;
  }

  /** Counts the queue events among stored events; "within" against the event's tenant's T. */
  observeEvents(events: readonly TelemetryEvent[]): void {
    const c = this.#counters;
    for (const e of events) {
      if (e.source !== 'skillgroup') continue;
      const { type, skillGroup, waitMs } = e.body;
      if (type !== 'OFFERED' && type !== 'ANSWERED' && type !== 'ABANDONED') continue;
      const labels = this.#labels(e.tenant, skillGroup);
      const within = waitMs !== undefined && waitMs <= serviceLevelOf(this.#o.settings, e.tenant).thresholdMs;
      if (type === 'OFFERED') c.offered.inc(labels);
      else if (type === 'ANSWERED') {
        c.answered.inc(labels);
        if (within) c.answered_within_sl.inc(labels);
      } else {
        c.abandoned.inc(labels);
        if (within) c.abandoned_within_sl.inc(labels);
        if (waitMs !== undefined && waitMs < this.#o.shortAbandonMs) c.abandoned_short.inc(labels);
      }
    }
  }

  /**
   * `sluice_service_level` from the real-time view at scrape time (skill groups folded into one series: the
   * variant over their summed counts); the view's skill groups also get their counters at 0.
   */
  observeRealtime(view: { skillGroups(now: number): SkillGroupNow[] }, now: () => number): void {
    const self = this;
    new Gauge({
      name: 'sluice_service_level',
      help: "Service level of the tenant's one definition (variant label; threshold in sluice_service_level_threshold_seconds) over the last 60 closed minutes (fewer after start), ratio 0..1, by tenant and skill group: the figure the wallboard and GET /v1/realtime/skillgroups show. Absent while no call was answered or abandoned.",
      labelNames: ['tenant', 'skill_group', 'variant'],
      registers: [this.#o.registry],
      collect() {
        this.reset();
        const sums = new Map<string, { labels: Labels & { variant: string }; s: ServiceLevelSums; variant: string }>();
        for (const g of view.skillGroups(now())) {
          const labels = self.#labels(g.tenant, g.skillGroup);
          const f = g.last60m ?? g.last5m;
          if (!f) continue;
          const key = `${labels.tenant}\u0000${labels.skill_group}\u0000${f.serviceLevelVariant}`;
          const have = sums.get(key) ?? {
            labels: { ...labels, variant: f.serviceLevelVariant },
            variant: f.serviceLevelVariant,
            s: { answered: 0, answeredWithinSl: 0, abandoned: 0, abandonedWithinSl: 0, shortAbandons: 0 },
          };
          have.s.answered += f.answered;
          have.s.answeredWithinSl += f.answeredWithinSl;
          have.s.abandoned += f.abandoned;
          have.s.abandonedWithinSl += f.abandonedWithinSl;
          have.s.shortAbandons += f.shortAbandons;
          sums.set(key, have);
        }
        for (const { labels, s, variant } of sums.values()) {
          const v = serviceLevel(s, variant as Parameters<typeof serviceLevel>[1]);
          if (v !== null) this.set(labels, v);
        }
      },
    });
  }
}
