import { describe, expect, it } from 'vitest';
import { ManualClock, settle } from '../adapters/clock.js';
import { MemoryStateStore } from '../adapters/state/memory.js';
import { authHeader, testServer } from '../test/support/server.js';
import { calm } from './testing/harness.js';
import { controlRoutes } from './http/routes.js';
import { StaticRealtimeView } from './signals/snapshot.js';
import { InMemoryCallbackTickets } from './tickets/tickets.js';
import { createControl } from './wire.js';

describe('createControl', () => {
  it('builds a working instance from the composition root’s parts, and its routes register on an app', async () => {
    const clock = new ManualClock(1_000_000);
    const callbackTickets = new InMemoryCallbackTickets();
    const logs: string[] = [];
    const control = createControl({
      clock,
      stateStore: new MemoryStateStore(clock),
      realtime: new StaticRealtimeView([calm('acme', 'care', clock.now())]),
      engineHealth: { consumerLagMs: () => 0, insertLatencyMs: () => 10 },
      callbackTickets,
      instanceId: 'host-1',
      tenants: ['initech'],
      ctiNodes: { primary: 'p', backup: 'q' },
      log: {
        info: (_f, msg) => logs.push(`info ${msg}`),
        warn: (_f, msg) => logs.push(`warn ${msg}`),
        error: (_f, msg) => logs.push(`error ${msg}`),
      },
      tuning: { tickMs: 500, leaseMs: 2_000 },
    });
    await control.start();
    expect(control.service.knows('initech')).toBe(true);
    expect(control.service.route({ tenant: 'acme', callId: 'c', skillGroup: 'care', priority: 'normal' })).toMatchObject({
      target: 'agent',
      ctiNode: 'p',
    });
    control.service.pin({ tenant: 'acme' }, 3, 10_000, 'test');
    const diverted = control.service.route({ tenant: 'acme', callId: 'c2', skillGroup: 'care', priority: 'low' });
    expect(diverted.target).toBe('keypad_ivr');
    clock.advance(500);
    await settle();
    expect(callbackTickets.list().map((t) => t.decisionId)).toEqual([diverted.decisionId]);
    expect(control.service.stats().log).toMatchObject({ dropped: 0 });
    const app = await testServer((a) => a.register(controlRoutes, control.routes));
    expect(
      (await app.inject({ url: '/v1/control/state?tenant=acme', headers: authHeader(app, '*:admin') })).json().levels[0],
    ).toMatchObject({ tenant: 'acme', level: 3 });
    await app.close();
    await control.stop();
    expect(control.service.stats().log).toMatchObject({ buffered: 0, written: 3 });
    expect(logs.filter((l) => l.startsWith('error'))).toEqual([]);
  });
});
