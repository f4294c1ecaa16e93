import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runFor } from '../../adapters/clock.js';
import { MemoryHistory } from '../history/memory.js';
import { recordHistory } from '../metrics.js';
import { createHarness, flowSource, type Harness } from '../testing/harness.js';
import { call } from '../../test/support/server.js';
import { workflowTestApp } from '../testing/http.js';

const MIN = 60_000;
const TUESDAY_0900 = Date.parse('2026-01-06T09:00:00+01:00');
const PEOPLE = {
  ann: { tenant: 'default', role: 'agent', user: 'ann', groups: ['billing-agents'] },
  max: { tenant: 'default', role: 'agent', user: 'max', groups: ['billing-managers'] },
} as const;

let h: Harness;
let app: FastifyInstance;
let history: MemoryHistory;

beforeEach(async () => {
  h = createHarness(TUESDAY_0900);
  h.people.add(
    'default',
    { id: 'ann', groups: ['billing-agents'] },
    { id: 'max', groups: ['billing-managers'] },
    { id: 'hal', groups: ['department-heads'] },
  );
  history = new MemoryHistory();
  recordHistory(h.engine, h.service, history);
  app = await workflowTestApp({ engine: h.engine, catalog: h.flows, clock: h.clock, timers: h.timers, history }, PEOPLE);
  h.service.start();
});

afterEach(async () => {
  await h.service.stop();
  await app.close();
});

it('runs the fee-reduction flow end to end through the HTTP API: IVR intent, two approvals, SLA warnings, report', async () => {
  expect(
    (await call(app, 'default:admin', 'POST', '/v1/flows', flowSource('fee-reduction.yaml'), { 'content-type': 'text/yaml' })).statusCode,
  ).toBe(201);

  // The IVR recognised the intent; the router key opens the ticket by trigger.
  const opened = await call(app, 'default:router', 'POST', '/v1/tickets', {
    intent: 'fee_reduction',
    callId: 'call-7',
    fields: { amount: 2_000 },
    title: 'Late fee',
  });
  expect(opened.statusCode).toBe(201);
  const ticket = opened.data.ticket as { id: string; revision: number };
  expect(opened.data.ticket).toMatchObject({
    flow: { id: 'fee-reduction', version: 1 },
    nodeId: 'level1',
    origin: { kind: 'ivr', intent: 'fee_reduction', callId: 'call-7' },
  });
  const todos = await call(app, 'default:agent', 'GET', '/v1/todos?assignee=ann');
  expect(todos.data.items).toEqual([expect.objectContaining({ ticketId: ticket.id, nodeId: 'level1', kind: 'approval' })]);

  await runFor(h.clock, 10 * MIN);
  const first = await call(
    app,
    'ann',
    'POST',
    `/v1/tickets/${ticket.id}/actions`,
    { type: 'approve', comment: 'customer history clean' },
    { 'if-match': `"${ticket.revision}"` },
  );
  expect(first.statusCode).toBe(200);
  expect(first.data.ticket).toMatchObject({
    nodeId: 'manager',
    todos: expect.arrayContaining([expect.objectContaining({ nodeId: 'manager', assignee: 'max', status: 'open' })]),
  });
  const atManager = h.clock.now();

  await runFor(h.clock, 50 * MIN);
  const mid = await call(app, 'default:viewer', 'GET', `/v1/tickets/${ticket.id}/sla`);
  expect(mid.statusCode).toBe(200);
  const sla = mid.data.sla as {
    durationMs: number;
    elapsedMs: number;
    breached: boolean;
    breachAt: number;
    schedule: unknown[];
    warningsFired: { kind: string; level: number; dueAt: number; firedAt: number }[];
  };
  expect(sla).toMatchObject({
    durationMs: 60 * MIN,
    elapsedMs: 50 * MIN,
    pausedMs: 0,
    paused: false,
    breached: false,
    breachAt: atManager + 60 * MIN,
    businessHours: true,
  });
  expect(sla.warningsFired.map((w) => [w.kind, w.level, (w.firedAt - atManager) / MIN])).toEqual([
    ['warning', 1, 30],
    ['warning', 2, 45],
  ]);
  expect(sla.schedule).toHaveLength(6);

  // Waiting for the customer stops the clock for 20 minutes.
  await call(app, 'max', 'POST', `/v1/tickets/${ticket.id}/actions`, { type: 'pause', status: 'waiting_for_customer' });
  await runFor(h.clock, 20 * MIN);
  const paused = (await call(app, 'default:agent', 'GET', `/v1/tickets/${ticket.id}/sla`)).data.sla as {
    paused: boolean;
    pausedMs: number;
    elapsedMs: number;
  };
  expect(paused).toMatchObject({ paused: true, pausedMs: 20 * MIN, elapsedMs: 50 * MIN });
  await call(app, 'max', 'POST', `/v1/tickets/${ticket.id}/actions`, { type: 'resume' });
  await runFor(h.clock, 30 * MIN);

  const fired = h.sent
    .filter((s) => s.ticketId === ticket.id)
    .map((s) => `${s.channel} ${s.kind} L${s.level} r${s.repeat} @${(s.at - atManager) / MIN}m`);
  expect(fired).toEqual([
    'message warning L1 r0 @30m',
    'sms warning L2 r0 @45m',
    'log breach L0 r0 @80m',
    'phone warning L3 r0 @80m',
    'phone warning L3 r1 @95m',
  ]);

  const done = await call(app, 'max', 'POST', `/v1/tickets/${ticket.id}/actions`, { type: 'approve' });
  expect(done.data.ticket).toMatchObject({ state: 'closed', outcome: 'approved', nodeId: 'end' });
  expect((await call(app, 'default:agent', 'GET', `/v1/tickets/${ticket.id}/sla`)).data).toEqual({
    ticketId: ticket.id,
    state: 'closed',
    nodeId: 'end',
    sla: null,
  });
  await runFor(h.clock, 3 * 60 * MIN, 60_000);
  expect(h.sent).toHaveLength(5);
  expect((await call(app, 'default:agent', 'GET', '/v1/todos?assignee=max')).data.items).toEqual([]);
  expect(((await call(app, 'default:viewer', 'GET', '/v1/tickets?status=closed')).data.items as { id: string }[]).map((t) => t.id)).toEqual(
    [ticket.id],
  );

  const report = await call(app, 'default:viewer', 'GET', `/v1/reports/sla?from=${TUESDAY_0900}&to=${h.clock.now()}&by=node`);
  expect(report.data.rows).toEqual([
    { flowId: 'fee-reduction', nodeId: 'level1', clocks: 1, breached: 0, rate: 0, warnings: 0 },
    { flowId: 'fee-reduction', nodeId: 'manager', clocks: 1, breached: 1, rate: 1, warnings: 4 },
  ]);
  const byTeam = await call(app, 'default:viewer', 'GET', `/v1/reports/sla?from=${TUESDAY_0900}&to=${h.clock.now()}&by=team`);
  expect(byTeam.data.rows).toEqual([
    { team: 'group:billing-agents', clocks: 1, breached: 0, rate: 0, warnings: 0 },
    // The manager level's team is its assignee spec: the line manager of the level-1 decider (max came by the fallback group).
    { team: 'manager:decider:level1', clocks: 1, breached: 1, rate: 1, warnings: 4 },
  ]);
});
