import type { Source, TelemetryEvent } from '../events/types.js';
import type { MinuteRow } from '../skillgroup/rows.js';
import type { DeadLetter, MinuteQuery, TelemetryStore } from './types.js';

/** In-memory twin of the ClickHouse telemetry store, with the same idempotence rules. */
export class MemoryTelemetryStore implements TelemetryStore {
  #tokens = new Set<string>();
  #events = new Map<string, TelemetryEvent>();
  #minutes = new Map<string, MinuteRow>();
  #dead: DeadLetter[] = [];

  #once(table: string, token: string): boolean {
    const k = `${table}\u0000${token}`;
    if (this.#tokens.has(k)) return false;
    this.#tokens.add(k);
    return true;
  }

  async insertEvents(events: TelemetryEvent[], token: string): Promise<void> {
    if (!this.#once('events', token)) return;
    for (const e of events) this.#events.set(`${e.tenant}\u0000${e.source}\u0000${e.id}`, e);
  }

  async upsertMinutes(rows: MinuteRow[], token: string): Promise<void> {
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
      .filter((r) => r.tenant === q.tenant && r.windowStart >= q.from && r.windowStart < q.to && (q.skillGroup === undefined || r.skillGroup === q.skillGroup))
      .sort((a, b) => a.skillGroup.localeCompare(b.skillGroup) || a.windowStart - b.windowStart)
      .map((r) => ({ ...r }));
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
