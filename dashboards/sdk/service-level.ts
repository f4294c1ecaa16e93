/**
 * The tenant's one service level on the dashboards (README, "Service level"): the variant and threshold T are
 * template variables fed from data — Sluice's `sluice_service_level_threshold_seconds{tenant,variant}` gauge —
 * never a constant typed into a dashboard; the ClickHouse panels compute the variable's variant from the minute
 * rows (whose "within" counts were taken against the tenant's T), the Prometheus panels from the service-level
 * counters, keyed on the tenant's variant as that gauge reports it. The four formulas are those of
 * `pipelines/metrics/formulas.ts` (docs/domain.md#service-level-the-four-variants).
 */
import { QueryVariableBuilder, VariableHide, VariableRefresh } from '@grafana/grafana-foundation-sdk/dashboard';
import { PROMETHEUS } from './queries.js';

/** Title of the Real-time queues panel of `sluice_service_level` by skill group (the alert rules link to it). */
export const SL_BY_GROUP_TITLE = 'Service level by skill group (as on the wallboard) · $sl_variant, T = $sl_threshold s';

/** The four variants, in the order of docs/domain.md. */
export const SL_VARIANTS = ['answered', 'answeredAndAbandoned', 'abandonsWithinGood', 'shortAbandonsExcluded'] as const;

/** What a Grafana variable shows before Prometheus answers (the deployment default of app/service-level.ts). */
const DEFAULT_VARIANT = 'answeredAndAbandoned';

/** `sl_variant`: which of the four variants the tenant uses (from its threshold gauge's `variant` label). */
export const slVariantVariable = () =>
  new QueryVariableBuilder('sl_variant')
    .label('Service level variant')
    .description(
      "The tenant's service-level variant (SLUICE_SERVICE_LEVEL_VARIANT or its SLUICE_SERVICE_LEVEL_TENANTS entry), read from Sluice.",
    )
    .datasource({ ...PROMETHEUS })
    .query('label_values(sluice_service_level_threshold_seconds{tenant="$tenant"}, variant)')
    .current({ text: DEFAULT_VARIANT, value: DEFAULT_VARIANT })
    .refresh(VariableRefresh.OnDashboardLoad)
    .hide(VariableHide.DontHide);

/** `sl_threshold`: the tenant's threshold T in seconds (the threshold gauge's value). */
export const slThresholdVariable = () =>
  new QueryVariableBuilder('sl_threshold')
    .label('Service level T (s)')
    .description(
      "The tenant's service-level threshold T in seconds (SLUICE_SERVICE_LEVEL_MS or its SLUICE_SERVICE_LEVEL_TENANTS entry), read from Sluice.",
    )
    .datasource({ ...PROMETHEUS })
    .query('query_result(max(sluice_service_level_threshold_seconds{tenant="$tenant"}))')
    .regex('/\\}\\s+([0-9.eE+-]+)\\s/')
    .current({ text: '20', value: '20' })
    .refresh(VariableRefresh.OnDashboardLoad)
    .hide(VariableHide.DontHide);

/**
 * SQL of the tenant's variant over `skillgroup_minute` sums (ClickHouse aggregate expressions), chosen by
 * `${sl_variant}`; the rows' `answered_within_sl` / `abandoned_within_sl` were counted against the tenant's T.
 */
export const SL_SQL = `multiIf(
  \${sl_variant:singlequote} = 'answered', sum(answered_within_sl) / nullIf(sum(answered), 0),
  \${sl_variant:singlequote} = 'abandonsWithinGood', (sum(answered_within_sl) + sum(abandoned_within_sl)) / nullIf(sum(answered) + sum(abandoned), 0),
  \${sl_variant:singlequote} = 'shortAbandonsExcluded', sum(answered_within_sl) / nullIf(sum(answered) + sum(abandoned) - sum(short_abandons), 0),
  sum(answered_within_sl) / nullIf(sum(answered) + sum(abandoned), 0))`;

/** 1 when the tenant's variant (from the threshold gauge) is one of `variants`, else 0: a PromQL scalar. */
const isVariant = (variants: readonly string[]) =>
  `scalar(clamp_max(count(sluice_service_level_threshold_seconds{tenant="$tenant", variant=~"${variants.join('|')}"}), 1) or vector(0))`;

/**
 * PromQL of the tenant's variant from the service-level counters over `range` for the series `scope` selects
 * (`tenant="$tenant", skill_group=~"$skill_group"`):
 * (answered within T + [abandonsWithinGood] abandoned within T) /
 * (answered + [not answered] abandoned − [shortAbandonsExcluded] short abandons).
 */
export function slPromQL(scope: string, range: string): string {
  const inc = (name: string) => `sum(increase(sluice_queue_${name}_total{${scope}}[${range}]))`;
  const good = `(${inc('answered_within_sl')} + ${inc('abandoned_within_sl')} * ${isVariant(['abandonsWithinGood'])})`;
  const all = `(${inc('answered')} + ${inc('abandoned')} * ${isVariant(['answeredAndAbandoned', 'abandonsWithinGood', 'shortAbandonsExcluded'])} - ${inc('abandoned_short')} * ${isVariant(['shortAbandonsExcluded'])})`;
  return `${good} / ${all}`;
}
