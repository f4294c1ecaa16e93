/**
 * Panel targets: a typed builder for the ClickHouse plugin's SQL queries (the foundation SDK has no
 * ClickHouse query type) and a thin wrapper over the SDK's Prometheus query builder. Both carry their
 * data source reference, so a panel may mix them.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as common from '@grafana/grafana-foundation-sdk/common';
import { DataqueryBuilder as PrometheusQueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';

/** Data source references; `provisioning/datasources/sluice.yaml` creates data sources with these uids. */
export const CLICKHOUSE: Readonly<common.DataSourceRef> = Object.freeze({
  type: 'grafana-clickhouse-datasource',
  uid: 'sluice-clickhouse',
});
/** The Prometheus that scrapes Sluice's `/metrics`. */
export const PROMETHEUS: Readonly<common.DataSourceRef> = Object.freeze({ type: 'prometheus', uid: 'sluice-prometheus' });

/** How the plugin shapes a result: Grafana's sqlutil formats (0 time series, 1 table) and the plugin's query types. */
export type ClickHouseResult = 'timeseries' | 'table';

/** A SQL query of `grafana-clickhouse-datasource` (its `CHSqlQuery`, editor type `sql`). */
export interface ClickHouseQuery extends cog.Dataquery {
  refId?: string;
  datasource: common.DataSourceRef;
  editorType: 'sql';
  queryType: ClickHouseResult;
  /** 0 = time series, 1 = table (grafana-plugin-sdk-go `sqlutil.FormatQueryOption`). */
  format: 0 | 1;
  rawSql: string;
  pluginVersion: string;
}

/**
 * Plugin version the queries are written for: the macros of `pkg/macros/macros.go` as they are from 4.2
 * (`$__timeFilter` on `toDateTime` again since 4.0.3, `$__dateTimeFilter` since 4.2.0); 4.3.2 is the
 * release whose changelog this was checked against.
 */
export const CLICKHOUSE_PLUGIN_VERSION = '4.3.2';

/**
 * Builds a {@link ClickHouseQuery}.
 * @example new ClickHouseQueryBuilder('SELECT $__timeInterval(window_start) AS time, sum(offered) FROM …').result('timeseries')
 */
export class ClickHouseQueryBuilder implements cog.Builder<ClickHouseQuery> {
  readonly #q: ClickHouseQuery;

  /** @param rawSql SQL with the plugin's macros and template variables */
  constructor(rawSql: string) {
    if (!rawSql.trim()) throw new Error('ClickHouse query: rawSql must not be empty');
    this.#q = {
      datasource: { ...CLICKHOUSE },
      editorType: 'sql',
      queryType: 'table',
      format: 1,
      rawSql: rawSql.trim(),
      pluginVersion: CLICKHOUSE_PLUGIN_VERSION,
      _implementsDataqueryVariant: () => {},
    };
  }

  /** Time series (long rows with a `time` column, pivoted by the plugin) or a table. */
  result(kind: ClickHouseResult): this {
    this.#q.queryType = kind;
    this.#q.format = kind === 'timeseries' ? 0 : 1;
    return this;
  }

  /** The query's id within its panel (`A`, `B`, …); set by {@link finishDashboard} when absent. */
  refId(refId: string): this {
    this.#q.refId = refId;
    return this;
  }

  /** The built query (a fresh copy). */
  build(): ClickHouseQuery {
    return { ...this.#q, datasource: { ...this.#q.datasource } };
  }
}

/** A ClickHouse time series query (`time` column first). */
export const chSeries = (sql: string) => new ClickHouseQueryBuilder(sql).result('timeseries');
/** A ClickHouse table query. */
export const chTable = (sql: string) => new ClickHouseQueryBuilder(sql).result('table');

/**
 * A PromQL range query against {@link PROMETHEUS}.
 * @param legend legend format, e.g. `{{skill_group}}`
 */
export function prom(expr: string, legend?: string): PrometheusQueryBuilder {
  const q = new PrometheusQueryBuilder()
    .expr(expr)
    .datasource({ ...PROMETHEUS })
    .range();
  return legend ? q.legendFormat(legend) : q;
}

/** An instant PromQL query (stat and bar gauge panels). */
export function promNow(expr: string, legend?: string): PrometheusQueryBuilder {
  return prom(expr, legend).instant();
}
