/**
 * What the pipelines tell the control loop: one queue snapshot per tenant and
 * skill group, through the {@link RealtimeView} port. The pipelines implement
 * the port in-process; in split roles the control role reads the snapshots the
 * pipeline role published to the StateStore (see `redis-view.ts`).
 */

/** Current state of one skill-group queue. Counts are calls or agents; times are ms. */
export interface QueueSnapshot {
  readonly tenant: string;
  readonly skillGroup: string;
  /** Calls waiting in queue now. */
  readonly callsWaiting: number;
  /** Wait of the oldest caller still queued, ms. */
  readonly longestWaitMs: number;
  /** Agents in the AVAILABLE state. */
  readonly agentsAvailable: number;
  /** Agents on a call, on hold or in after-call work. */
  readonly agentsBusy: number;
  /** Agents logged in to the skill group. */
  readonly agentsTotal: number;
  /** Calls offered in the last minute. */
  readonly offeredLastMinute: number;
  /** Calls answered in the last minute. */
  readonly answeredLastMinute: number;
  /** Calls abandoned in the last minute. */
  readonly abandonedLastMinute: number;
  /** Service level of the current interval, 0..1, when known. */
  readonly serviceLevel?: number | null;
  /** When these figures were true, epoch ms. */
  readonly asOf: number;
}

/** The port the pipelines implement: the latest snapshot of every queue they know. */
export interface RealtimeView {
  /** Latest snapshots; called once per control tick, so it may build a fresh array. */
  snapshots(): readonly QueueSnapshot[];
  /**
   * Optional: brings a remote view up to date (e.g. reads the StateStore). The
   * control service awaits it at the start of each tick, off the routing path;
   * `snapshots()` then answers from memory.
   */
  refresh?(): Promise<void>;
}

const COUNTS = ['callsWaiting', 'longestWaitMs', 'agentsAvailable', 'agentsBusy', 'agentsTotal', 'offeredLastMinute', 'answeredLastMinute', 'abandonedLastMinute'] as const;

/**
 * Checks a snapshot read from outside the process (e.g. JSON from Redis).
 * @returns the first problem, naming the field, or null when `x` is a valid snapshot
 */
export function snapshotProblem(x: unknown): string | null {
  if (typeof x !== 'object' || x === null) return 'snapshot must be an object';
  const o = x as Record<string, unknown>;
  if (typeof o.tenant !== 'string' || o.tenant === '' || o.tenant.includes('/')) return 'tenant must be a non-empty string without "/"';
  if (typeof o.skillGroup !== 'string' || o.skillGroup === '') return 'skillGroup must be a non-empty string';
  for (const f of COUNTS) {
    const v = o[f];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return `${f} must be a finite number ≥ 0`;
  }
  if (o.serviceLevel !== undefined && o.serviceLevel !== null && (typeof o.serviceLevel !== 'number' || !(o.serviceLevel >= 0 && o.serviceLevel <= 1))) {
    return 'serviceLevel must be null or a number in [0, 1]';
  }
  if (typeof o.asOf !== 'number' || !Number.isFinite(o.asOf)) return 'asOf must be epoch ms';
  return null;
}

/** A view with fixed contents that tests, benchmarks and demos replace wholesale. */
export class StaticRealtimeView implements RealtimeView {
  #snapshots: readonly QueueSnapshot[];

  /** @param snapshots initial contents */
  constructor(snapshots: readonly QueueSnapshot[] = []) {
    this.#snapshots = snapshots;
  }

  /** Replaces the contents. */
  set(snapshots: readonly QueueSnapshot[]): void {
    this.#snapshots = snapshots;
  }

  /** {@inheritDoc RealtimeView.snapshots} */
  snapshots(): readonly QueueSnapshot[] {
    return this.#snapshots;
  }
}
