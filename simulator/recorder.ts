/**
 * Turns what happens in the simulation into normalized events: ids from the run's prefix and a
 * counter (deterministic), every skill-group event added to its group's interval and run sums, and
 * the vendor interval reports built from those sums.
 */
import type { AgentState, ExtensionState, SkillGroupBody, TelemetryEvent } from '../pipelines/events/types.js';
import type { ResolvedConfig } from './config.js';
import type { Agent, Call, Tenant } from './runtime.js';
import { addToInterval, emptyIntervalSums, intervalCounters } from './stats.js';

/** Collects the events of one step of the simulation. */
export class Recorder {
  /** Events emitted so far, by source. */
  readonly counts = { agent: 0, extension: 0, skillgroup: 0, interval: 0 };
  #out: TelemetryEvent[] = [];
  #ids = 0;
  #calls = 0;
  readonly #slMs: number;

  constructor(private readonly c: ResolvedConfig) {
    this.#slMs = Math.round(c.serviceLevelSec * 1000);
  }

  /** A new call id. */
  callId(): string {
    return `${this.c.idPrefix}-c${(++this.#calls).toString(36)}`;
  }

  #id(): string {
    return `${this.c.idPrefix}-${(++this.#ids).toString(36)}`;
  }

  /** An agent state event at `ts` (epoch ms); also sets the agent's state. */
  agent(ts: number, a: Agent, state: AgentState, extra: { reason?: string; callId?: string } = {}): void {
    a.state = state;
    this.counts.agent++;
    this.#out.push({
      v: 1,
      tenant: a.tenant.cfg.id,
      source: 'agent',
      id: this.#id(),
      ts,
      body: { agentId: a.cfg.id, state, ...extra, skillGroups: [...a.cfg.skillGroups] },
    });
  }

  /** An extension state event of the agent's device at `ts` (epoch ms). */
  extension(ts: number, a: Agent, state: ExtensionState, callId?: string): void {
    this.counts.extension++;
    const body = callId === undefined ? { extension: a.extension, state } : { extension: a.extension, state, callId };
    this.#out.push({ v: 1, tenant: a.tenant.cfg.id, source: 'extension', id: this.#id(), ts, body });
  }

  /** A call lifecycle event at `ts` (epoch ms), counted in its group's interval and run sums. */
  call(ts: number, c: Call, type: SkillGroupBody['type'], extra: Omit<SkillGroupBody, 'skillGroup' | 'callId' | 'type'> = {}): void {
    const g = c.group;
    const body: SkillGroupBody = { skillGroup: g.cfg.id, callId: c.id, type, ...extra };
    if (g.cfg.priority !== undefined) body.priority = g.cfg.priority;
    addToInterval(g.interval, body, this.#slMs);
    addToInterval(g.stats.events, body, this.#slMs);
    this.counts.skillgroup++;
    this.#out.push({ v: 1, tenant: g.tenant.cfg.id, source: 'skillgroup', id: this.#id(), ts, body });
  }

  /** The vendor reports of every skill group for the interval ending at `end` (epoch ms); resets the sums. */
  intervals(end: number, tenants: readonly Tenant[]): void {
    const intervalStart = end - this.c.intervalSec * 1000;
    for (const t of tenants) {
      for (const g of t.groups) {
        this.counts.interval++;
        this.#out.push({
          v: 1,
          tenant: t.cfg.id,
          source: 'interval',
          id: this.#id(),
          ts: end,
          body: { scope: 'skillgroup', key: g.cfg.id, intervalStart, intervalSec: this.c.intervalSec, ...intervalCounters(g.interval) },
        });
        g.interval = emptyIntervalSums();
      }
    }
  }

  /** Takes the events collected since the last call. */
  drain(): TelemetryEvent[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }
}
