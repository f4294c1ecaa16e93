/**
 * The control benchmark's targets, each judged against a baseline measured in the same run
 * (machines are not all the same CPU, and this one is shared): the in-process decision against
 * opossum's per-call overhead, the HTTP rate and p99 against the same fastify app answering a
 * constant. The p99 is relative too: autocannon keeps 16 requests in flight as fast as the server
 * answers, so at that saturation p99 is mostly queueing, 16 ÷ the rate, and scales with the CPU. The
 * CTI's absolute wait budget is judged where it applies, at an offered rate (`sluice bench capacity`:
 * open loop, median ≤ 5 ms). The overload target counts virtual ticks.
 */
import { ratio, type Verdict } from '../machine.js';

/** What the verdicts are computed from (the figures of one run). */
export interface TargetInputs {
  /** Median ns per call: `ControlService.route()` and opossum's `fire()` around a no-op. */
  readonly decisionNs: number;
  readonly opossumNs: number;
  /** Decisions/s of the route-only server and requests/s of the bare baseline app, same run. */
  readonly routePerSec: number;
  readonly baselinePerSec: number;
  /** Median-slice p99 of the route-only phase and of the baseline, ms. */
  readonly routeP99Ms: number;
  readonly baselineP99Ms: number;
  /** Ticks from the first tick that sees the overload to the first escalation (-1: never). */
  readonly escalationTicks: number;
}

/**
 * The former fixed "decision ≤ 2 µs" as a multiple of opossum: opossum measured 439–471 ns on the
 * machine where the 2 µs was set (4.2–4.6×); the lower end, rounded down.
 */
export const DECISION_VS_OPOSSUM_MAX = 4;
/**
 * The former fixed "≥ 20 000 decisions/s" as a share of the bare app: the last run that met it
 * served 31 518 requests/s from the baseline (0.63); rounded down.
 */
export const ROUTE_VS_BASELINE_MIN = 0.6;
/**
 * The former fixed "p99 < 5 ms" as a multiple of the baseline's p99: the baseline's p99 was 2 ms and
 * 1 ms in the two runs before (2.5× and 5×); the lower.
 */
export const ROUTE_P99_VS_BASELINE_MAX = 2.5;

/** Judges every target of the control benchmark. */
export function controlVerdicts(x: TargetInputs): Verdict[] {
  const vsOpossum = ratio(x.decisionNs, x.opossumNs, 2);
  const vsBaseline = ratio(x.routePerSec, x.baselinePerSec, 3);
  const p99VsBaseline = ratio(x.routeP99Ms, x.baselineP99Ms, 2);
  return [
    {
      key: 'decisionVsOpossum',
      target: `decision ≤ ${DECISION_VS_OPOSSUM_MAX}× opossum's per-call overhead (was a fixed 2 µs)`,
      met: vsOpossum !== null && vsOpossum <= DECISION_VS_OPOSSUM_MAX,
      measured: `${vsOpossum ?? 'n/a'}× opossum`,
    },
    {
      key: 'decisionNoSlowerThanOpossum',
      target: "decision no slower than opossum's per-call overhead",
      met: vsOpossum !== null && vsOpossum <= 1,
      measured: `${vsOpossum ?? 'n/a'}× opossum`,
    },
    {
      key: 'routeVsBaseline',
      target: `route-only decisions/s ≥ ${ROUTE_VS_BASELINE_MIN} × the bare app's requests/s, p99 ≤ ${ROUTE_P99_VS_BASELINE_MAX} × its p99, in the same run (was a fixed 20 000/s with p99 < 5 ms)`,
      met:
        vsBaseline !== null && vsBaseline >= ROUTE_VS_BASELINE_MIN && p99VsBaseline !== null && p99VsBaseline <= ROUTE_P99_VS_BASELINE_MAX,
      measured: `${vsBaseline ?? 'n/a'} of the baseline's rate (${x.routePerSec} vs ${x.baselinePerSec}/s), ${p99VsBaseline ?? 'n/a'} × its p99 (${x.routeP99Ms} vs ${x.baselineP99Ms} ms)`,
    },
    {
      key: 'escalationTicks',
      target: 'escalation within 2 ticks of overload onset',
      met: x.escalationTicks >= 1 && x.escalationTicks <= 2,
      measured: `${x.escalationTicks} tick(s)`,
    },
  ];
}
