import type { AgentWindowRow } from '../agent/rows.js';
import type { AgentState, Source, TelemetryEvent } from '../events/types.js';
import type { ExtensionWindowRow } from '../extension/rows.js';
import type { IntervalReportRow } from '../interval/rows.js';
import type { MinuteRow } from '../skillgroup/rows.js';
import {
  addMinute,
  agentInterval,
  emptyIntervalSums,
  intervalMinutesRange,
  intervalOf,
  reconcile,
  skillGroupInterval,
  type IntervalSums,
} from './reports.js';
import type {
  AgentInterval,
  AgentIntervalQuery,
  DeadLetter,
  IntervalReportQuery,
  MinuteQuery,
  ReconcileQuery,
  ReconciliationRow,
  SkillGroupInterval,
  SkillGroupIntervalQuery,
  StateWindowQuery,
  TelemetryStore,
} from './types.js';

/** Orders strings by code unit, as ClickHouse orders bytes (for the BMP). */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const clone = <T>(r: T): T => structuredClone(r);

/** Keeps `row` under `key` unless a stored row has a higher version (equal: the newer write wins). */
function upsert<R extends { version: number }>(map: Map<string, R>, key: string, row: R): void {
  const old = map.get(key);
  if (!old || row.version >= old.version) map.set(key, clone(row));
}

/** In-memory twin of the ClickHouse telemetry store, with the same idempotence rules. */
export class MemoryTelemetryStore implements TelemetryStore {
  #tokens = new Set<string>();
  #events = new Map<string, TelemetryEvent>();
  #minutes = new Map<string, MinuteRow>();
  #dead: DeadLetter[] = [];
  #agents = new Map<string, AgentWindowRow>();
  #extensions = new Map<string, ExtensionWindowRow>();
  #reports = new Map<string, IntervalReportRow>();

  /**
   * False when `token` was seen before for `table`. Without a token, always true: row upserts need none,
   * since a row of an equal version replaces its twin.
   */
  #once(table: string, token: string | undefined): boolean {
    if (token === undefined) return true;
    const k = `${table}\u0000${token}`;
    if (this.#tokens.has(k)) return false;
    this.#tokens.add(k);
    return true;
  }

  async insertEvents(events: TelemetryEvent[], token: string): Promise<void> {
    if (!this.#once('events', token)) return;
    for (const e of events) this.#events.set(`${e.tenant}\u0000${e.source}\u0000${e.id}`, e);
  }

  async upsertMinutes(rows: MinuteRow[], token?: string): Promise<void> {
    if (!this.#once('minutes', token)) return;
    for (const r of rows) {
      const k = `${r.tenant}\u0000${r.skillGroup}\u0000${r.windowStart}`;
      const old = this.#minutes.get(k);
      if (!old || r.version >= old.version) this.#minutes.set(k, { ...r });
    }
  }

  async insertDeadLetters(rows: DeadLetter[], token: string): Promise<void> {
    if (!this.#once('dead', token)) return;
    this.#dead.push(...rows.map((r) => ({ ...r, payload: Buffer.from(r.payload) })));
  }

  async minutes(q: MinuteQuery): Promise<MinuteRow[]> {
    return [...this.#minutes.values()]
      .filter(
        (r) =>
          r.tenant === q.tenant &&
          r.windowStart >= q.from &&
          r.windowStart < q.to &&
          (q.skillGroup === undefined || r.skillGroup === q.skillGroup),
      )
      .sort((a, b) => a.skillGroup.localeCompare(b.skillGroup) || a.windowStart - b.windowStart)
      .map((r) => ({ ...r }));
  }

  async upsertAgentWindows(rows: AgentWindowRow[], token?: string): Promise<void> {
    if (!this.#once('agents', token)) return;
    for (const r of rows) upsert(this.#agents, `${r.tenant}\u0000${r.windowSec}\u0000${r.agentId}\u0000${r.windowStart}`, r);
  }

  async upsertExtensionWindows(rows: ExtensionWindowRow[], token?: string): Promise<void> {
    if (!this.#once('extensions', token)) return;
    for (const r of rows) upsert(this.#extensions, `${r.tenant}\u0000${r.windowSec}\u0000${r.extension}\u0000${r.windowStart}`, r);
  }

  async upsertIntervalReports(rows: IntervalReportRow[], token?: string): Promise<void> {
    if (!this.#once('reports', token)) return;
    for (const r of rows)
      upsert(this.#reports, `${r.tenant}\u0000${r.scope}\u0000${r.key}\u0000${r.intervalStart}\u0000${r.intervalSec}`, r);
  }

  async agentWindows(q: StateWindowQuery & { agentId?: string }): Promise<AgentWindowRow[]> {
    return [...this.#agents.values()]
      .filter(
        (r) =>
          r.tenant === q.tenant &&
          r.windowSec === (q.windowSec ?? 60) &&
          r.windowStart >= q.from &&
          r.windowStart < q.to &&
          (q.agentId === undefined || r.agentId === q.agentId),
      )
      .sort((a, b) => cmp(a.agentId, b.agentId) || a.windowStart - b.windowStart)
      .map(clone);
  }

  async extensionWindows(q: StateWindowQuery & { extension?: string }): Promise<ExtensionWindowRow[]> {
    return [...this.#extensions.values()]
      .filter(
        (r) =>
          r.tenant === q.tenant &&
          r.windowSec === (q.windowSec ?? 60) &&
          r.windowStart >= q.from &&
          r.windowStart < q.to &&
          (q.extension === undefined || r.extension === q.extension),
      )
      .sort((a, b) => cmp(a.extension, b.extension) || a.windowStart - b.windowStart)
      .map(clone);
  }

  async intervalReports(q: IntervalReportQuery): Promise<IntervalReportRow[]> {
    return [...this.#reports.values()]
      .filter(
        (r) =>
          r.tenant === q.tenant &&
          r.intervalStart >= q.from &&
          r.intervalStart < q.to &&
          (q.scope === undefined || r.scope === q.scope) &&
          (q.key === undefined || r.key === q.key),
      )
      .sort((a, b) => cmp(a.scope, b.scope) || cmp(a.key, b.key) || a.intervalStart - b.intervalStart || a.intervalSec - b.intervalSec)
      .map(clone);
  }

  async skillGroupIntervals(q: SkillGroupIntervalQuery): Promise<SkillGroupInterval[]> {
    const ms = q.intervalMinutes * 60_000;
    const range = intervalMinutesRange(q.from, q.to, ms);
    const groups = new Map<string, { skillGroup: string; start: number; n: number; sums: IntervalSums }>();
    for (const r of await this.minutes({ tenant: q.tenant, ...range, skillGroup: q.skillGroup })) {
      const start = intervalOf(r.windowStart, ms);
      const k = `${r.skillGroup}\u0000${start}`;
      const g = groups.get(k) ?? { skillGroup: r.skillGroup, start, n: 0, sums: emptyIntervalSums() };
      g.n++;
      addMinute(g.sums, r);
      groups.set(k, g);
    }
    return [...groups.values()]
      .sort((a, b) => cmp(a.skillGroup, b.skillGroup) || a.start - b.start)
      .map((g) =>
        skillGroupInterval({ tenant: q.tenant, skillGroup: g.skillGroup, intervalStart: g.start, intervalSec: ms / 1000 }, g.n, g.sums),
      );
  }

  async agentIntervals(q: AgentIntervalQuery): Promise<AgentInterval[]> {
    const ms = q.intervalMinutes * 60_000;
    const range = intervalMinutesRange(q.from, q.to, ms);
    const groups = new Map<string, { rows: AgentWindowRow[]; agentId: string; start: number }>();
    for (const r of await this.agentWindows({ tenant: q.tenant, ...range, windowSec: 60, agentId: q.agentId })) {
      const start = intervalOf(r.windowStart, ms);
      const k = `${r.agentId}\u0000${start}`;
      const g = groups.get(k) ?? { rows: [], agentId: r.agentId, start };
      g.rows.push(r);
      groups.set(k, g);
    }
    return [...groups.values()].map((g) => {
      const add = (k: 'ms' | 'entries') =>
        Object.fromEntries(Object.keys(g.rows[0]![k]).map((s) => [s, g.rows.reduce((a, r) => a + r[k][s as AgentState], 0)])) as Record<
          AgentState,
          number
        >;
      const reasons: Record<string, number> = {};
      for (const r of g.rows) for (const [k, v] of Object.entries(r.auxMsByReason)) reasons[k] = (reasons[k] ?? 0) + v;
      return agentInterval(
        { tenant: q.tenant, agentId: g.agentId, intervalStart: g.start, intervalSec: ms / 1000 },
        g.rows.length,
        add('ms'),
        add('entries'),
        reasons,
      );
    });
  }

  async reconcileIntervals(q: ReconcileQuery): Promise<ReconciliationRow[]> {
    const reports = await this.intervalReports({ tenant: q.tenant, from: q.from, to: q.to, scope: 'skillgroup', key: q.skillGroup });
    const out: ReconciliationRow[] = [];
    for (const rep of reports) {
      const minutes = await this.minutes({
        tenant: q.tenant,
        from: rep.intervalStart,
        to: rep.intervalStart + rep.intervalSec * 1000,
        skillGroup: rep.key,
      });
      out.push(
        reconcile(
          rep,
          minutes.length,
          minutes.reduce((s, r) => addMinute(s, r), emptyIntervalSums()),
        ),
      );
    }
    return out.sort((a, b) => cmp(a.skillGroup, b.skillGroup) || a.intervalStart - b.intervalStart || a.intervalSec - b.intervalSec);
  }

  async countEvents(tenant: string, source?: Source): Promise<number> {
    let n = 0;
    for (const e of this.#events.values()) if (e.tenant === tenant && (source === undefined || e.source === source)) n++;
    return n;
  }

  async deadLetters(limit: number): Promise<DeadLetter[]> {
    return [...this.#dead].sort((a, b) => b.receivedAt - a.receivedAt).slice(0, limit);
  }

  async close(): Promise<void> {}
}
