import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../adapters/clock.js';
import { WorkflowEngine } from '../engine/engine.js';
import { FlowCatalog, MemoryFlowRepository } from '../engine/flow-store.js';
import { AssignmentKeeper, type AssignmentRetry } from '../engine/keep-assigned.js';
import { MemoryTicketStore } from '../engine/memory-ticket-store.js';
import { recipientContext, type Ticket } from '../engine/ticket.js';
import { seedBilling } from '../people/directory.contract.js';
import { MemoryDirectory } from '../people/memory-directory.js';
import { reminderChannels } from '../people/reminders.js';
import { flowSource } from '../testing/harness.js';

/**
 * The shipped fee-reduction flow over a real directory (the contract's billing organisation, in
 * tenant `default`): the manager and the department head are found from the organisation, the
 * fallback groups take over when it has nobody, separation of duties holds, and the assignment
 * keeper re-assigns when people leave or join.
 */

const T0 = Date.parse('2026-01-06T09:00:00+01:00');
let clock: ManualClock;
let dir: MemoryDirectory;
let engine: WorkflowEngine;
let keeper: AssignmentKeeper;
let seq = 0;

beforeEach(async () => {
  clock = new ManualClock(T0);
  dir = new MemoryDirectory();
  await seedBilling(dir, 'default');
  await dir.putPerson('default', { id: 'hal', groups: ['department-heads'] }, 'create');
  const flows = new FlowCatalog(new MemoryFlowRepository());
  engine = new WorkflowEngine({
    tickets: new MemoryTicketStore(),
    flows,
    clock,
    people: dir,
    newId: () => `T${++seq}`,
  });
  await flows.deploy(flowSource('fee-reduction.yaml'));
  keeper = new AssignmentKeeper({ engine, directory: dir, clock, tenants: ['default'], intervalMs: 60_000 });
});

const holder = (t: Ticket, node: string): (string | undefined)[] =>
  t.todos.filter((d) => d.nodeId === node && d.status === 'open').map((d) => d.assignee);

async function open(amount: number): Promise<Ticket> {
  return (await engine.createFromIvr({ tenant: 'default', intent: 'fee_reduction', fields: { amount } })).ticket;
}

describe('fee-reduction over the people directory', () => {
  it('sends the manager level to the level-1 decider’s line manager and the head level to theirs', async () => {
    const t = await open(40_000);
    expect(holder(t, 'level1')).toEqual(['ann']);
    const atManager = (await engine.act('default', t.id, { type: 'approve', actor: { id: 'ann' } })).ticket;
    // ann is in billing-team-a, headed by max.
    expect(holder(atManager, 'manager')).toEqual(['max']);
    const manager = atManager.todos.find((d) => d.nodeId === 'manager');
    expect(manager?.people.remind).toEqual(['preferred', 'sms', 'email']);
    const atHead = (await engine.act('default', t.id, { type: 'approve', actor: { id: 'max' } })).ticket;
    // max is in billing, headed by dora: the department head.
    expect(holder(atHead, 'head')).toEqual(['dora']);
    const closed = (await engine.act('default', t.id, { type: 'approve', actor: { id: 'dora' } })).ticket;
    expect(closed.outcome).toBe('approved');
    expect(new Set(closed.todos.map((d) => d.decidedBy)).size).toBe(3);
    // What alert delivery sees for this ticket's recipients.
    const contacts = await dir.contacts('default', ['manager:decider:level1', 'manager:decider:manager'], recipientContext(closed));
    expect(contacts.map((c) => c.personId)).toEqual(['max', 'dora']);
    expect(reminderChannels(contacts[1] as never, ['preferred', 'voice', 'email'])).toEqual(['voice', 'email']);
  });

  it('falls back to the groups when the line manager is away, and never to someone who decided another level', async () => {
    const t = await open(40_000);
    await engine.act('default', t.id, { type: 'approve', actor: { id: 'ann' } });
    // bob's turn next at level 1; cid (team-b, explicit manager dora) decides this one instead.
    const second = await open(40_000);
    expect(holder(second, 'level1')).toEqual(['bob']);
    await engine.act('default', second.id, { type: 'reassign', todoId: second.todos[0]?.id as string, to: 'cid', actor: { id: 'bob' } });
    const atManager = (await engine.act('default', second.id, { type: 'approve', actor: { id: 'cid' } })).ticket;
    expect(holder(atManager, 'manager')).toEqual(['dora']);
    const atHead = (await engine.act('default', second.id, { type: 'approve', actor: { id: 'dora' } })).ticket;
    // dora has no manager: the department-heads group, where dora is barred (she decided the manager level).
    expect(holder(atHead, 'head')).toEqual(['hal']);
  });

  it('re-assigns when the assignee leaves, and assigns waiting todos when someone joins', async () => {
    keeper.start();
    const retries: AssignmentRetry[] = [];
    keeper.on('retry', (r) => retries.push(r));
    const t = await open(2_000);
    await engine.act('default', t.id, { type: 'approve', actor: { id: 'ann' } });
    expect(holder(await engine.get('default', t.id), 'manager')).toEqual(['max']);
    // max goes on leave: the todo goes to the billing-managers fallback; mia is inactive, so nobody is left.
    await dir.putPerson(
      'default',
      { id: 'max', name: 'Max', groups: ['billing-managers'], organisation: 'billing', active: false },
      'replace',
    );
    await keeper.idle();
    const released = await engine.get('default', t.id);
    expect(holder(released, 'manager')).toEqual([undefined]);
    expect(released.history.find((e) => e.action === 'release')).toMatchObject({ actor: 'system:assignment', detail: { person: 'max' } });
    expect((await engine.list('default', { unassigned: true })).items.map((x) => x.id)).toEqual([t.id]);
    // A retry that finds nobody writes nothing.
    const revision = released.revision;
    await keeper.sweep('default');
    expect((await engine.get('default', t.id)).revision).toBe(revision);
    // A new manager joins the group: the waiting todo is assigned at once.
    await dir.putPerson('default', { id: 'noa', groups: ['billing-managers'] }, 'create');
    await keeper.idle();
    expect(holder(await engine.get('default', t.id), 'manager')).toEqual(['noa']);
    expect(retries.map((r) => `${r.cause}:${r.result}`)).toEqual(['left:waiting', 'change:waiting', 'sweep:waiting', 'change:assigned']);
    await keeper.stop();
  });

  it('retries unassigned todos on the periodic sweep (a change made on another instance)', async () => {
    // This keeper hears no changes: they happen on another instance.
    const deaf = new AssignmentKeeper({ engine, directory: { on: () => () => {} }, clock, tenants: ['default'], intervalMs: 60_000 });
    deaf.start();
    await dir.putPerson('default', { id: 'max', groups: ['billing-managers'], organisation: 'billing', active: false }, 'replace');
    const t = await open(2_000);
    await engine.act('default', t.id, { type: 'approve', actor: { id: 'ann' } });
    expect(holder(await engine.get('default', t.id), 'manager')).toEqual([undefined]);
    await dir.putPerson('default', { id: 'max', groups: ['billing-managers'], organisation: 'billing' }, 'replace');
    clock.advance(59_999);
    await deaf.idle();
    expect(holder(await engine.get('default', t.id), 'manager')).toEqual([undefined]);
    clock.advance(1);
    await deaf.idle();
    expect(holder(await engine.get('default', t.id), 'manager')).toEqual(['max']);
    await deaf.stop();
  });

  it('resolves dynamic people expressions from ticket fields and the creator', async () => {
    const flows = new FlowCatalog(new MemoryFlowRepository());
    const e = new WorkflowEngine({ tickets: new MemoryTicketStore(), flows, clock, people: dir });
    await flows.deploy({
      id: 'account',
      version: 1,
      tenant: 'default',
      name: 'Account review',
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'owner', type: 'task', assignees: { expression: '"user:" + fields.accountManager' } },
        {
          id: 'boss',
          type: 'approval',
          assignees: { expression: '["manager:creator", "head:" + fields.department]', strategy: 'least-loaded' },
        },
        { id: 'end', type: 'end' },
      ],
      controls: [
        { from: 'start', to: 'owner' },
        { from: 'owner', to: 'boss' },
        { from: 'boss', on: 'approved', to: 'end' },
        { from: 'boss', on: 'rejected', to: 'end' },
      ],
    });
    const { ticket } = await e.createTicket({
      tenant: 'default',
      flowId: 'account',
      actor: { id: 'bob' },
      fields: { accountManager: 'cid', department: 'billing' },
    });
    expect(holder(ticket, 'owner')).toEqual(['cid']);
    const atBoss = (await e.act('default', ticket.id, { type: 'complete', actor: { id: 'cid' } })).ticket;
    // The creator bob's manager (max, 0 open todos) and billing's head (dora): least-loaded, ties by id.
    expect(holder(atBoss, 'boss')).toEqual(['dora']);
    const bad = await e.createTicket({
      tenant: 'default',
      flowId: 'account',
      actor: { id: 'bob' },
      fields: { accountManager: 'Ann Smith' },
    });
    expect(holder(bad.ticket, 'owner')).toEqual([undefined]);
    expect(bad.events.find((x) => x.type === 'todo.unassigned')).toMatchObject({ reason: expect.stringContaining('is not a people ref') });
  });
});
