import { describe, expect, it } from 'vitest';
import { CALL_CONTEXT_LIMITS, callbackTicketProblem, snapshotProblem, type QueueSnapshot } from './messages.js';

const calm: QueueSnapshot = {
  tenant: 'acme',
  skillGroup: 'care',
  callsWaiting: 0,
  longestWaitMs: 0,
  agentsAvailable: 3,
  agentsBusy: 1,
  agentsTotal: 4,
  offeredLastMinute: 2,
  answeredLastMinute: 2,
  abandonedLastMinute: 0,
  serviceLevel: 0.9,
  asOf: 1_700_000_000_000,
};

describe('queue snapshot, as read from outside the process', () => {
  it('accepts a snapshot, with or without a service level', () => {
    expect(snapshotProblem(calm)).toBeNull();
    expect(snapshotProblem({ ...calm, serviceLevel: null })).toBeNull();
    const { serviceLevel: _, ...without } = calm;
    expect(snapshotProblem(without)).toBeNull();
  });

  it('names the first bad field', () => {
    expect(snapshotProblem(null)).toBe('snapshot must be an object');
    expect(snapshotProblem({ ...calm, tenant: 'a/b' })).toMatch(/^tenant/);
    expect(snapshotProblem({ ...calm, skillGroup: '' })).toMatch(/^skillGroup/);
    expect(snapshotProblem({ ...calm, agentsBusy: '1' })).toBe('agentsBusy must be a finite number ≥ 0');
    expect(snapshotProblem({ ...calm, callsWaiting: -1 })).toBe('callsWaiting must be a finite number ≥ 0');
    expect(snapshotProblem({ ...calm, longestWaitMs: Infinity })).toMatch(/^longestWaitMs/);
    expect(snapshotProblem({ ...calm, serviceLevel: 1.5 })).toMatch(/^serviceLevel/);
    expect(snapshotProblem({ ...calm, asOf: '2024' })).toBe('asOf must be epoch ms');
  });
});

describe('callback ticket request, as read from outside the process', () => {
  const req = { tenant: 'acme', callId: 'c-1', skillGroup: 'care', priority: 'low', reason: 'L3', decisionId: 'd-1' };
  it('accepts a request and names the first bad field of a wrong one', () => {
    expect(callbackTicketProblem(req)).toBeNull();
    expect(callbackTicketProblem('x')).toBe('callback ticket request must be an object');
    expect(callbackTicketProblem({ ...req, decisionId: '' })).toBe('decisionId must be a non-empty string');
    expect(callbackTicketProblem({ ...req, priority: 'urgent' })).toMatch(/^priority/);
    expect(callbackTicketProblem({ ...req, reason: 3 })).toBe('reason must be a string');
  });

  it("accepts the call context within the route request's bounds and refuses it past them", () => {
    const L = CALL_CONTEXT_LIMITS;
    const step = 's'.repeat(L.stepLength);
    expect(
      callbackTicketProblem({ ...req, intent: 'i'.repeat(L.intentLength), ivrTrajectory: Array(L.trajectorySteps).fill(step) }),
    ).toBeNull();
    expect(callbackTicketProblem({ ...req, intent: '', ivrTrajectory: [''] })).toBeNull();
    expect(callbackTicketProblem({ ...req, intent: 'i'.repeat(L.intentLength + 1) })).toMatch(/^intent must be a string of at most 128/);
    expect(callbackTicketProblem({ ...req, intent: 7 })).toMatch(/^intent/);
    expect(callbackTicketProblem({ ...req, ivrTrajectory: 'main' })).toMatch(/^ivrTrajectory must be an array/);
    expect(callbackTicketProblem({ ...req, ivrTrajectory: Array(L.trajectorySteps + 1).fill('a') })).toMatch(/at most 64 steps/);
    expect(callbackTicketProblem({ ...req, ivrTrajectory: ['main', `${step}s`] })).toMatch(
      /^ivrTrajectory\[1\] must be a string of at most 128/,
    );
    expect(callbackTicketProblem({ ...req, ivrTrajectory: ['main', null] })).toMatch(/^ivrTrajectory\[1\]/);
  });
});
