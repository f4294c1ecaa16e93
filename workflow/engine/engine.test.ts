import { beforeEach, describe, expect, it } from 'vitest';
import { runFor } from '../../adapters/clock.js';
import type { Actor } from '../definition/permissions.js';
import { isSluiceError } from '../../core/errors.js';
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
