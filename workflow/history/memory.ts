import type { AlertDeliveryRow, BreachRateQuery, BreachRateRow, HistoryStore, SlaWarningRow, TicketEventRow } from './types.js';

/** The grouping key and the fields it sets on a result row. */
export function groupOf(
  by: BreachRateQuery['by'],
  r: { flowId: string; nodeId: string; team: string },
): { key: string; fields: Partial<BreachRateRow> } {
  switch (by) {
    case 'flow':
      return { key: r.flowId, fields: { flowId: r.flowId } };
    case 'node':
      return { key: `${r.flowId}\u0000${r.nodeId}`, fields: { flowId: r.flowId, nodeId: r.nodeId } };
    case 'team':
      return { key: r.team, fields: { team: r.team } };
  }
}

/** Builds sorted result rows from per-group counts. */
export function breachRows(
  groups: Map<string, { fields: Partial<BreachRateRow>; clocks: number; breached: number; warnings: number }>,
): BreachRateRow[] {
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, g]) => ({
      ...g.fields,
      clocks: g.clocks,
      breached: g.breached,
      rate: g.clocks === 0 ? 0 : g.breached / g.clocks,
      warnings: g.warnings,
    }));
}

/**
 * The in-memory {@link HistoryStore}: rows kept in arrays (bounded, oldest dropped), queries
 * computed on the spot. For the embedded default and tests.
 */
export class MemoryHistory implements HistoryStore {
  readonly ticketEvents: TicketEventRow[] = [];
  readonly slaWarnings: SlaWarningRow[] = [];
  readonly alertDeliveries: AlertDeliveryRow[] = [];
  readonly #max: number;

  /** @param maxRows most rows kept per table (default 100 000) */
  constructor(maxRows = 100_000) {
    this.#max = maxRows;
  }

  recordTicketEvents(rows: readonly TicketEventRow[]): void {
    this.ticketEvents.push(...rows);
    if (this.ticketEvents.length > this.#max) this.ticketEvents.splice(0, this.ticketEvents.length - this.#max);
  }

  recordSlaWarnings(rows: readonly SlaWarningRow[]): void {
    this.slaWarnings.push(...rows);
    if (this.slaWarnings.length > this.#max) this.slaWarnings.splice(0, this.slaWarnings.length - this.#max);
  }

  recordAlertDeliveries(rows: readonly AlertDeliveryRow[]): void {
    this.alertDeliveries.push(...rows);
    if (this.alertDeliveries.length > this.#max) this.alertDeliveries.splice(0, this.alertDeliveries.length - this.#max);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}

  async breachRate(q: BreachRateQuery): Promise<BreachRateRow[]> {
    const inWindow = (r: { tenant: string; ts: number }): boolean => r.tenant === q.tenant && r.ts >= q.from && r.ts < q.to;
    const groups = new Map<string, { fields: Partial<BreachRateRow>; clocks: number; breached: number; warnings: number }>();
    const group = (r: { flowId: string; nodeId: string; team: string }) => {
      const { key, fields } = groupOf(q.by, r);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { fields, clocks: 0, breached: 0, warnings: 0 }));
      return g;
    };
    for (const r of this.ticketEvents) {
      if (r.event !== 'sla.stopped' || !inWindow(r)) continue;
      const g = group(r);
      g.clocks++;
      if (r.breached) g.breached++;
    }
    for (const r of this.slaWarnings) if (r.kind === 'warning' && r.delivered && inWindow(r)) group(r).warnings++;
    return breachRows(groups);
  }
}
