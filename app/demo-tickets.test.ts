import { describe, expect, it } from 'vitest';
import { ManualClock, runFor } from '../adapters/clock.js';
import { createWorkflow } from '../workflow/wire.js';
import { QUICK_SLA_FLOW, startDemoTickets } from './demo-tickets.js';

const T0 = Date.parse('2026-12-07T09:00:00Z');

describe('the demo ticket traffic', () => {
  it('moves fee-reduction requests through both approval levels and completes quick checks, without a failed step', async () => {
    const clock = new ManualClock(T0);
    const wf = await createWorkflow({ clock, instanceId: 'demo', tenants: ['demo'], demoDirectory: true });
    await wf.start();
    const warnings: string[] = [];
    const log = {
      info: () => {},
      error: () => {},
      warn: (o: { err?: string }, msg: string) => warnings.push(`${msg}: ${o.err ?? ''}`),
    } as unknown as Parameters<typeof startDemoTickets>[0]['log'];
    const stop = startDemoTickets({
      engine: wf.engine,
      clock,
      tenants: ['demo'],
      log,
      quickSla: { warningMs: 90_000, deploy: (doc) => wf.catalog.deploy(doc, { tenant: String(doc.tenant) }) },
    });
    await runFor(clock, 60 * 60_000, 5_000);
    stop();

    expect(warnings).toEqual([]);
    const fee = await wf.engine.list('demo', { flowId: 'fee-reduction' }, undefined, 200);
    const actions = fee.items.flatMap((t) => t.history.map((h) => `${h.action}@${h.node}`));
    // Large amounts go on to a manager: someone other than who decided the first level decides there.
    expect(
      actions.some((a) => /^(approve|reject)@manager$/.test(a)),
      actions.join(' '),
    ).toBe(true);
    for (const t of fee.items) {
      const deciders = t.history.filter((h) => h.action === 'approve' || h.action === 'reject').map((h) => h.actor);
      expect(new Set(deciders).size).toBe(deciders.length);
    }
    const quick = await wf.engine.list('demo', { flowId: QUICK_SLA_FLOW, state: 'closed' }, undefined, 200);
    expect(quick.items.length).toBeGreaterThan(5);
    await wf.stop();
  }, 30_000);
});
