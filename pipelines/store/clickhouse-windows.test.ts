import { describe, expect, it } from 'vitest';
import { AGENT_STATES } from '../agent/rows.js';
import { EXTENSION_STATES } from '../extension/rows.js';
import { compactRows } from '../../adapters/clickhouse/encoded-insert.js';
import { AGENT_COLUMNS, agentWindowTuples, EXTENSION_COLUMNS, extensionWindowTuples, type Tuples } from './clickhouse-windows.js';
import { agentWindowRow, extensionWindowRow } from '../testing/rows.js';

/** The insert body the store sends for some tuples: one JSONCompactEachRow line per row. */
const lines = (t: Tuples) => ({ columns: t.columns, count: t.rows.length, text: compactRows(t.rows).toString('utf8') });

/** Each line parsed and keyed by the column names it is inserted under. */
const byColumn = (columns: readonly string[], text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => Object.fromEntries((JSON.parse(line) as unknown[]).map((v, i) => [columns[i], v])));

describe('window rows as insert lines', () => {
  it('put every agent figure under its own column, one line per row, strings escaped', () => {
    const ms = Object.fromEntries(AGENT_STATES.map((s, i) => [s, s === 'LOGGED_OUT' ? 0 : 1000 * (i + 1)]));
    const entries = Object.fromEntries(AGENT_STATES.map((s, i) => [s, i + 1]));
    const rows = [
      agentWindowRow({
        tenant: 'a"b',
        agentId: 'line\nbreak',
        windowStart: 60_000,
        version: 7,
        final: true,
        ms,
        entries,
        auxMsByReason: { 'coach "x"': 5 },
      }),
      agentWindowRow({ tenant: 't', agentId: 'é', windowStart: 0, windowSec: 900 }),
    ];
    const l = lines(agentWindowTuples(rows));
    expect(l.count).toBe(2);
    expect(l.text.split('\n')).toHaveLength(3); // two lines and the final newline: no row spans lines
    const [first, second] = byColumn(l.columns, l.text);
    const want: Record<string, unknown> = {
      tenant: 'a"b',
      agent_id: 'line\nbreak',
      window_sec: 60,
      window_start: 60_000,
      version: 7,
      final: 1,
      aux_ms_by_reason: { 'coach "x"': 5 },
    };
    for (const s of AGENT_STATES) {
      if (s !== 'LOGGED_OUT') want[`${s.toLowerCase()}_ms`] = ms[s];
      want[`${s.toLowerCase()}_entries`] = entries[s];
    }
    expect(first).toEqual(want);
    expect(Object.keys(first!)).toEqual([...AGENT_COLUMNS]);
    expect(second).toMatchObject({ tenant: 't', agent_id: 'é', window_sec: 900, final: 0, aux_ms_by_reason: {} });
  });

  it('put every extension figure under its own column', () => {
    const ms = Object.fromEntries(EXTENSION_STATES.map((s, i) => [s, 100 * (i + 1)]));
    const entries = Object.fromEntries(EXTENSION_STATES.map((s, i) => [s, i + 1]));
    const l = lines(
      extensionWindowTuples([extensionWindowRow({ tenant: 'acme', extension: '2001', windowStart: 120_000, version: 3, ms, entries })]),
    );
    const [row] = byColumn(l.columns, l.text);
    const want: Record<string, unknown> = {
      tenant: 'acme',
      extension: '2001',
      window_sec: 60,
      window_start: 120_000,
      version: 3,
      final: 0,
    };
    for (const s of EXTENSION_STATES) {
      want[`${s.toLowerCase()}_ms`] = ms[s];
      want[`${s.toLowerCase()}_entries`] = entries[s];
    }
    expect(row).toEqual(want);
    expect(Object.keys(row!)).toEqual([...EXTENSION_COLUMNS]);
  });
});
