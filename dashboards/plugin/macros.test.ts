import { describe, expect, it } from 'vitest';
import { applyConditionalAll, applyMacros, expandQuery, interpolateVariables, type QueryContext } from './macros.js';

// 2024-05-01T10:00:00.250Z … 2024-05-01T12:00:00.999Z, 30 s interval.
const FROM = 1_714_557_600_250;
const TO = 1_714_564_800_999;
const ctx = (variables: QueryContext['variables'] = {}, intervalMs = 30_000): QueryContext => ({
  fromMs: FROM,
  toMs: TO,
  intervalMs,
  variables,
});

describe('ClickHouse plugin macros (pkg/macros/macros.go)', () => {
  it('$__timeFilter compares with toDateTime of the range in whole Unix seconds', () => {
    expect(applyMacros('WHERE $__timeFilter(window_start)', ctx())).toBe(
      'WHERE window_start >= toDateTime(1714557600) AND window_start <= toDateTime(1714564800)',
    );
  });

  it('$__timeFilter_ms, $__fromTime_ms and $__toTime_ms keep milliseconds with fromUnixTimestamp64Milli', () => {
    expect(applyMacros('$__timeFilter_ms(ts)', ctx())).toBe(
      `ts >= fromUnixTimestamp64Milli(${FROM}) AND ts <= fromUnixTimestamp64Milli(${TO})`,
    );
    expect(applyMacros('$__fromTime_ms, $__toTime_ms', ctx())).toBe(`fromUnixTimestamp64Milli(${FROM}), fromUnixTimestamp64Milli(${TO})`);
  });

  it('$__fromTime and $__toTime are toDateTime of Unix seconds; $__dateFilter uses toDate of the UTC day', () => {
    expect(applyMacros('$__fromTime AND $__toTime', ctx())).toBe('toDateTime(1714557600) AND toDateTime(1714564800)');
    expect(applyMacros('$__dateFilter(d)', ctx())).toBe("d >= toDate('2024-05-01') AND d <= toDate('2024-05-01')");
  });

  it('$__timeInterval rounds to the panel interval in seconds, never below 1 s; $__interval_s is that number', () => {
    expect(applyMacros('$__timeInterval(window_start)', ctx())).toBe('toStartOfInterval(toDateTime(window_start), INTERVAL 30 second)');
    expect(applyMacros('$__timeInterval(window_start)', ctx({}, 200))).toBe(
      'toStartOfInterval(toDateTime(window_start), INTERVAL 1 second)',
    );
    expect(applyMacros('$__timeInterval_ms(ts)', ctx({}, 200))).toBe('toStartOfInterval(toDateTime64(ts, 3), INTERVAL 200 millisecond)');
    expect(applyMacros('$__interval_s', ctx({}, 90_500))).toBe('90');
  });

  it('trims macro arguments and refuses a wrong count or an unknown macro', () => {
    expect(applyMacros('$__timeFilter( ts )', ctx())).toContain('ts >= toDateTime(');
    expect(() => applyMacros('$__timeFilter()', ctx())).toThrow(/timeFilter expects 1 argument/);
    expect(() => applyMacros('$__timeFilter(a, b)', ctx())).toThrow(/expects 1 argument, received 2/);
    expect(() => applyMacros('$__timeGroup(ts, 1m)', ctx())).toThrow(/unknown ClickHouse plugin macro \$__timeGroup/);
  });
});

describe('$__conditionalAll (CHDatasource.applyConditionalAll)', () => {
  const cond = "WHERE tenant = 'x' AND $__conditionalAll(skill_group IN (${skill_group}), $skill_group)";

  it('becomes 1=1 when the variable is All or empty', () => {
    expect(applyConditionalAll(cond, { skill_group: { current: '$__all' } })).toBe("WHERE tenant = 'x' AND 1=1");
    expect(applyConditionalAll(cond, { skill_group: { current: ['$__all'] } })).toBe("WHERE tenant = 'x' AND 1=1");
    expect(applyConditionalAll(cond, { skill_group: { current: '' } })).toBe("WHERE tenant = 'x' AND 1=1");
    expect(applyConditionalAll(cond, { skill_group: { current: [] } })).toBe("WHERE tenant = 'x' AND 1=1");
  });

  it('keeps the condition (with nested parentheses) for a selection, and handles several occurrences', () => {
    expect(applyConditionalAll(cond, { skill_group: { current: ['sales'] } })).toBe(
      "WHERE tenant = 'x' AND skill_group IN (${skill_group})",
    );
    const two = '$__conditionalAll(a IN (${a}), $a) AND $__conditionalAll(b = ${b}, ${b})';
    expect(applyConditionalAll(two, { a: { current: '$__all' }, b: { current: 'x' } })).toBe('1=1 AND b = ${b}');
  });

  it('refuses a call without exactly two arguments', () => {
    expect(() => applyConditionalAll('$__conditionalAll(a = 1)', {})).toThrow(/needs 2 arguments/);
  });
});

describe('template variables (templateSrv.replace with the plugin format)', () => {
  const vars: QueryContext['variables'] = {
    tenant: { current: "o'brien" },
    skill_group: { current: ['sales', 'support'], options: ['billing', 'sales', 'support'] },
    everything: { current: '$__all', options: ['a', 'b'] },
    database: { current: 'sluice' },
  };

  it("joins a multi-value selection as 'a','b' and passes a single value raw", () => {
    expect(interpolateVariables('IN (${skill_group}) FROM $database.t', vars)).toBe("IN ('sales','support') FROM sluice.t");
    expect(interpolateVariables('[[database]].t', vars)).toBe('sluice.t');
  });

  it('quotes and escapes with :singlequote, joins with :csv', () => {
    expect(interpolateVariables('tenant = ${tenant:singlequote}', vars)).toBe("tenant = 'o\\'brien'");
    expect(interpolateVariables('${skill_group:singlequote}', vars)).toBe("'sales','support'");
    expect(interpolateVariables('${skill_group:csv}', vars)).toBe('sales,support');
    expect(() => interpolateVariables('${tenant:json}', vars)).toThrow(/format "json" is not supported/);
  });

  it('expands All to every option and leaves unknown names and macros alone', () => {
    expect(interpolateVariables('IN (${everything})', vars)).toBe("IN ('a','b')");
    expect(interpolateVariables('$__timeFilter(ts) AND $nope', vars)).toBe('$__timeFilter(ts) AND $nope');
  });
});

describe('expandQuery', () => {
  it('runs the three passes in the plugin order', () => {
    const sql =
      'SELECT $__timeInterval(window_start) AS t FROM ${database}.m WHERE tenant = ${tenant:singlequote} AND $__conditionalAll(skill_group IN (${skill_group}), $skill_group) AND $__timeFilter(window_start)';
    const variables = { database: { current: 'db' }, tenant: { current: 'acme' }, skill_group: { current: '$__all', options: ['sales'] } };
    expect(expandQuery(sql, ctx(variables))).toBe(
      "SELECT toStartOfInterval(toDateTime(window_start), INTERVAL 30 second) AS t FROM db.m WHERE tenant = 'acme' AND 1=1 AND window_start >= toDateTime(1714557600) AND window_start <= toDateTime(1714564800)",
    );
  });
});
