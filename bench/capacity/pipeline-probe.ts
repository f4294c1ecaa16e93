/**
 * A probe of the pipelines' capacity: one pipeline worker as `startSluice` builds it (all four
 * pipelines, the in-process bus, ClickHouse through chDB in process), fed traffic-model events
 * at an offered rate for a few seconds of wall time. Sustained when, at the end, the backlog is
 * at most one second of input and the backlog never exceeded two seconds (p99 of samples every
 * 100 ms).
 */
import { MemoryBus } from '../../adapters/bus/memory.js';
import { systemClock } from '../../adapters/clock.js';
import { connectClickHouse } from '../../adapters/clickhouse/connect.js';
import { SOURCES, type TelemetryEvent } from '../../pipelines/events/types.js';
import { EventPublisher } from '../../pipelines/publisher.js';
import { ClickHouseTelemetryStore } from '../../pipelines/store/clickhouse.js';
import { topicFor } from '../../pipelines/topics.js';
import { createPipelineWorker } from '../../pipelines/wire.js';
import { percentile } from '../machine.js';
import { TrafficSimulation } from '../../simulator/model.js';
import { buildScenario } from '../../simulator/scenario.js';
import type { Probe } from './search.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A pipeline worker with its store, ready to be probed; `close()` when done. */
export interface PipelineRig {
  readonly probe: Probe;
  close(): Promise<void>;
}

/**
 * Starts the worker (wall clock) and a traffic model of `tenants` tenants at `callsPerHour`
 * each, started a day ago so every event time is in the past.
 */
export async function startPipelineRig(o: {
  seconds: number;
  tenants?: number;
  callsPerHour?: number;
  partitions?: number;
  now?: number;
}): Promise<PipelineRig> {
  const now = o.now ?? systemClock.now();
  const bus = new MemoryBus();
  const prefix = 'cap';
  await bus.ensureTopics(SOURCES.map((s) => ({ topic: topicFor(s, prefix), partitions: o.partitions ?? 3 })));
  const ch = await connectClickHouse({ kind: 'chdb', path: ':memory:' }, 'capacity');
  const store = await ClickHouseTelemetryStore.open(ch, { rawTtlDays: 30 });
  const worker = createPipelineWorker({
    bus,
    store,
    clock: systemClock,
    groupId: 'cap',
    topicPrefix: prefix,
    windows: { outOfOrdernessMs: 5_000, allowedLatenessMs: 600_000, serviceLevelMs: 20_000, shortAbandonMs: 5_000, intervalMinutes: 15 },
  });
  await worker.start();
  const producer = await bus.producer();
  const publisher = new EventPublisher(producer, prefix);
  const tenants = Array.from({ length: o.tenants ?? 20 }, (_, i) => `cap${i}`);
  const model = new TrafficSimulation(
    buildScenario({ seed: 5, start: now - 86_400_000, minutes: 23 * 60, tenants, callsPerHour: o.callsPerHour ?? 3_600 }),
  )[Symbol.iterator]();
  const take = (n: number): TelemetryEvent[] => {
    const out: TelemetryEvent[] = [];
    for (let r = model.next(); out.length < n && !r.done; r = out.length < n ? model.next() : r) out.push(r.value);
    return out;
  };

  const probe: Probe = async (rate) => {
    const events = take(Math.ceil(rate * o.seconds));
    if (events.length < rate * o.seconds)
      throw new Error(`the traffic model ran out of events at ${rate}/s: use more tenants or a shorter probe`);
    const start = worker.handled;
    const t0 = performance.now();
    const backlogSec: number[] = [];
    let sent = 0;
    while (sent < events.length) {
      const due = Math.min(events.length, Math.floor(((performance.now() - t0) / 1000) * rate));
      if (due > sent) {
        await publisher.publish(events.slice(sent, due));
        sent = due;
      }
      backlogSec.push((sent - (worker.handled - start)) / rate);
      await sleep(100);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const backlog = events.length - (worker.handled - start);
    const achieved = Math.round((worker.handled - start) / elapsed);
    const p99 = percentile(backlogSec, 99);
    // Let the backlog drain before the next probe (bounded).
    const drainUntil = performance.now() + 60_000;
    while (worker.handled - start < events.length && performance.now() < drainUntil) await sleep(50);
    const sustained = backlog <= rate && p99 <= 2;
    return {
      rate,
      sustained,
      achieved,
      p99Ms: Math.round(p99 * 1000),
      ...(sustained ? {} : { reason: `backlog ${backlog} events at the end, p99 ${p99.toFixed(1)} s behind` }),
    };
  };
  return {
    probe,
    async close() {
      await worker.stop();
      await producer.close();
      await bus.close();
      await store.close();
    },
  };
}
