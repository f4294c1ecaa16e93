/**
 * The messages that cross rooms, declared once for both sides: the queue snapshot the pipelines give the
 * control loop (in-process, or published through the state store for split roles), and the callback-ticket
 * request the control loop gives the workflow service when it diverts a caller to a callback.
 */

/** Caller priority classes, highest first (the control loop sheds the lowest first). */
export type Priority = 'vip' | 'high' | 'normal' | 'low';

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
  /** Service level of the current interval, 0..1; null (or absent) when not known yet. */
  readonly serviceLevel?: number | null;
  /** When these figures were true, epoch ms. */
  readonly asOf: number;
}

const COUNTS = [
  'callsWaiting',
  'longestWaitMs',
  'agentsAvailable',
  'agentsBusy',
  'agentsTotal',
  'offeredLastMinute',
  'answeredLastMinute',
  'abandonedLastMinute',
] as const;

/**
 * Checks a snapshot read from outside the process (e.g. JSON from the state store).
 * @returns the first problem, naming the field, or null when `x` is a valid {@link QueueSnapshot}
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
  if (
    o.serviceLevel !== undefined &&
    o.serviceLevel !== null &&
    (typeof o.serviceLevel !== 'number' || !(o.serviceLevel >= 0 && o.serviceLevel <= 1))
  ) {
    return 'serviceLevel must be null or a number in [0, 1]';
  }
  if (typeof o.asOf !== 'number' || !Number.isFinite(o.asOf)) return 'asOf must be epoch ms';
  return null;
}

/** A caller the control loop diverted to a callback: the workflow service opens a ticket to call them back. */
export interface CallbackTicketRequest {
  readonly tenant: string;
  readonly callId: string;
  readonly skillGroup: string;
  readonly priority: Priority;
  /** Why the call was diverted (level, breaker), for the agent calling back. */
  readonly reason: string;
  /** The routing decision that diverted the caller: the idempotency key (one ticket per decision). */
  readonly decisionId: string;
  /** The intent the route request carried (smart IVR or bot), at most {@link CALL_CONTEXT_LIMITS}`.intentLength` characters. */
  readonly intent?: string;
  /**
   * The IVR menu steps the caller went through before the transfer, in order, as the route request carried them:
   * at most {@link CALL_CONTEXT_LIMITS}`.trajectorySteps` steps of `.stepLength` characters.
   */
  readonly ivrTrajectory?: readonly string[];
}

/**
 * Bounds of the call context a route request carries into a callback ticket (`POST /v1/route` validates
 * against the same numbers, so whatever it accepted travels whole): characters of the intent, steps of the
 * IVR trajectory and characters per step.
 */
export const CALL_CONTEXT_LIMITS = Object.freeze({ intentLength: 128, trajectorySteps: 64, stepLength: 128 });

/** Where the control loop sends callback-ticket requests (the workflow service implements it). */
export interface CallbackTickets {
  /** Opens the callback ticket of one routing decision; a repeat of the same decision is a no-op. */
  create(request: CallbackTicketRequest): Promise<void>;
}

const PRIORITIES: readonly string[] = ['vip', 'high', 'normal', 'low'];

/**
 * Checks a callback-ticket request read from outside the process (the queue between control and workflow).
 * @returns the first problem, naming the field, or null when `x` is a valid {@link CallbackTicketRequest}
 */
export function callbackTicketProblem(x: unknown): string | null {
  if (typeof x !== 'object' || x === null) return 'callback ticket request must be an object';
  const o = x as Record<string, unknown>;
  for (const f of ['tenant', 'callId', 'skillGroup', 'decisionId'] as const) {
    if (typeof o[f] !== 'string' || o[f] === '') return `${f} must be a non-empty string`;
  }
  if (typeof o.priority !== 'string' || !PRIORITIES.includes(o.priority)) return 'priority must be one of vip, high, normal, low';
  if (typeof o.reason !== 'string') return 'reason must be a string';
  const L = CALL_CONTEXT_LIMITS;
  if (o.intent !== undefined && (typeof o.intent !== 'string' || o.intent.length > L.intentLength)) {
    return `intent must be a string of at most ${L.intentLength} characters`;
  }
  if (o.ivrTrajectory !== undefined) {
    const t = o.ivrTrajectory;
    if (!Array.isArray(t) || t.length > L.trajectorySteps) return `ivrTrajectory must be an array of at most ${L.trajectorySteps} steps`;
    for (let i = 0; i < t.length; i++) {
      const step: unknown = t[i];
      if (typeof step !== 'string' || step.length > L.stepLength) {
        return `ivrTrajectory[${i}] must be a string of at most ${L.stepLength} characters`;
      }
    }
  }
  return null;
}
