/**
 * From a contact center's size to the Sluice instances it needs: the telemetry it produces
 * (events/s) and the routing decisions it asks for (decisions/s) at its busiest, against the
 * rates one instance sustains on the measured machine, with headroom and a spare.
 */

/** A contact center, at its busiest hour. */
export interface ContactCenter {
  /** Agents logged in. */
  readonly agents: number;
  /** Calls offered in the busiest hour. */
  readonly callsPerHour: number;
  /** Telemetry events per call, all sources (the traffic model produces about 11: see {@link measureEventsPerCall}). */
  readonly eventsPerCall: number;
  /** Agent and extension events per agent-hour not tied to a call (breaks, AUX, log in/out; default 6). */
  readonly agentEventsPerHour?: number;
  /** Routing decisions per call (default 1: each call asks `POST /v1/route` once; its outcome report rides along). */
  readonly decisionsPerCall?: number;
}

/** What one instance sustains on the measured machine. */
export interface InstanceCapacity {
  /** Pipeline events per second. */
  readonly eventsPerSec: number;
  /** Routing decisions per second. */
  readonly decisionsPerSec: number;
}

/** Options of {@link sizeDeployment}. */
export interface SizingOptions {
  /** Surge on top of the busiest hour (default 3: the peak scenario). */
  readonly surge?: number;
  /** Share of an instance's capacity planned for use (default 0.7: 30 % headroom). */
  readonly utilisation?: number;
  /** Instances added for failover (default 1: N+1). */
  readonly spare?: number;
}

/** A sizing. */
export interface Sizing {
  /** Telemetry at the surge, events/s. */
  readonly eventsPerSec: number;
  /** Routing decisions at the surge, per second. */
  readonly decisionsPerSec: number;
  readonly pipelineInstances: number;
  readonly controlInstances: number;
  /** Share of the planned pipeline / control capacity the surge uses, 0..1. */
  readonly pipelineLoad: number;
  readonly controlLoad: number;
}

function positive(name: string, x: number, allowZero = false): void {
  if (!Number.isFinite(x) || (allowZero ? x < 0 : x <= 0)) throw new RangeError(`${name} must be ${allowZero ? '≥ 0' : '> 0'} (got ${x})`);
}

/**
 * Events and decisions per second of a contact center at `surge` × its busiest hour.
 * @throws RangeError naming a bad figure
 */
export function demand(cc: ContactCenter, surge = 3): { eventsPerSec: number; decisionsPerSec: number } {
  positive('agents', cc.agents, true);
  positive('callsPerHour', cc.callsPerHour, true);
  positive('eventsPerCall', cc.eventsPerCall);
  positive('surge', surge);
  const agentEvents = cc.agentEventsPerHour ?? 6;
  const perCallDecisions = cc.decisionsPerCall ?? 1;
  positive('agentEventsPerHour', agentEvents, true);
  positive('decisionsPerCall', perCallDecisions, true);
  const calls = (cc.callsPerHour * surge) / 3600;
  return { eventsPerSec: calls * cc.eventsPerCall + (cc.agents * agentEvents) / 3600, decisionsPerSec: calls * perCallDecisions };
}

/**
 * Instances of each role for a contact center: ceil(demand / (capacity × utilisation)) + spare,
 * at least 1 + spare.
 * @throws RangeError naming a bad figure
 * @example
 * sizeDeployment({ agents: 500, callsPerHour: 6000, eventsPerCall: 11 }, { eventsPerSec: 5000, decisionsPerSec: 20000 })
 * // → { eventsPerSec: 55.8, …, pipelineInstances: 2, controlInstances: 2 } (one needed, one spare)
 */
export function sizeDeployment(cc: ContactCenter, capacity: InstanceCapacity, o: SizingOptions = {}): Sizing {
  const utilisation = o.utilisation ?? 0.7;
  const spare = o.spare ?? 1;
  if (!(utilisation > 0 && utilisation <= 1)) throw new RangeError(`utilisation must be in (0, 1] (got ${utilisation})`);
  if (!Number.isInteger(spare) || spare < 0) throw new RangeError(`spare must be a whole number ≥ 0 (got ${spare})`);
  positive('capacity.eventsPerSec', capacity.eventsPerSec);
  positive('capacity.decisionsPerSec', capacity.decisionsPerSec);
  const d = demand(cc, o.surge ?? 3);
  const pipelineNeeded = Math.max(1, Math.ceil(d.eventsPerSec / (capacity.eventsPerSec * utilisation)));
  const controlNeeded = Math.max(1, Math.ceil(d.decisionsPerSec / (capacity.decisionsPerSec * utilisation)));
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    eventsPerSec: round(d.eventsPerSec),
    decisionsPerSec: round(d.decisionsPerSec),
    pipelineInstances: pipelineNeeded + spare,
    controlInstances: controlNeeded + spare,
    pipelineLoad: Math.round((d.eventsPerSec / (capacity.eventsPerSec * utilisation * pipelineNeeded)) * 1000) / 1000,
    controlLoad: Math.round((d.decisionsPerSec / (capacity.decisionsPerSec * utilisation * controlNeeded)) * 1000) / 1000,
  };
}

/** Events per call in a traffic model run: all events over the calls offered. */
export function measureEventsPerCall(events: Iterable<{ source: string; body: unknown }>): number {
  let all = 0;
  let calls = 0;
  for (const e of events) {
    all++;
    if (e.source === 'skillgroup' && (e.body as { type?: string }).type === 'OFFERED') calls++;
  }
  if (calls === 0) throw new RangeError('no OFFERED call among the events: cannot measure events per call');
  return all / calls;
}
