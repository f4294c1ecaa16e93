/**
 * What a proxy (Kamailio, Asterisk, FreeSWITCH, a CTI) can tell about a routed call, and what each
 * outcome does to the control loop. The contract of `POST /v1/route/{decisionId}/outcome`
 * (`docs/integration/control-api.md`):
 *
 * | outcome | the proxy saw | breaker | concurrency slot | CTI latency signal |
 * | --- | --- | --- | --- | --- |
 * | `connected` | the node accepted the call: its first 18x or a 200 | success | released, RTT sample | `latencyMs` |
 * | `failed` | a 5xx, a refusal (connection refused, 403/404/486 of the node) | failure | released, limit backs off | `latencyMs` |
 * | `timeout` | no answer from the node within the proxy's deadline | failure | released, limit backs off | — |
 * | `abandoned` | the caller left before the node answered (not the node's fault) | neutral | released | — |
 * | `not-attempted` | the proxy did not place the call (its own fallback, a local error) | neutral | released | — |
 *
 * `latencyMs` is measured by the proxy from its own send to the node's first answer, so it measures
 * the node, not the proxy's queueing; it is required for `connected` and `failed` and ignored otherwise.
 * The legacy body `{success, latencyMs}` stays accepted: `true` → `connected`, `false` → `failed`.
 */

/** Every outcome kind, in the order the API documents them. */
export const OUTCOME_KINDS = ['connected', 'failed', 'timeout', 'abandoned', 'not-attempted'] as const;

/** What a proxy saw of a routed call (see the module comment). */
export type OutcomeKind = (typeof OUTCOME_KINDS)[number];

/** Highest latency an outcome may carry, ms (one hour). */
export const MAX_OUTCOME_LATENCY_MS = 3_600_000;

/** A call's outcome as the proxy saw it. */
export interface RouteOutcome {
  readonly outcome: OutcomeKind;
  /**
   * From the proxy's send to the node's first answer, ms (0..3 600 000); required for `connected`
   * and `failed`, ignored for the other kinds.
   */
  readonly latencyMs?: number;
}

/** The body the API took before outcome kinds (still accepted): `success` true → connected, false → failed. */
export interface LegacyOutcome {
  readonly success: boolean;
  /** Time the target took to take the call, ms. */
  readonly latencyMs: number;
}

/** Either form of an outcome report. */
export type OutcomeReport = RouteOutcome | LegacyOutcome;

/** Whether `x` is an outcome kind. */
export function isOutcomeKind(x: unknown): x is OutcomeKind {
  return typeof x === 'string' && (OUTCOME_KINDS as readonly string[]).includes(x);
}

/** The outcome a report stands for (a legacy report becomes connected or failed). */
export function toOutcome(r: OutcomeReport): RouteOutcome {
  if ('outcome' in r) return r;
  return { outcome: r.success ? 'connected' : 'failed', latencyMs: r.latencyMs };
}

/** Whether the node answered (connected or failed): the kinds whose `latencyMs` measures the node. */
export function nodeAnswered(kind: OutcomeKind): boolean {
  return kind === 'connected' || kind === 'failed';
}

/** Whether the kind counts as a failure of the node for its breaker (failed, timeout). */
export function isFailure(kind: OutcomeKind): boolean {
  return kind === 'failed' || kind === 'timeout';
}

/** Whether the kind says nothing about the node (abandoned, not-attempted). */
export function isNeutral(kind: OutcomeKind): boolean {
  return kind === 'abandoned' || kind === 'not-attempted';
}

/**
 * The first problem of an outcome report, naming the field and the unit expected, or null when it is
 * valid. Checked after the JSON schema (types and bounds), for what a schema says badly.
 */
export function outcomeProblem(body: {
  outcome?: unknown;
  success?: unknown;
  latencyMs?: unknown;
}): { field: string; message: string } | null {
  const hasKind = body.outcome !== undefined;
  const hasSuccess = body.success !== undefined;
  if (hasKind && hasSuccess)
    return {
      field: 'body.success',
      message:
        'body.success is the legacy form of body.outcome: send one of them (outcome: connected, failed, timeout, abandoned or not-attempted)',
    };
  if (!hasKind && !hasSuccess)
    return { field: 'body.outcome', message: 'body.outcome is required: connected, failed, timeout, abandoned or not-attempted' };
  const needsLatency = hasSuccess || body.outcome === 'connected' || body.outcome === 'failed';
  if (needsLatency && body.latencyMs === undefined)
    return {
      field: 'body.latencyMs',
      message: `body.latencyMs is required for ${hasSuccess ? 'a success/failure report' : `outcome ${String(body.outcome)}`}: milliseconds from the proxy's send to the node's first answer, 0 to ${MAX_OUTCOME_LATENCY_MS}`,
    };
  return null;
}
