import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory.js';
import { ManualClock, runFor } from '../../adapters/clock.js';
import type { TelemetryEvent } from '../events/types.js';
import { EventPublisher } from '../publisher.js';
import { embeddedBusLimit, embeddedIngest } from './embedded-ingest.js';
import { Gauge, Registry } from 'prom-client';

const events = (n: number, from = 0): TelemetryEvent[] =>
  Array.from({ length: n }, (_, i) => ({
    v: 1,
    tenant: 'acme',
    source: 'extension',
    id: `e${from + i}`,
    ts: 1,
    body: { extension: 'x1', state: 'IDLE' },
  }));

/** The embedded wiring over a bus nobody reads: the test says how many events are stored. */
async function rig() {
  const clock = new ManualClock(1_000_000);
  const bus = new MemoryBus();
  await bus.ensureTopics([{ topic: 'sluice.extension', partitions: 1 }]);
  const publisher = new EventPublisher(await bus.producer());
  const lines: { level: number; msg: string; lost?: number }[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as (typeof lines)[number]) });
  const c = { stored: 0 };
  // The app's Metrics in miniature: a registry and gauges read at scrape time.
  const registry = new Registry();
  const metrics = {
    registry,
    gauge: (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      }),
  };
  // 400 events/s assumed × 2 s × 0.5: 400 events may wait.
  const e = embeddedIngest({
    config: { shutdownTimeoutMs: 2_000, ingestMaxPending: 100_000, ingestTenantShare: 0.5 },
    bus,
    publisher,
    stored: () => c.stored,
    metrics,
    log,
    clock,
  });
  /** Lets timers and promises run: `ms` of manual time in 20 ms steps. */
  const run = (ms: number) => runFor(clock, ms, 20);
  return { clock, bus, publisher, lines, c, metrics, e, run };
}

describe('embeddedIngest', () => {
  it("the simulator's batches wait for room and are published whole, never dropped", async () => {
    const { publisher, c, e, run } = await rig();
    await e.publishWhenAdmitted(events(300));
    let done = false;
    const waiting = e.publishWhenAdmitted(events(300, 300)).then(() => (done = true));
    await run(500);
    expect(done).toBe(false);
    expect(publisher.published).toBe(300);
    c.stored = 300;
    await run(200);
    await waiting;
    expect(publisher.published).toBe(600);
  });

  it('a graceful stop waits until every accepted event is stored, and says so', async () => {
    const { lines, c, e, clock, run } = await rig();
    await e.publishWhenAdmitted(events(100));
    let drained: boolean | undefined;
    const draining = e.drain(clock.now() + 2_000).then((ok) => (drained = ok));
    await run(300);
    expect(drained).toBeUndefined();
    c.stored = 100;
    await run(100);
    await draining;
    expect(drained).toBe(true);
    expect(lines.at(-1)).toMatchObject({ level: 30, msg: 'every accepted event is stored' });
  });

  it('logs at error level how many accepted events are lost when the deadline passes first', async () => {
    const { lines, c, e, clock, run } = await rig();
    await e.publishWhenAdmitted(events(100));
    c.stored = 40;
    const draining = e.drain(clock.now() + 1_000);
    await run(1_200);
    expect(await draining).toBe(false);
    expect(lines.at(-1)).toMatchObject({ level: 50, lost: 60 });
    expect(lines.at(-1)!.msg).toMatch(/^shutdown deadline passed: 60 accepted events were not stored and are lost/);
  });

  it('exposes the backlog, its bound and the bus size as metrics', async () => {
    const { e, metrics } = await rig();
    await e.publishWhenAdmitted(events(50));
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^sluice_ingest_pending_events 50$/m);
    expect(text).toMatch(/^sluice_ingest_pending_limit_events 400$/m);
    expect(text).toMatch(/^sluice_bus_messages 50$/m);
    expect(text).toMatch(/^sluice_ingest_backlog_refusals_total 0$/m);
  });

  it('sizes the in-process bus at twice the ceiling, and never below two whole requests', () => {
    expect(embeddedBusLimit(100_000)).toBe(200_000);
    expect(embeddedBusLimit(100)).toBe(10_000);
  });
});
