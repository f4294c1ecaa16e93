import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../adapters/clock.js';
import type { AlertRequest, AlertSink } from '../../core/alerts.js';
import { silentLogger } from '../../core/logger.js';
import type { AlertRules } from '../policy/schema.js';
import { StaticRealtimeView } from '../signals/snapshot.js';
import { type CentreAlertSource, CentreAlertRunner, centreFacts } from './runner.js';

type State = ReturnType<CentreAlertSource['state']>;
const state = (level: 0 | 1 | 2 | 3, breakers: { id: string; state: string }[] = []): State =>
  ({
    levels: [
      { tenant: 'acme', level: 1, reason: 'calm', since: 0, override: null },
      { tenant: 'acme', skillGroup: 'billing', level, reason: 'longest wait 95 s', since: 0, override: null },
      { tenant: 'globex', level: 3, reason: 'not mine', since: 0, override: null },
    ],
    breakers: breakers.map((b) => ({ ...b, reason: 'error ratio 0.6', since: 0, k: 1, until: undefined, calls: 20, errors: 12 })),
    tenantBreakers: [],
  }) as unknown as State;

/** A sink that keeps one alert per tenant and id (the outbox's dedupe), shared by the instances of a test. */
function sharedSink(): AlertSink & { stored: AlertRequest[] } {
  const stored: AlertRequest[] = [];
  return {
    stored,
    async raise(alert) {
      if (stored.some((a) => a.tenant === alert.tenant && a.id === alert.id)) return false;
      stored.push(alert);
      return true;
    },
  };
}

describe('centre alert runner', () => {
  it('reads levels, breakers (not Sluice dependencies) and service levels of one tenant', () => {
    const facts = centreFacts(
      'acme',
      state(2, [
        { id: 'cti:cti-primary', state: 'open' },
        { id: 'clickhouse-sink', state: 'open' },
        { id: 'channel:chat', state: 'closed' },
      ]),
      [
        { tenant: 'acme', skillGroup: 'billing', serviceLevel: 0.6 } as never,
        { tenant: 'globex', skillGroup: 'x', serviceLevel: 0.1 } as never,
      ],
    );
    expect(facts).toEqual({
      tenant: 'acme',
      levels: [
        { scope: 'acme', level: 1, reason: 'calm' },
        { scope: 'billing', level: 2, reason: 'longest wait 95 s' },
      ],
      openBreakers: [{ id: 'cti:cti-primary', reason: 'error ratio 0.6' }],
      queues: [{ skillGroup: 'billing', serviceLevel: 0.6 }],
    });
  });

  it('two control instances evaluating the same facts raise one alert between them', async () => {
    const rules: AlertRules = { notify: ['group:on-duty-supervisors'], level: { atLeast: 'L2' } };
    const sink = sharedSink();
    let level: 0 | 1 | 2 | 3 = 1;
    const outcomes: boolean[] = [];
    const runners = [1, 2].map(
      () =>
        new CentreAlertRunner({
          service: { on: () => () => undefined, state: () => state(level), alertRules: () => new Map([['acme', rules]]) },
          realtime: new StaticRealtimeView(),
          sink,
          clock: new ManualClock(1_000),
          log: silentLogger,
          onRaised: (_k, stored) => outcomes.push(stored),
        }),
    );
    for (const r of runners) await r.run();
    expect(sink.stored).toEqual([]);
    level = 2;
    for (let tick = 0; tick < 3; tick++) for (const r of runners) await r.run();
    expect(sink.stored.map((a) => [a.id, a.kind, a.facts.scope])).toEqual([['level/L2', 'centre-level', 'billing']]);
    // One stored, one found the duplicate; neither raised again on later ticks.
    expect(outcomes).toEqual([true, false]);
  });

  it('tries again at the next tick when the outbox is unreachable', async () => {
    let down = true;
    const stored: AlertRequest[] = [];
    const runner = new CentreAlertRunner({
      service: {
        on: () => () => undefined,
        state: () => state(3),
        alertRules: () => new Map([['acme', { notify: ['user:ann'], level: { atLeast: 'L3' } } as AlertRules]]),
      },
      realtime: new StaticRealtimeView(),
      sink: {
        async raise(a) {
          if (down) throw new Error('Redis unreachable');
          stored.push(a);
          return true;
        },
      },
      clock: new ManualClock(0),
      log: silentLogger,
    });
    await runner.run();
    down = false;
    await runner.run();
    await runner.run();
    expect(stored.map((a) => a.id)).toEqual(['level/L3']);
  });
});
