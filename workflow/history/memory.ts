import type {
  AlertDeliveryRow,
  BreachRateQuery,
  BreachRateRow,
  HistoryStore,
  NodeFigureRow,
  NodeFiguresQuery,
  SlaWarningRow,
  TicketEventRow,
} from './types.js';

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
 * Per-node figures from the matching events: for each ticket and node, the i-th `node.left` is
 * paired with the i-th `node.entered` (both by time); a stay is their difference. Pure; the
 * ClickHouse store runs the same pairing in SQL.
 */
export function nodeFigureRows(
  events: Iterable<{ ticketId: string; nodeId: string; event: string; ts: number }>,
  breaches: Iterable<{ ticketId: string; nodeId: string }>,
): NodeFigureRow[] {
  const pairs = new Map<string, { nodeId: string; entered: number[]; left: number[] }>();
  for (const e of events) {
    if (e.event !== 'node.entered' && e.event !== 'node.left') continue;
    const k = `${e.ticketId}\u0000${e.nodeId}`;
    let p = pairs.get(k);
    if (!p) pairs.set(k, (p = { nodeId: e.nodeId, entered: [], left: [] }));
    (e.event === 'node.entered' ? p.entered : p.left).push(e.ts);
  }
  const stays = new Map<string, number[]>();
  const node = (id: string) => {
    let s = stays.get(id);
    if (!s) stays.set(id, (s = []));
    return s;
  };
  for (const p of pairs.values()) {
    const s = node(p.nodeId);
    if (p.left.length === 0 || p.entered.length < p.left.length) continue;
    p.entered.sort((a, b) => a - b);
    p.left.sort((a, b) => a - b);
    for (let i = 0; i < p.left.length; i++) s.push((p.left[i] as number) - (p.entered[i] as number));
  }
  const breached = new Map<string, Set<string>>();
  for (const b of breaches) {
    node(b.nodeId);
    let set = breached.get(b.nodeId);
    if (!set) breached.set(b.nodeId, (set = new Set()));
    set.add(b.ticketId);
  }
  return [...stays.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([nodeId, s]) => {
      s.sort((a, b) => a - b);
      return {
        nodeId,
        breaches: breached.get(nodeId)?.size ?? 0,
        stays: s.length,
        medianMs: s.length === 0 ? 0 : (s[Math.floor(s.length / 2)] as number),
      };
    });
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

  async nodeFigures(q: NodeFiguresQuery): Promise<NodeFigureRow[]> {
    const mine = (r: { tenant: string; flowId: string; flowVersion: number; ts: number }): boolean =>
      r.tenant === q.tenant && r.flowId === q.flowId && r.flowVersion === q.flowVersion && r.ts >= q.from && r.ts < q.to;
    return nodeFigureRows(
      this.ticketEvents.filter(mine),
      this.slaWarnings.filter((r) => r.kind === 'breach' && mine(r)),
    );
  }
}
