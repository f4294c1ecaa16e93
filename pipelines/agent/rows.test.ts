import { describe, expect, it } from 'vitest';
import { EXTENSION_STATES, toExtensionRow } from '../extension/rows.js';
import { AGENT_STATES, toAgentRow } from './rows.js';

/** A window whose every figure names its state's index: ms = 1000 + i, entries = i. */
const window = (n: number, byReason?: Record<string, number>) => ({
  tenant: 'acme',
  entity: 'a1',
  windowStart: 0,
  windowSec: 60,
  version: 3,
  final: true,
  delta: {
    ms: Array.from({ length: n }, (_, i) => 1000 + i),
    entries: Array.from({ length: n }, (_, i) => i),
    ...(byReason ? { byReason } : {}),
  },
});

describe('rows from state windows', () => {
  it('map each index to the state of that index in AGENT_STATES, and keep only reasons with time', () => {
    const row = toAgentRow(window(AGENT_STATES.length, { coaching: 30_000, lunch: 0 }));
    AGENT_STATES.forEach((s, i) => {
      expect(row.ms[s]).toBe(1000 + i);
      expect(row.entries[s]).toBe(i);
    });
    expect(Object.keys(row.ms)).toEqual([...AGENT_STATES]);
    expect(row.auxMsByReason).toEqual({ coaching: 30_000 });
    expect(row).toMatchObject({ tenant: 'acme', agentId: 'a1', version: 3, final: true });
  });

  it('map each index to the state of that index in EXTENSION_STATES', () => {
    const row = toExtensionRow(window(EXTENSION_STATES.length));
    EXTENSION_STATES.forEach((s, i) => {
      expect(row.ms[s]).toBe(1000 + i);
      expect(row.entries[s]).toBe(i);
    });
    expect(Object.keys(row.entries)).toEqual([...EXTENSION_STATES]);
    expect(row.extension).toBe('a1');
  });

  it('give each row records of its own: a later change to the window does not reach a row already made', () => {
    const w = window(AGENT_STATES.length, { x: 5 });
    const row = toAgentRow(w);
    w.delta.ms[1] = 0;
    w.delta.byReason!.x = 9;
    expect([row.ms.AVAILABLE, row.auxMsByReason.x]).toEqual([1001, 5]);
  });
});
