/**
 * The workflow benchmark's targets (issue 6), judged against a baseline of the same run where they
 * are rates: the ticket-operation rate against bare Redis round trips from as many processes with as
 * many requests in flight. Timer lateness stays absolute: a supervisor's SLA warning is due at a
 * moment of the wall clock, whatever the CPU. Lost and duplicated timers are counts.
 */
import { ratio, type Verdict } from '../machine.js';

/** The figures of one run the verdicts rest on. */
export interface WorkflowTargetInputs {
  readonly opsPerSec: number;
  /** Bare round trips per second at the same concurrency (the baseline). */
  readonly roundTripsPerSec: number;
  readonly latenessP99Ms: number;
  readonly lost: number;
  readonly duplicated: number;
}

/**
 * The former fixed "at least 3k ticket operations/s" as a share of the bare round trips measured
 * beside it: 3 000 over the mean of the round trips/s of the first two runs with the baseline
 * (90 586 and 109 626/s, shared machine at load average 6–7) is 0.030.
 */
export const OPS_VS_ROUND_TRIPS_MIN = 0.03;
/** Absolute: the latest an SLA timer may fire after it is due, at p99, ms. */
export const LATENESS_P99_MAX_MS = 500;

/** Judges every target of the workflow benchmark. */
export function workflowVerdicts(x: WorkflowTargetInputs): Verdict[] {
  const vs = ratio(x.opsPerSec, x.roundTripsPerSec, 4);
  return [
    {
      key: 'opsVsRoundTrips',
      target: `ticket operations/s ≥ ${OPS_VS_ROUND_TRIPS_MIN} × bare Redis round trips/s in the same run (was a fixed 3 000/s)`,
      met: vs !== null && vs >= OPS_VS_ROUND_TRIPS_MIN,
      measured: `${vs ?? 'n/a'}: ${Math.round(x.opsPerSec)} ops/s vs ${Math.round(x.roundTripsPerSec)} round trips/s`,
    },
    {
      key: 'latenessP99',
      target: `with 1M pending timers, p99 lateness < ${LATENESS_P99_MAX_MS} ms`,
      met: x.latenessP99Ms < LATENESS_P99_MAX_MS,
      measured: `${x.latenessP99Ms} ms`,
    },
    {
      key: 'noneLostOrDuplicated',
      target: 'no timer lost or fired twice',
      met: x.lost === 0 && x.duplicated === 0,
      measured: `${x.lost} lost, ${x.duplicated} duplicated`,
    },
  ];
}
