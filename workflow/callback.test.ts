import { describe, expect, it } from 'vitest';
import { ManualClock } from '../adapters/clock.js';
import type { CallbackTicketRequest } from '../core/messages.js';
import { shippedFlows, createWorkflow } from './wire.js';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const request: CallbackTicketRequest = {
  tenant: 'acme',
  callId: 'call-1',
  skillGroup: 'billing',
  priority: 'normal',
  reason: 'L3: agent queue over limit',
  decisionId: 'd-1',
};

/** The shipped callback flow under another id, with other triggers (a tenant's own callback flow). */
function callbackFlow(id: string, triggers: object[]): object {
  const shipped = shippedFlows().find((f) => f.id === 'callback');
  if (!shipped) throw new Error('the shipped callback flow is missing');
  return { ...shipped, id, tenant: 'acme', triggers };
}

async function started() {
  const wf = await createWorkflow({ clock: new ManualClock(T0), instanceId: 'i1', tenants: ['acme'] });
  await wf.start();
  await wf.catalog.deploy(callbackFlow('callback-disputes', [{ diversion: 'callback', trajectory: ['main', '**', 'fee-*'] }]));
  await wf.catalog.deploy(callbackFlow('callback-cards', [{ diversion: 'callback', intent: ['card_lost', 'card_stolen'] }]));
  return wf;
}

describe('callback tickets carry the call context of the route request', () => {
  it('keeps the intent and IVR trajectory on the ticket, in its origin and its fields', async () => {
    const wf = await started();
    await wf.callbackTickets.create({ ...request, intent: 'balance', ivrTrajectory: ['main', 'accounts'] });
    const t = await wf.engine.get('acme', 'cb-d-1');
    // No narrower trigger matches this intent or path: the shipped callback flow takes it.
    expect(t.flow.id).toBe('callback');
    expect(t.origin).toEqual({
      kind: 'control',
      callId: 'call-1',
      channel: 'callback',
      skillGroup: 'billing',
      intent: 'balance',
      trajectory: ['main', 'accounts'],
    });
    expect(t.fields).toEqual({
      callId: 'call-1',
      skillGroup: 'billing',
      priority: 'normal',
      reason: 'L3: agent queue over limit',
      decisionId: 'd-1',
      intent: 'balance',
      ivrTrajectory: ['main', 'accounts'],
    });
    await wf.stop();
  });

  it('picks the flow whose trigger matches the IVR trajectory or the intent, the plain callback flow otherwise', async () => {
    const wf = await started();
    await wf.callbackTickets.create({ ...request, decisionId: 'd-path', ivrTrajectory: ['main', 'billing', 'fee-dispute'] });
    await wf.callbackTickets.create({ ...request, decisionId: 'd-intent', intent: 'card_stolen' });
    await wf.callbackTickets.create({ ...request, decisionId: 'd-none' });
    await wf.callbackTickets.create({ ...request, decisionId: 'd-empty', intent: '', ivrTrajectory: [] });
    const flowOf = async (id: string) => (await wf.engine.get('acme', id)).flow.id;
    expect(await flowOf('cb-d-path')).toBe('callback-disputes');
    expect(await flowOf('cb-d-intent')).toBe('callback-cards');
    expect(await flowOf('cb-d-none')).toBe('callback');
    // An empty intent or path is no context: nothing of it is stored.
    const empty = await wf.engine.get('acme', 'cb-d-empty');
    expect(empty.flow.id).toBe('callback');
    expect(empty.origin).toEqual({ kind: 'control', callId: 'call-1', channel: 'callback', skillGroup: 'billing' });
    expect(Object.keys(empty.fields ?? {}).sort()).toEqual(['callId', 'decisionId', 'priority', 'reason', 'skillGroup']);
    await wf.stop();
  });
});
