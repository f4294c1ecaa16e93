import { describe, expect, it } from 'vitest';
import { expandPromQL, exposedMetricNames, metricNames, variableQueryPromQL } from './promql.js';

describe('PromQL helpers', () => {
  it('substitutes Grafana builtins, single values raw and multi values as an escaped regex alternation', () => {
    const vars = { single: { tenant: 'demo' }, multi: { skill_group: ['sales', 'a.b'], one: ['x+y'] } };
    expect(expandPromQL('rate(m{tenant="$tenant", skill_group=~"${skill_group}"}[$__rate_interval])', vars)).toBe(
      'rate(m{tenant="demo", skill_group=~"(sales|a\\\\.b)"}[1m])',
    );
    expect(expandPromQL('m{o=~"$one"}[$__range]', vars)).toBe('m{o=~"x\\\\+y"}[1h]');
    expect(expandPromQL('m{x="$unknown"}', vars)).toBe('m{x="$unknown"}');
  });

  it('lists the metrics an expression selects, not functions, labels or aggregations', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le, table) (rate(sluice_clickhouse_insert_duration_seconds_bucket{job=~".+"}[1m]))) / on() group_left max(sluice_breaker_state)',
      ).sort(),
    ).toEqual(['sluice_breaker_state', 'sluice_clickhouse_insert_duration_seconds_bucket']);
    expect(metricNames('sum(increase(sluice_sla_warnings_total{kind="breach"}[1h]))')).toEqual(['sluice_sla_warnings_total']);
  });

  it('reads exposed names from # TYPE lines, with the series of histograms and summaries', () => {
    const scrape = [
      '# HELP a_total x',
      '# TYPE a_total counter',
      'a_total 1',
      '# TYPE h_seconds histogram',
      '# TYPE s summary',
      '# TYPE g gauge',
    ].join('\n');
    expect([...exposedMetricNames(scrape)].sort()).toEqual([
      'a_total',
      'g',
      'h_seconds',
      'h_seconds_bucket',
      'h_seconds_count',
      'h_seconds_sum',
      's',
      's_count',
      's_sum',
    ]);
  });

  it('takes the selector out of label_values and the expression out of query_result', () => {
    expect(variableQueryPromQL('label_values(sluice_events_in_total{a="b"}, job)')).toBe('sluice_events_in_total{a="b"}');
    expect(variableQueryPromQL('label_values(job)')).toBeUndefined();
    expect(variableQueryPromQL('query_result(topk(3, up))')).toBe('topk(3, up)');
    expect(variableQueryPromQL('up')).toBe('up');
  });
});
