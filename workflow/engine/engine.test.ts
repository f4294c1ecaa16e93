import { beforeEach, describe, expect, it } from 'vitest';
import { runFor } from '../../adapters/clock.js';
import type { Actor } from '../definition/permissions.js';
import { isSluiceError } from '../../core/errors.js';
import type { MemoryTimerStore } from '../sla/memory-timer-store.js';
import { TimerService } from '../sla/timer-service.js';
import { createHarness, type Harness } from '../testing/harness.js';
import { PLAYGROUND_YAML } from '../testing/flows.js';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const MIN = 60_000;
const ann: Actor = { id: 'ann' };
const bob: Actor = { id: 'bob' };
const sue: Actor = { id: 'sue', roles: ['supervisor'] };

let h: Harness;
beforeEach(async () => {
  h = createHarness(T0);
  h.people.add(
    'acme',
    { id: 'rae', groups: ['reviewers'] },
    { id: 'ray', groups: ['reviewers'] },
    { id: 'roy', groups: ['reviewers'], active: false },
  );
  await h.flows.deploy(PLAYGROUND_YAML);
});

const QUICK_YAML = `
id: quick
version: 1
tenant: acme
name: Quick
nodes:
  - { id: start, type: start }
  - { id: work, type: task, assignees: { user: ann }, sla: { duration: 1h, warnings: [{ delay: 30m, channel: message }] } }
  - { id: end, type: end }
controls:
  - { from: start, to: work }
  - { from: work, to: end }
`;

/**
 * Makes the timer store fail every write after the first `writes` (the instance killed, or its store gone, at that
 * point); returns the function that brings it back.
 */
function dieAfterTimerWrites(store: MemoryTimerStore, writes: number, message: string): () => void {
  const methods = ['cancel', 'schedule', 'replace'] as const;
  const target = store as unknown as Record<string, unknown>;
  let n = 0;
  for (const name of methods) {
    const original = (store[name] as (...args: unknown[]) => Promise<unknown>).bind(store);
    target[name] = async (...args: unknown[]) => {
      if (n++ >= writes) throw new Error(message);
      return original(...args);
    };
  }
  return () => {
    for (const name of methods) delete target[name];
  };
}

/** Opens a playground ticket and completes intake, so it waits at `review`. */
async function atReview(): Promise<string> {
  const { ticket } = await h.engine.createTicket({ tenant: 'acme', flowId: 'playground', actor: ann });
  await h.engine.act('acme', ticket.id, { type: 'complete', actor: ann });
  await h.engine.act('acme', ticket.id, { type: 'complete', actor: bob });
  return ticket.id;
}

describe('WorkflowEngine', () => {
  it('assigns todos when a ticket is opened and when it moves', async () => {
    const { ticket, events } = await h.engine.createTicket({ tenant: 'acme', flowId: 'playground', actor: ann, title: 'Refund' });
    expect(ticket.revision).toBe(1);
    expect(ticket.todos.map((t) => t.assignee)).toEqual(['ann', 'bob']);
    expect(events.filter((e) => e.type === 'todo.assigned')).toHaveLength(2);
    const id = await atReview();
    const t = await h.engine.get('acme', id);
    // Two approvals from one pool go to two different people; the inactive reviewer is skipped.
    expect(t.todos.filter((d) => d.nodeId === 'review').map((d) => d.assignee)).toEqual(['rae', 'ray']);
  });

  it('lets exactly one of concurrent actions on a ticket win; the others get the conflict error', async () => {
    const id = await atReview();
    const { revision } = await h.engine.get('acme', id);
    const attempts = await Promise.allSettled([
      h.engine.act('acme', id, { type: 'reject', actor: { id: 'rae' } }, { expectedRevision: revision }),
      h.engine.act('acme', id, { type: 'approve', actor: { id: 'ray' } }, { expectedRevision: revision }),
      h.engine.act('acme', id, { type: 'comment', actor: sue, text: 'looking' }, { expectedRevision: revision }),
      h.engine.act('acme', id, { type: 'pause', actor: sue, status: 'waiting_for_customer' }),
    ]);
    const won = attempts.filter((a) => a.status === 'fulfilled');
    const lost = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((l) => isSluiceError(l.reason, 'SLUICE_ERR_TICKET_CONFLICT'))).toEqual([true, true, true]);
    expect(lost[0]?.reason).toMatchObject({ status: 409, retriable: true });
    const after = await h.engine.get('acme', id);
    expect(after.revision).toBe(revision + 1);
    expect(after.history.filter((e) => e.revision === revision + 1)).toHaveLength(1);
  });

  it('refuses a write based on a stale revision before running it', async () => {
    const id = await atReview();
    await expect(h.engine.act('acme', id, { type: 'comment', actor: sue, text: 'x' }, { expectedRevision: 1 })).rejects.toThrow(
      /is at revision 3, not 1: re-read and retry/,
    );
  });

  it('keeps tenants apart', async () => {
    const id = await atReview();
    await expect(h.engine.get('globex', id)).rejects.toMatchObject({ code: 'SLUICE_ERR_TICKET_NOT_FOUND' });
    await expect(h.engine.act('globex', id, { type: 'comment', actor: sue, text: 'x' })).rejects.toMatchObject({
      code: 'SLUICE_ERR_TICKET_NOT_FOUND',
    });
    await expect(h.engine.createTicket({ tenant: 'globex', flowId: 'playground', actor: sue })).rejects.toMatchObject({
      code: 'SLUICE_ERR_FLOW_NOT_FOUND',
    });
    expect((await h.engine.list('globex')).items).toEqual([]);
    expect((await h.engine.list('acme', { nodeId: 'review' })).items.map((t) => t.id)).toEqual([id]);
  });

  it('opens a ticket for a caller the control loop diverted', async () => {
    const { ticket } = await h.engine.createFromDiversion({
      tenant: 'acme',
      callId: 'c-9',
      channel: 'callback',
      level: 'L2',
      skillGroup: 'billing',
    });
    expect(ticket.origin).toEqual({ kind: 'control', callId: 'c-9', channel: 'callback', level: 'L2', skillGroup: 'billing' });
    expect(ticket.history[0]?.actor).toBe('system:control-loop');
    await expect(h.engine.createFromDiversion({ tenant: 'acme', callId: 'c-9', channel: 'chat' })).rejects.toThrow(
      'no flow of tenant "acme" is triggered by diversion "chat"',
    );
  });

  it('keeps running tickets on their version after a hot deploy, and migrates on request', async () => {
    const id = await atReview();
    await h.flows.deploy(PLAYGROUND_YAML.replace('version: 1', 'version: 2').replace('duration: 1h', 'duration: 3h'));
    const fresh = await h.engine.createTicket({ tenant: 'acme', flowId: 'playground', actor: ann });
    expect(fresh.ticket.flow.version).toBe(2);
    expect((await h.engine.get('acme', id)).flow.version).toBe(1);
    await expect(h.flows.deploy(PLAYGROUND_YAML)).rejects.toMatchObject({ code: 'SLUICE_ERR_FLOW_VERSION_EXISTS' });
    const { ticket } = await h.engine.migrate('acme', id, { actor: sue });
    expect(ticket.flow.version).toBe(2);
    expect(ticket.sla?.policy.durationMs).toBe(180 * MIN);
    expect(h.timers.size).toBe(2);
  });

  it('cancels timers while paused, reschedules on resume, and drops them at the end', async () => {
    const id = await atReview();
    expect(h.timers.size).toBe(2);
    await h.engine.act('acme', id, { type: 'pause', actor: sue, status: 'waiting_for_customer' });
    expect(h.timers.size).toBe(0);
    await h.engine.act('acme', id, { type: 'resume', actor: sue });
    expect(h.timers.size).toBe(2);
    await h.engine.act('acme', id, { type: 'reject', actor: { id: 'rae' } });
    // Only the notify node's message is left, due at once.
    expect(h.timers.size).toBe(1);
    const fired = await h.service.tick();
    expect(fired.map((f) => [f.timer.kind, f.timer.channel, f.timer.recipients])).toEqual([['notify', 'sms', ['customer']]]);
    expect(h.timers.size).toBe(0);
  });

  it('puts right the timers of a ticket stored without them, when its create is sent again', async () => {
    await h.flows.deploy(QUICK_YAML);
    // A ticket without its timers (stored by a Sluice that wrote them separately and died between the two, or whose
    // timer keys were lost): the client's resend of the create is what repairs it.
    const req = { tenant: 'acme', flowId: 'quick', actor: ann, id: 'call-1' };
    await h.engine.createTicket(req);
    expect(await h.timers.cancel('acme', 'call-1')).toBe(2);
    expect(h.timers.size).toBe(0);
    // The balancer sends the create again: the ticket is there (409), and now so are its warning and breach.
    const again = await h.engine.createTicket(req).catch((err: unknown) => err);
    expect(isSluiceError(again, 'SLUICE_ERR_TICKET_EXISTS')).toBe(true);
    expect(h.timers.size).toBe(2);
    h.clock.advance(61 * MIN);
    const fired = await h.service.tick();
    expect(fired.map((f) => [f.timer.ticketId, f.timer.kind])).toEqual([
      ['call-1', 'warning'],
      ['call-1', 'breach'],
    ]);
    // A third send changes nothing: fired timers never fire again.
    await h.engine.createTicket(req).catch(() => undefined);
    expect(h.timers.size).toBe(0);
  });

  it('keeps the later timers of a ticket when the instance recording an alert on it dies while re-syncing its timers', async () => {
    await h.flows.deploy(QUICK_YAML);
    const { ticket } = await h.engine.createTicket({ tenant: 'acme', flowId: 'quick', actor: ann });
    expect(h.timers.size).toBe(2);
    h.clock.advance(31 * MIN);
    expect((await h.service.tick()).map((f) => f.timer.kind)).toEqual(['warning']);
    // The warning's delivery is written to the ticket's history (a write: the ticket's timers are synced after it), and
    // the instance doing it is killed right after its first timer-store write. Cancelling the old timers and scheduling
    // the new ones as two writes left the ticket with no breach timer (topology CI: 2 of 180 SLA notifications lost).
    const revive = dieAfterTimerWrites(h.timers, 1, 'killed');
    await h.engine.recordAlert('acme', ticket.id, 'sent', { alertId: 'x' }).catch(() => undefined);
    revive();
    expect(h.timers.size).toBe(1);
    h.clock.advance(30 * MIN);
    expect((await h.service.tick()).map((f) => [f.timer.ticketId, f.timer.kind])).toEqual([[ticket.id, 'breach']]);
  });

  it('moves a ticket and its SLA timers in one store write: nothing written after the ticket can leave the old node’s timers', async () => {
    await h.flows.deploy(`
id: two-step
version: 1
tenant: acme
name: Two steps
nodes:
  - { id: start, type: start }
  - { id: first, type: task, assignees: { user: ann }, sla: { duration: 1h, warnings: [{ delay: 30m, channel: message }] } }
  - { id: second, type: task, assignees: { user: bob }, sla: { duration: 4h, warnings: [{ delay: 2h, channel: sms }] } }
  - { id: end, type: end }
controls:
  - { from: start, to: first }
  - { from: first, to: second }
  - { from: second, to: end }
`);
    const { ticket } = await h.engine.createTicket({ tenant: 'acme', flowId: 'two-step', actor: ann });
    // The instance is killed right after the ticket's write: any timer write of its own after it never happens.
    const revive = dieAfterTimerWrites(h.timers, 0, 'killed');
    const moved = await h.engine.act('acme', ticket.id, { type: 'complete', actor: ann });
    revive();
    expect(moved.ticket.nodeId).toBe('second');
    h.clock.advance(5 * 60 * MIN);
    const fired = await h.service.tick();
    expect(fired.map((f) => [f.timer.nodeId, f.timer.kind, f.timer.revision])).toEqual([
      ['second', 'warning', moved.ticket.revision],
      ['second', 'breach', moved.ticket.revision],
    ]);
  });

  it('fires timers that fell due while no instance ran, marked late, once', async () => {
    await atReview();
    h.clock.advance(2 * 60 * MIN);
    const restarted = new TimerService({ store: h.timers, notifier: { notify: async () => undefined }, clock: h.clock });
    const fired = await restarted.tick();
    expect(fired.map((f) => [f.timer.kind, f.late, f.latenessMs / MIN])).toEqual([
      ['warning', true, 90],
      ['breach', true, 60],
    ]);
    expect(await restarted.tick()).toEqual([]);
  });

  it('leaves a todo unassigned when everyone is at capacity, and assigns it once someone frees up', async () => {
    h.people.add('acme', { id: 'rae', groups: ['reviewers'], capacity: 1 }, { id: 'ray', groups: ['reviewers'], capacity: 1 });
    const first = await atReview();
    const second = await h.engine.createTicket({ tenant: 'acme', flowId: 'playground', actor: ann });
    await h.engine.act('acme', second.ticket.id, { type: 'complete', actor: ann });
    const { ticket, events } = await h.engine.act('acme', second.ticket.id, { type: 'complete', actor: bob });
    expect(ticket.todos.filter((t) => t.nodeId === 'review').map((t) => t.assignee)).toEqual([undefined, undefined]);
    expect(events.filter((e) => e.type === 'todo.unassigned')).toHaveLength(2);
    await h.engine.act('acme', first, { type: 'reject', actor: { id: 'rae' } });
    const retried = await h.engine.assignPending('acme', second.ticket.id);
    expect(retried.ticket.todos.filter((t) => t.nodeId === 'review').map((t) => t.assignee)).toEqual(['rae', 'ray']);
    const unchanged = await h.engine.assignPending('acme', second.ticket.id);
    expect(unchanged.ticket.revision).toBe(retried.ticket.revision);
  });

  it('runs the SLA warning of the playground on time through the timer service', async () => {
    h.service.start();
    const id = await atReview();
    await runFor(h.clock, 61 * MIN);
    expect(h.sent.map((s) => [s.kind, s.channel, (s.at - T0) / MIN, s.recipients])).toEqual([
      ['warning', 'message', 30, ['user:rae', 'user:ray']],
      ['breach', 'log', 60, ['user:rae', 'user:ray']],
    ]);
    await h.service.stop();
    expect((await h.engine.get('acme', id)).state).toBe('active');
  });
});
