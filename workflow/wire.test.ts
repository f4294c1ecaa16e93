import { describe, expect, it } from 'vitest';
import { ManualClock, runFor } from '../adapters/clock.js';
import type { CallbackTicketRequest } from '../core/messages.js';
import { callbackTicketId } from './callback.js';
import { MemoryHistory } from './history/memory.js';
import type { SlaFiring, TicketStateChange } from './metrics.js';
import { MemoryPeopleDirectory } from './people/memory.js';
import { createWorkflow, shippedFlows } from './wire.js';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const MIN = 60_000;
const request: CallbackTicketRequest = {
  tenant: 'acme',
  callId: 'call-1',
  skillGroup: 'billing',
  priority: 'high',
  reason: 'L2: agent queue over limit',
  decisionId: 'd-42',
};

describe('createWorkflow (in-memory)', () => {
  it('deploys the shipped flows for each tenant on start, once', async () => {
    const clock = new ManualClock(T0);
    const wf = await createWorkflow({ clock, instanceId: 'i1', tenants: ['acme', 'globex'] });
    await wf.start();
    await wf.start();
    expect(shippedFlows().map((d) => d.id)).toEqual(['callback', 'fee-reduction']);
    for (const tenant of ['acme', 'globex'])
      expect((await wf.catalog.repo.list(tenant)).map((f) => `${f.id}@${f.latestVersion}`)).toEqual(['callback@1', 'fee-reduction@1']);
    expect(await wf.catalog.repo.list('default')).toEqual([]);
    expect(wf.history).toBeInstanceOf(MemoryHistory);
    expect(await wf.ping()).toBe(true);
    await wf.stop();
  });

  it('turns control-loop diversions into one callback ticket per decision, and reports states and SLA firings', async () => {
    const clock = new ManualClock(T0);
    const people = new MemoryPeopleDirectory().add('acme', { id: 'cal', groups: ['callback-agents'] });
    const wf = await createWorkflow({ clock, instanceId: 'i1', tenants: ['acme'], people });
    const states: TicketStateChange[] = [];
    const firings: SlaFiring[] = [];
    const off = wf.observe({ ticketState: (c) => states.push(c), slaFired: (f) => firings.push(f) });
    await wf.start();

    await wf.callbackTickets.create(request);
    await wf.callbackTickets.create(request);
    await wf.callbackTickets.create({ ...request, decisionId: 'd-43', priority: 'low', callId: 'call-2' });
    const page = await wf.engine.list('acme', { flowId: 'callback' });
    expect(page.items.map((t) => [t.id, t.nodeId, t.todos[0]?.assignee])).toEqual([
      ['cb-d-42', 'urgent', 'cal'],
      ['cb-d-43', 'callback', 'cal'],
    ]);
    expect(page.items[0]).toMatchObject({
      origin: { kind: 'control', callId: 'call-1', channel: 'callback', skillGroup: 'billing' },
      fields: { priority: 'high', decisionId: 'd-42' },
    });
    expect(await wf.ticketCounts('acme')).toEqual({ active: 2, paused: 0, closed: 0 });

    await runFor(clock, 16 * MIN);
    expect(firings.map((f) => [f.kind, f.level, f.channel, f.latenessMs])).toEqual([
      ['warning', 1, 'message', 0],
      ['breach', 0, 'sms', 0],
    ]);
    await wf.engine.act('acme', 'cb-d-42', { type: 'complete', actor: { id: 'cal' } });
    expect(states).toEqual([
      { tenant: 'acme', flowId: 'callback', to: 'active' },
      { tenant: 'acme', flowId: 'callback', to: 'active' },
      { tenant: 'acme', flowId: 'callback', from: 'active', to: 'closed' },
    ]);
    const rows = await wf.history.breachRate({ tenant: 'acme', from: T0, to: clock.now() + 1, by: 'node' });
    expect(rows).toEqual([{ flowId: 'callback', nodeId: 'urgent', clocks: 1, breached: 1, rate: 1, warnings: 1 }]);
    off();
    await wf.stop();
  });

  it('derives a safe ticket id from any decision id', () => {
    expect(callbackTicketId('d-1')).toBe('cb-d-1');
    expect(callbackTicketId('a/b c')).toMatch(/^cb-[0-9a-f]{32}$/);
    expect(callbackTicketId('a/b c')).toBe(callbackTicketId('a/b c'));
  });

  it('lets errors other than "exists" through from the callback port', async () => {
    const wf = await createWorkflow({ clock: new ManualClock(T0), instanceId: 'i1', tenants: ['acme'] });
    await expect(wf.callbackTickets.create({ ...request, tenant: 'nobody' })).rejects.toMatchObject({
      code: 'SLUICE_ERR_NO_MATCHING_FLOW',
    });
    await wf.stop();
  });
});
