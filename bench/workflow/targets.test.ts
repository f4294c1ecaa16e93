import { describe, expect, it } from 'vitest';
import { OPS_VS_ROUND_TRIPS_MIN, workflowVerdicts, type WorkflowTargetInputs } from './targets.js';

const base: WorkflowTargetInputs = { opsPerSec: 4_000, roundTripsPerSec: 40_000, latenessP99Ms: 7, lost: 0, duplicated: 0 };
const met = (x: Partial<WorkflowTargetInputs>) => Object.fromEntries(workflowVerdicts({ ...base, ...x }).map((v) => [v.key, v.met]));

describe('workflowVerdicts', () => {
  it('judges the ticket-operation rate against the round trips of the same run, not a fixed 3 000/s', () => {
    // A slow machine: 2 000/s is under the old fixed 3 000/s, but 1.2× the share asked of its round trips.
    expect(met({ opsPerSec: 2_000, roundTripsPerSec: 2_000 / (OPS_VS_ROUND_TRIPS_MIN * 1.2) }).opsVsRoundTrips).toBe(true);
    // A fast machine: 3 500/s is over 3 000/s, but only 0.8× the share asked of its round trips.
    expect(met({ opsPerSec: 3_500, roundTripsPerSec: 3_500 / (OPS_VS_ROUND_TRIPS_MIN * 0.8) }).opsVsRoundTrips).toBe(false);
  });

  it('is not met without a baseline', () => {
    expect(met({ roundTripsPerSec: 0 }).opsVsRoundTrips).toBe(false);
  });

  it('keeps timer lateness absolute (an SLA warning is due at a wall-clock moment)', () => {
    expect(met({ latenessP99Ms: 499 }).latenessP99).toBe(true);
    expect(met({ latenessP99Ms: 500 }).latenessP99).toBe(false);
  });

  it('wants no timer lost or fired twice', () => {
    expect(met({}).noneLostOrDuplicated).toBe(true);
    expect(met({ lost: 1 }).noneLostOrDuplicated).toBe(false);
    expect(met({ duplicated: 1 }).noneLostOrDuplicated).toBe(false);
  });
});
