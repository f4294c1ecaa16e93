/**
 * A policy change reaches every control instance even when one missed its announcement (a subscription
 * reconnecting, a read that kept failing): each instance reads every policy again periodically.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, runFor, settle } from '../adapters/clock.js';
import { MemoryStateStore } from '../adapters/state/memory.js';
import { DEFAULT_POLICY } from './policy/defaults.js';
import { FlakyStore, calm, harness } from './testing/harness.js';
import type { Harness } from './testing/harness.js';

let open: Harness[] = [];
afterEach(async () => {
  for (const h of open) await h.svc.stop();
  open = [];
});

const nodes = [{ name: 'sbc-east', weight: 1, role: 'primary' as const }];
const vip = (i: number) => ({ tenant: 'acme', callId: `c${i}`, skillGroup: 'care', priority: 'vip' as const });

describe('policies across control instances', () => {
  it('an instance that missed the announcement of a change applies it at its next periodic reload', async () => {
    const clock = new ManualClock(1_000_000);
    const shared = new MemoryStateStore(clock);
    const flaky = new FlakyStore(shared);
    // B's subscription can go deaf while every call to the store still works (a subscription being re-made).
    let deaf = false;
    flaky.subscribe = (c: string, fn: (m: string) => void) => shared.subscribe(c, (m) => (deaf ? undefined : fn(m)));
    const a = harness({ clock, store: shared, instanceId: 'a', tenants: ['acme'] });
    const b = harness({ clock, store: flaky, view: a.view, instanceId: 'b', tenants: ['acme'] });
    a.view.set([calm('acme', 'care', clock.now())]);
    open.push(a, b);
    await a.svc.start();
    await b.svc.start();
    await settle();

    const deployed = b.svc.route(vip(0)).ctiNode;
    expect(deployed).not.toBe('sbc-east');
    deaf = true;
    await a.svc.putPolicy('acme', { ...DEFAULT_POLICY, ctiNodes: nodes }, { author: 'ops' });
    await runFor(clock, 3_000, 100);
    deaf = false;
    expect(a.svc.route(vip(1)).ctiNode).toBe('sbc-east');
    // B did not hear of it: it still routes by the deployment's nodes.
    a.view.set([calm('acme', 'care', clock.now())]);
    expect([deployed, 'b']).toContain(b.svc.route(vip(2)).ctiNode);

    // Within the reload period (30 s) B routes by the new policy too.
    await runFor(clock, 30_000, 1_000);
    a.view.set([calm('acme', 'care', clock.now())]);
    expect(b.svc.route(vip(3)).ctiNode).toBe('sbc-east');
  });

  it('a change announced while a read fails once is read again shortly after, not at the periodic reload', async () => {
    const clock = new ManualClock(1_000_000);
    const shared = new MemoryStateStore(clock);
    const flaky = new FlakyStore(shared);
    const a = harness({ clock, store: shared, instanceId: 'a', tenants: ['acme'] });
    const b = harness({ clock, store: flaky, view: a.view, instanceId: 'b', tenants: ['acme'] });
    a.view.set([calm('acme', 'care', clock.now())]);
    open.push(a, b);
    await a.svc.start();
    await b.svc.start();
    await settle();

    // B hears the announcement, but its first read back fails: it tries again 100 ms later.
    const get = flaky.getFields.bind(flaky);
    let failures = 1;
    flaky.getFields = (k: string) => (failures-- > 0 ? Promise.reject(new Error('timed out')) : get(k));
    await a.svc.putPolicy('acme', { ...DEFAULT_POLICY, ctiNodes: nodes }, { author: 'ops' });
    await runFor(clock, 500, 50);
    expect(failures).toBeLessThan(0);
    expect(b.svc.route(vip(1)).ctiNode).toBe('sbc-east');
  });
});
