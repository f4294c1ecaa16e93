import type { IntervalEvent } from '../events/types.js';

/**
 * A vendor's interval report row, stored as received: raw sums (never ratios), keyed by (tenant,
 * scope, key, intervalStart, intervalSec), so a resent report replaces the earlier one.
 */
export interface IntervalReportRow {
  tenant: string;
  scope: 'skillgroup' | 'agent';
  /** Skill group or agent id, as the vendor names it. */
  key: string;
  /** Epoch ms. */
  intervalStart: number;
  /** 900 or 1800. */
  intervalSec: number;
  /** The report's event time, epoch ms: of two reports of one interval the later wins (equal: the last stored). */
  version: number;
  /** Every counter of the report as received (offered, answered, abandoned, answeredWithinSl, talkSec, …). */
  counters: Record<string, number>;
  /** Id of the event that carried the report. */
  eventId: string;
}

const FIELDS = new Set(['scope', 'key', 'intervalStart', 'intervalSec']);

/** The stored row of an interval event: every other numeric body field is a counter. */
export function toIntervalRow(e: IntervalEvent): IntervalReportRow {
  const counters: Record<string, number> = {};
  for (const [k, v] of Object.entries(e.body)) if (!FIELDS.has(k) && typeof v === 'number' && Number.isFinite(v)) counters[k] = v;
  return {
    tenant: e.tenant,
    scope: e.body.scope,
    key: e.body.key,
    intervalStart: e.body.intervalStart,
    intervalSec: e.body.intervalSec,
    version: e.ts,
    counters,
    eventId: e.id,
  };
}
