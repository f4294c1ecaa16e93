import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runFor } from '../../adapters/clock.js';
import type { Actor } from '../definition/permissions.js';
import { createHarness, flowSource, type Harness, type Sent } from '../testing/harness.js';

const MIN = 60_000;
/** Local time in the back office (UTC+01:00) as epoch ms. */
const local = (iso: string): number => Date.parse(`${iso}+01:00`);
const TUESDAY_0900 = local('2026-01-06T09:00:00');

const ann: Actor = { id: 'ann', groups: ['billing-agents'] };
const max: Actor = { id: 'max', groups: ['billing-managers'] };
const hal: Actor = { id: 'hal', groups: ['department-heads'] };
const sue: Actor = { id: 'sue', roles: ['agent'], groups: ['billing-supervisors'] };

let h: Harness;

beforeEach(async () => {
  h = createHarness(TUESDAY_0900);
  h.people.add(
    'default',
    { id: 'ann', groups: ['billing-agents'] },
    { id: 'bob', groups: ['billing-agents'] },
    { id: 'max', groups: ['billing-managers'] },
    { id: 'mia', groups: ['billing-managers'] },
    { id: 'hal', groups: ['department-heads'] },
  );
  await h.flows.deploy(flowSource('fee-reduction.yaml'));
  h.service.start();
});

afterEach(async () => {
  await h.service.stop();
});

/** Caller asks for a reduction through the IVR; the first-level approver (ann, first in turn) approves after 10 minutes. */
async function toManager(amount: number): Promise<{ id: string; enteredAt: number }> {
  const { ticket } = await h.engine.createFromIvr({ tenant: 'default', callId: 'call-1', intent: 'fee_reduction', fields: { amount } });
  expect(ticket).toMatchObject({
    nodeId: 'level1',
    flow: { id: 'fee-reduction', version: 1 },
    origin: { kind: 'ivr', intent: 'fee_reduction' },
  });
  expect(ticket.todos.map((t) => t.assignee)).toEqual(['ann']);
  await runFor(h.clock, 10 * MIN);
  await h.engine.act('default', ticket.id, { type: 'approve', actor: ann });
  return { id: ticket.id, enteredAt: h.clock.now() };
}

const at = (sent: Sent[], from: number): string[] =>
  sent.map(
    (s) =>
      `${s.channel} ${s.kind}${s.level ? ` L${s.level}` : ''}${s.repeat ? ` r${s.repeat}` : ''} @${(s.at - from) / MIN}m${s.latenessMs ? ` late ${s.latenessMs}ms` : ''}`,
  );

describe('fee-reduction flow, end to end in virtual time', () => {
  it('warns at the manager node at exactly 30, 45 and 60 minutes (and repeats), then nothing after End', async () => {
    const { id, enteredAt } = await toManager(2_000);
    const atManager = await h.engine.get('default', id);
    expect(atManager.nodeId).toBe('manager');
    expect(atManager.todos.filter((t) => t.status === 'open').map((t) => t.assignee)).toEqual(['max']);

    await runFor(h.clock, 80 * MIN);
    expect(at(h.sent, enteredAt)).toEqual([
      'message warning L1 @30m',
      'sms warning L2 @45m',
      'log breach @60m',
      'phone warning L3 @60m',
      'phone warning L3 r1 @75m',
    ]);
    expect(h.sent.every((s) => !s.late && s.latenessMs === 0)).toBe(true);
    expect(h.sent[0]?.recipients).toEqual(['user:max']);
    expect(h.sent[1]?.recipients).toEqual(['user:max', 'group:billing-supervisors']);
    expect(h.sent[3]?.recipients).toEqual(['group:department-heads']);
    expect(h.sent[1]?.message).toBe(`Ticket ${id} at node "manager": SLA warning level 2, 45m of 1h used`);

    const { ticket, events } = await h.engine.act('default', id, { type: 'approve', actor: max });
    expect(ticket).toMatchObject({ state: 'closed', outcome: 'approved', nodeId: 'end' });
    expect(events).toContainEqual(expect.objectContaining({ type: 'sla.stopped', nodeId: 'manager', elapsedMs: 80 * MIN, breached: true }));
    expect(h.timers.size).toBe(0);
    const before = h.sent.length;
    await runFor(h.clock, 6 * 60 * MIN, 60_000);
    expect(h.sent.length).toBe(before);
    expect(ticket.history.map((e) => `${e.actor}:${e.action}`)).toEqual([
      'system:ivr:create',
      'system:assignment:assign',
      'ann:approve',
      'system:assignment:assign',
      'max:approve',
    ]);
  });

  it('sends no further warnings when the manager approves between level 2 and level 3', async () => {
    const { id, enteredAt } = await toManager(2_000);
    await runFor(h.clock, 50 * MIN);
    await h.engine.act('default', id, { type: 'approve', actor: max });
    await runFor(h.clock, 3 * 60 * MIN, 60_000);
    expect(at(h.sent, enteredAt)).toEqual(['message warning L1 @30m', 'sms warning L2 @45m']);
  });

  it('moves the warnings by the time spent waiting for the customer', async () => {
    const { id, enteredAt } = await toManager(2_000);
    await runFor(h.clock, 20 * MIN);
    await h.engine.act('default', id, { type: 'pause', actor: max, status: 'waiting_for_customer' });
    await runFor(h.clock, 30 * MIN);
    expect(h.sent).toEqual([]);
    await h.engine.act('default', id, { type: 'resume', actor: max });
    await runFor(h.clock, 60 * MIN);
    expect(at(h.sent, enteredAt)).toEqual([
      'message warning L1 @60m',
      'sms warning L2 @75m',
      'log breach @90m',
      'phone warning L3 @90m',
      'phone warning L3 r1 @105m',
    ]);
  });

  it('carries the manager SLA over the weekend on back-office hours', async () => {
    h.clock.advanceTo(local('2026-01-09T17:20:00'));
    const { id, enteredAt } = await toManager(2_000);
    expect(enteredAt).toBe(local('2026-01-09T17:30:00'));
    await runFor(h.clock, local('2026-01-12T09:00:00') - h.clock.now(), 60_000);
    expect(h.sent.map((s) => `${s.channel} L${s.level} ${new Date(s.at).toISOString()}`)).toEqual([
      'message L1 2026-01-09T17:00:00.000Z',
      'sms L2 2026-01-12T07:15:00.000Z',
      'log L0 2026-01-12T07:30:00.000Z',
      'phone L3 2026-01-12T07:30:00.000Z',
      'phone L3 2026-01-12T07:45:00.000Z',
      'phone L3 2026-01-12T08:00:00.000Z',
    ]);
    await h.engine.act('default', id, { type: 'approve', actor: max });
  });

  it('routes by amount: below 500 first level only, above 5000 up to the department head', async () => {
    const small = await h.engine.createFromIvr({ tenant: 'default', intent: 'fee_reduction', fields: { amount: 120 } });
    const done = await h.engine.act('default', small.ticket.id, { type: 'approve', actor: { id: small.ticket.todos[0]?.assignee ?? '' } });
    expect(done.ticket).toMatchObject({ state: 'closed', outcome: 'approved' });
    expect(done.ticket.history.some((e) => e.toNode === 'manager')).toBe(false);

    const big = await h.engine.createFromIvr({ tenant: 'default', intent: 'fee_waiver', fields: { amount: 20_000 } });
    const approver = big.ticket.todos[0]?.assignee as string;
    await h.engine.act('default', big.ticket.id, { type: 'approve', actor: { id: approver } });
    const atHead = await h.engine.act('default', big.ticket.id, { type: 'approve', actor: max });
    expect(atHead.ticket.nodeId).toBe('head');
    const closed = await h.engine.act('default', big.ticket.id, { type: 'reject', actor: hal, comment: 'write-off territory' });
    expect(closed.ticket).toMatchObject({ state: 'closed', outcome: 'rejected' });
    expect(closed.ticket.comments[0]).toMatchObject({ author: 'hal', text: 'write-off territory' });
  });

  it('is found from the IVR trajectory, and refuses amounts above the ceiling', async () => {
    const viaPath = await h.engine.createFromIvr({
      tenant: 'default',
      trajectory: ['main', 'billing', 'fee-reduction'],
      fields: { amount: 50 },
    });
    expect(viaPath.ticket.flow.id).toBe('fee-reduction');
    await expect(h.engine.createFromIvr({ tenant: 'default', intent: 'fee_reduction', fields: { amount: 75_000 } })).rejects.toMatchObject({
      code: 'SLUICE_ERR_NO_MATCHING_FLOW',
    });
    await expect(h.engine.createFromIvr({ tenant: 'other', intent: 'fee_reduction', fields: { amount: 50 } })).rejects.toMatchObject({
      code: 'SLUICE_ERR_NO_MATCHING_FLOW',
    });
  });

  it('needs three different people for a 40 000 reduction: a supervisor who approved one level cannot approve another', async () => {
    const { ticket } = await h.engine.createFromIvr({ tenant: 'default', intent: 'fee_reduction', fields: { amount: 40_000 } });
    await h.engine.act('default', ticket.id, { type: 'approve', actor: sue, comment: 'approved in place of the first level' });
    await expect(h.engine.act('default', ticket.id, { type: 'approve', actor: sue })).rejects.toMatchObject({
      code: 'SLUICE_ERR_SEPARATION_OF_DUTIES',
      status: 403,
      details: { rule: 'one-level-per-person', decided: 'level1' },
    });
    await h.engine.act('default', ticket.id, { type: 'approve', actor: max });
    await expect(h.engine.act('default', ticket.id, { type: 'approve', actor: sue })).rejects.toMatchObject({
      code: 'SLUICE_ERR_SEPARATION_OF_DUTIES',
    });
    const { ticket: closed } = await h.engine.act('default', ticket.id, { type: 'approve', actor: hal });
    expect(closed).toMatchObject({ state: 'closed', outcome: 'approved' });
    expect(closed.todos.map((t) => [t.nodeId, t.decidedBy])).toEqual([
      ['level1', 'sue'],
      ['manager', 'max'],
      ['head', 'hal'],
    ]);
  });

  it('never gives a level to whoever approved an earlier one, even when they are in both groups', async () => {
    await h.flows.deploy(flowSource('fee-reduction.yaml').replace('tenant: default', 'tenant: lean'));
    // lee is the only first-level approver and also a manager, listed before max.
    h.people.add(
      'lean',
      { id: 'lee', groups: ['billing-agents', 'billing-managers'] },
      { id: 'max', groups: ['billing-managers'] },
      { id: 'hal', groups: ['department-heads'] },
    );
    for (let i = 0; i < 3; i++) {
      const { ticket } = await h.engine.createFromIvr({ tenant: 'lean', intent: 'fee_reduction', fields: { amount: 2_000 } });
      expect(ticket.todos[0]?.assignee).toBe('lee');
      const atManager = await h.engine.act('lean', ticket.id, { type: 'approve', actor: { id: 'lee' } });
      expect(atManager.ticket.todos.filter((t) => t.nodeId === 'manager').map((t) => t.assignee)).toEqual(['max']);
    }
  });

  it('lets a supervisor start one through the API and nobody else', async () => {
    const { ticket } = await h.engine.createTicket({ tenant: 'default', flowId: 'fee-reduction', actor: sue, fields: { amount: 900 } });
    expect(ticket.origin).toEqual({ kind: 'api' });
    await expect(
      h.engine.createTicket({ tenant: 'default', flowId: 'fee-reduction', actor: { id: 'eve' }, fields: { amount: 900 } }),
    ).rejects.toMatchObject({
      code: 'SLUICE_ERR_FORBIDDEN',
    });
  });
});
