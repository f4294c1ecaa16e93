import { describe, expect, it } from 'vitest';
import type { MinuteRow } from '../skillgroup/rows.js';
import { minuteTuple } from './clickhouse.js';
import { ADDED_SUMS, MAX_SUMS } from './reports.js';
import { MINUTE_COLUMNS, minuteFields, telemetryMigrations } from './schema.js';
import { minuteRow } from '../testing/rows.js';

/** A minute row whose every number is different, so a field in the wrong place shows. */
function distinctRow(): MinuteRow {
  const row = minuteRow({ tenant: 'acme', skillGroup: 'sales', windowStart: 1_700_000_000_000, final: true });
  let n = 1;
  for (const k of Object.keys(row) as (keyof MinuteRow)[])
    if (typeof row[k] === 'number' && k !== 'windowStart') (row as unknown as Record<string, number>)[k] = n++;
  return row;
}

describe('the skillgroup_minute column descriptor', () => {
  it('names every field of a minute row once, and nothing else', () => {
    const fields = MINUTE_COLUMNS.map((c) => c.field);
    expect(new Set(fields).size).toBe(fields.length);
    expect([...fields].sort()).toEqual(Object.keys(distinctRow()).sort());
    expect(new Set(MINUTE_COLUMNS.map((c) => c.column)).size).toBe(MINUTE_COLUMNS.length);
  });

  it('is what the hot path inserts: the positional tuple holds each field under its column', () => {
    const row = distinctRow();
    const tuple = minuteTuple(row);
    expect(tuple).toHaveLength(MINUTE_COLUMNS.length);
    expect(tuple).toEqual(MINUTE_COLUMNS.map((c) => (c.kind === 'flag' ? (row[c.field] ? 1 : 0) : row[c.field])));
    expect(minuteTuple({ ...row, final: false })[MINUTE_COLUMNS.findIndex((c) => c.field === 'final')]).toBe(0);
  });

  it('names only columns the migrations create', () => {
    const ddl = telemetryMigrations({ rawTtlDays: 30 })
      .flatMap((m) => m.sql)
      .join('\n');
    for (const c of MINUTE_COLUMNS) expect(ddl, c.column).toMatch(new RegExp(`\\b${c.column} (UInt|DateTime|LowCardinality|String)`));
  });

  it('gives the interval sums: every number of a minute but its key, added or maximised', () => {
    expect([...ADDED_SUMS, ...MAX_SUMS].sort()).toEqual(minuteFields('sum', 'max').slice().sort());
    expect(MAX_SUMS).toEqual(['maxWaitMs', 'serviceLevelMs', 'shortAbandonMs']);
    expect(ADDED_SUMS).toContain('offered');
    expect(minuteFields('text', 'time', 'number', 'flag')).toEqual(['tenant', 'skillGroup', 'windowStart', 'version', 'final']);
  });
});
