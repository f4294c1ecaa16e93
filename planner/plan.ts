/**
 * The pure core of `sluice plan`: validated options in, one staffing result
 * out. Erlang C by default, Erlang A when a mean patience is given.
 *
 * Units: rate in calls per hour; AHT, patience, target time and ASA in
 * seconds; service level, occupancy and shrinkage as fractions.
 */
import { staffErlangA, staffErlangC } from './staffing.js';
import type { StaffingTarget } from './staffing.js';

/** Options of one plan, as the CLI takes them. */
export interface PlanInput {
  /** Offered calls per hour (≥ 0). */
  readonly rate: number;
  /** Average handle time, seconds (> 0). */
  readonly aht: number;
  /** Required service level, fraction in (0, 1). */
  readonly targetSl?: number;
  /** Answer-time threshold of the service level, seconds (≥ 0). */
  readonly targetTime: number;
  /** Required average speed of answer, seconds (> 0). */
  readonly targetAsa?: number;
  /** Mean caller patience, seconds (> 0): switches the model to Erlang A. */
  readonly patience?: number;
  /** Occupancy cap, fraction in (0, 1]. */
  readonly maxOccupancy?: number;
  /** Shrinkage, fraction in [0, 1). */
  readonly shrinkage?: number;
}

/** The staffing answer printed by `sluice plan --json`. */
export interface PlanResult {
  /** Productive agents needed, N. */
  agents: number;
  /** Agents to schedule after shrinkage, ⌈N / (1 − shrinkage)⌉. */
  scheduledAgents: number;
  /** Share of calls answered within the target time at N agents, fraction. */
  serviceLevel: number;
  /** Average speed of answer of answered calls, seconds. */
  asa: number;
  /** Agent occupancy at N agents, fraction. */
  occupancy: number;
  /** Probability that a call waits at all, fraction. */
  probabilityOfWait: number;
  /** Share of calls that abandon (Erlang A only, i.e. when a patience is given), fraction. */
  probabilityOfAbandon?: number;
}

/** A usage error: an option is missing, out of range or contradicts another. The CLI exits with code 2 on it. */
export class PlanUsageError extends Error {
  override readonly name = 'PlanUsageError';
}

function finite(value: number): boolean {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * Checks every option of a plan and throws a {@link PlanUsageError} naming
 * the CLI flag on the first violation.
 * @param input plan options
 */
export function validatePlanInput(input: PlanInput): void {
  const fail = (message: string): never => {
    throw new PlanUsageError(message);
  };
  if (!finite(input.rate) || input.rate < 0) fail('--rate must be a number ≥ 0 (calls per hour)');
  if (!finite(input.aht) || input.aht <= 0) fail('--aht must be a number > 0 (seconds)');
  if (input.targetSl === undefined && input.targetAsa === undefined)
    fail('a target is required: --target-sl (with --target-time) and/or --target-asa');
  if (input.targetSl !== undefined && !(finite(input.targetSl) && input.targetSl > 0 && input.targetSl < 1)) {
    fail('--target-sl must be between 0 and 1 (exclusive)');
  }
  if (!finite(input.targetTime) || input.targetTime < 0) fail('--target-time must be a number ≥ 0 (seconds)');
  if (input.targetAsa !== undefined && !(finite(input.targetAsa) && input.targetAsa > 0))
    fail('--target-asa must be a number > 0 (seconds)');
  if (input.patience !== undefined && !(finite(input.patience) && input.patience > 0)) fail('--patience must be a number > 0 (seconds)');
  if (input.maxOccupancy !== undefined && !(finite(input.maxOccupancy) && input.maxOccupancy > 0 && input.maxOccupancy <= 1)) {
    fail('--max-occupancy must be greater than 0 and at most 1');
  }
  if (input.shrinkage !== undefined && !(finite(input.shrinkage) && input.shrinkage >= 0 && input.shrinkage < 1)) {
    fail('--shrinkage must be at least 0 and below 1');
  }
}

/**
 * Plans one interval: validates the options, staffs with Erlang C (or
 * Erlang A when `patience` is set) and returns the {@link PlanResult}.
 * Pure: no I/O. `probabilityOfAbandon` is present exactly when `patience` is.
 * @param input plan options (calls per hour, seconds, fractions)
 * @throws PlanUsageError on an invalid option
 */
export function runPlan(input: PlanInput): PlanResult {
  validatePlanInput(input);
  const workload = { callsPerHour: input.rate, ahtSeconds: input.aht };
  const target: StaffingTarget = {
    targetTimeSeconds: input.targetTime,
    serviceLevel: input.targetSl,
    asaSeconds: input.targetAsa,
    maxOccupancy: input.maxOccupancy,
    shrinkage: input.shrinkage,
  };
  const base = (plan: ReturnType<typeof staffErlangC>): PlanResult => ({
    agents: plan.agents,
    scheduledAgents: plan.scheduledAgents,
    serviceLevel: plan.metrics.serviceLevel,
    asa: plan.metrics.asa,
    occupancy: plan.metrics.occupancy,
    probabilityOfWait: plan.metrics.probabilityOfWait,
  });
  if (input.patience === undefined) return base(staffErlangC(workload, target));
  // Erlang A (patience given) also answers how many callers hang up.
  const plan = staffErlangA(workload, input.patience, target);
  return { ...base(plan), probabilityOfAbandon: plan.metrics.probabilityOfAbandon };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const secs = (x: number): string => `${x.toFixed(1)} s`;

/**
 * One readable line for a plan, e.g.
 * `agents 14, scheduled 20 | service level 88.8% within 20 s | ASA 7.8 s | occupancy 71.4% | P(wait) 17.4%`.
 * @param result the plan
 * @param targetTimeSeconds the service-level threshold, seconds, for the label
 */
export function formatPlanLine(result: PlanResult, targetTimeSeconds: number): string {
  const parts = [
    `agents ${result.agents}, scheduled ${result.scheduledAgents}`,
    `service level ${pct(result.serviceLevel)} within ${targetTimeSeconds} s`,
    `ASA ${secs(result.asa)}`,
    `occupancy ${pct(result.occupancy)}`,
    `P(wait) ${pct(result.probabilityOfWait)}`,
  ];
  if (result.probabilityOfAbandon !== undefined) parts.push(`P(abandon) ${pct(result.probabilityOfAbandon)}`);
  return parts.join(' | ');
}
