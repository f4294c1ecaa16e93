/**
 * `npm run bench:pipeline`: end to end from real Kafka topics (agent, extension, skill group, interval)
 * through all four pipelines into ClickHouse (chDB, in-process) with one worker, beside a bare kafkajs
 * consumer that only parses the same messages, in the same run; then event-to-queryable latency at
 * half the measured rate. The traffic is the seeded model of simulator/ (eight tenants, three skill
 * groups each, agents with shifts and breaks). Prints one JSON object on its last line and rewrites
 * bench/pipeline/RESULTS.md.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaBus } from '../../adapters/bus/kafka.js';
import { systemClock } from '../../adapters/clock.js';
import { connectClickHouse, type ClickHouse } from '../../adapters/clickhouse/connect.js';
import type { EncodedInsert } from '../../adapters/clickhouse/encoded-insert.js';
import { SOURCES, type Source, type TelemetryEvent } from '../../pipelines/events/types.js';
import { ClickHouseTelemetryStore } from '../../pipelines/store/clickhouse.js';
import { topicFor } from '../../pipelines/topics.js';
import { TrafficSimulation } from '../../simulator/model.js';
import { buildScenario } from '../../simulator/scenario.js';
import { busSink } from '../../simulator/sinks.js';
import { createPipelineWorker, type PipelineWindows } from '../../pipelines/wire.js';
import { startKafka } from '../../services/kafka.js';
import { machineInfo, otherProcessCpuMs, percentile, processCpuMs } from '../machine.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 300_000);
const PARTITIONS = 6;
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 20);
const TENANTS = Array.from({ length: 8 }, (_, i) => `t${i}`);
/** Sources fed (default all four): `BENCH_SOURCES=skillgroup` measures the skill-group pipeline alone. */
const FED: readonly Source[] = (() => {
  const names = (process.env.BENCH_SOURCES ?? SOURCES.join(',')).split(',').map((x) => x.trim());
  for (const n of names)
    if (!(SOURCES as readonly string[]).includes(n))
      throw new Error(`BENCH_SOURCES: unknown source "${n}" (expected some of ${SOURCES.join(', ')})`);
  return names as Source[];
})();
/** The windows of every pipeline the worker runs (app/main.ts builds the same worker through pipelines/wire.ts). */
const WINDOWS: PipelineWindows = {
  serviceLevelMs: 20_000,
  shortAbandonMs: 5_000,
  outOfOrdernessMs: 5_000,
  allowedLatenessMs: 600_000,
  intervalMinutes: 15,
};

/** The first `n` events (of the fed sources) of a seeded simulation of eight tenants, all in the past. */
function traffic(n: number, seed: number): TelemetryEvent[] {
  // About ten events per call over the four sources (three of them skill-group events): enough calls for n events.
  const perCall = FED.length === 1 && FED[0] === 'skillgroup' ? 3 : 10;
  const minutes = Math.ceil(n / (TENANTS.length * 2_400 * perCall)) * 60 + 60;
  const start = Math.floor(Date.now() / 3_600_000) * 3_600_000 - (minutes + 60) * 60_000;
  const sim = new TrafficSimulation(buildScenario({ seed, start, minutes, tenants: TENANTS, callsPerHour: 2_400 }));
  const out: TelemetryEvent[] = [];
  for (const e of sim) {
    if (FED.includes(e.source)) out.push(e);
    if (out.length >= n) break;
  }
  if (out.length < n) throw new Error(`the simulation gave ${out.length} events, fewer than ${n}`);
  return out;
}

async function produce(bus: KafkaBus, prefix: string, events: TelemetryEvent[]): Promise<void> {
  const sink = await busSink(bus, { topicPrefix: prefix, partitions: PARTITIONS });
  for (let i = 0; i < events.length; i += 5_000) await sink.send(events.slice(i, i + 5_000));
}

/** What one consumer run measured, from the start of its first batch until its last event was handled. */
interface Run {
  eventsPerSec: number;
  /** CPU of this process (every thread) and of the broker over the run, µs per event. */
  cpuUsPerEvent: number;
  brokerCpuUsPerEvent: number | undefined;
}

/** All the CPU a run cost per event, µs: this process's and the broker's. */
const cpuUs = (r: Run) => r.cpuUsPerEvent + (r.brokerCpuUsPerEvent ?? 0);

/** Starts the clocks of a {@link Run} (call when the first batch arrives); `finish` stops them. */
function runClock(n: number, brokerPid: number | undefined): { finish(): Run } {
  const t0 = performance.now();
  const cpu0 = processCpuMs();
  const broker0 = otherProcessCpuMs(brokerPid);
  return {
    finish() {
      const ms = performance.now() - t0;
      const broker1 = otherProcessCpuMs(brokerPid);
      return {
        eventsPerSec: (n / ms) * 1000,
        cpuUsPerEvent: ((processCpuMs() - cpu0) * 1000) / n,
        brokerCpuUsPerEvent: broker0 === undefined || broker1 === undefined ? undefined : ((broker1 - broker0) * 1000) / n,
      };
    },
  };
}

async function bareConsumer(brokers: string, brokerPid: number | undefined, topics: string[], n: number): Promise<Run> {
  const kafka = new Kafka({ clientId: 'bench-bare', brokers: [brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bare-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  let seen = 0;
  let clock: ReturnType<typeof runClock> | undefined;
  const done = new Promise<Run>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch, resolveOffset }) => {
        clock ??= runClock(n, brokerPid);
        for (const m of batch.messages) {
          JSON.parse(m.value!.toString());
          seen++;
        }
        resolveOffset(batch.lastOffset());
        if (seen >= n) resolve(clock.finish());
      },
    });
  });
  const run = await done;
  await consumer.disconnect();
  return run;
}

/**
 * CPU this process spends, µs per event, inserting `inserts` again one after another into a fresh copy
 * of the schema (same bodies, formats and settings): ClickHouse's own share of the worker's run — parsing
 * the rows and writing the parts — which no change in Sluice's JavaScript can remove.
 */
async function replayInserts(ch: ClickHouse, inserts: readonly EncodedInsert[], events: number): Promise<number> {
  const database = 'bench_replay';
  await ch.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await ClickHouseTelemetryStore.open({ ...ch, database }, { rawTtlDays: 30 });
  const cpu0 = processCpuMs();
  for (const insert of inserts)
    await ch.insertEncoded({ ...insert, table: `${database}.${insert.table.slice(insert.table.indexOf('.') + 1)}` });
  return ((processCpuMs() - cpu0) * 1000) / events;
}

/** With BENCH_CPU_PROFILE=<file>, a CPU profile of the Sluice worker's run (open it in Chrome DevTools). */
async function startProfile(): Promise<{ stop(): Promise<void> } | undefined> {
  const file = process.env.BENCH_CPU_PROFILE;
  if (!file) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      console.error(`CPU profile of the worker run written to ${file}`);
    },
  };
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const kafka = await startKafka({ log: (l) => console.error(`[kafka] ${l}`) });
  const bus = new KafkaBus({ brokers: [kafka.brokers], clientId: 'bench' });
  const ch = await connectClickHouse({ kind: 'chdb', path: ':memory:' }, 'bench');
  // Rows written per table while the worker runs: how much each event turns into.
  const written = new Map<string, number>();
  let counting = false;
  // The inserts of the worker run, replayed afterwards to measure what ClickHouse alone spends on them.
  const inserts: EncodedInsert[] = [];
  const recording: ClickHouse = {
    ...ch,
    insertEncoded: (insert) => {
      if (counting) inserts.push(insert);
      return ch.insertEncoded(insert);
    },
  };
  const store = await ClickHouseTelemetryStore.open(recording, {
    rawTtlDays: 30,
    observe: (table, rows) => counting && written.set(table, (written.get(table) ?? 0) + rows),
  });
  try {
    const prefix = `bench${Date.now()}`;
    const topics = SOURCES.map((src) => topicFor(src, prefix));
    const events = traffic(EVENTS, 3);
    const bySource = Object.fromEntries(SOURCES.map((src) => [src, events.filter((e) => e.source === src).length]));
    console.error(`producing ${EVENTS} events to ${topics.join(', ')} (${PARTITIONS} partitions each): ${JSON.stringify(bySource)}…`);
    await produce(bus, prefix, events);

    // The bare consumer reads the topics before and after the Sluice worker: the machine's speed drifts
    // (and the broker is still busy just after the produce), so the ratio is taken against the mean.
    console.error('bare kafkajs consumer (parse only)…');
    const bareBefore = await bareConsumer(kafka.brokers, kafka.pid, topics, EVENTS);

    console.error('Sluice worker (decode, raw events, all four pipelines, ClickHouse inserts, commits)…');
    // Timed like the bare consumer: from the arrival of the first batch until the last event is handled.
    let clock: ReturnType<typeof runClock> | undefined;
    const worker = createPipelineWorker({
      bus,
      store,
      clock: systemClock,
      groupId: `${prefix}-g`,
      topicPrefix: prefix,
      windows: WINDOWS,
      observer: { batch: () => void (clock ??= runClock(EVENTS, kafka.pid)) },
    });
    const lag: { second: number; lag: number }[] = [];
    const profile = await startProfile();
    counting = true;
    await worker.start();
    let started = 0;
    while (worker.handled < EVENTS) {
      await new Promise((r) => setTimeout(r, 5));
      if (clock && started === 0) started = performance.now();
      if (started > 0 && performance.now() - started >= lag.length * 1000) lag.push({ second: lag.length, lag: EVENTS - worker.handled });
    }
    const sluice = clock!.finish();
    const rate = sluice.eventsPerSec;
    await profile?.stop();
    await worker.stop();
    counting = false;
    // A fast run that lost or doubled events would measure nothing: check every tenant's raw count.
    for (const t of TENANTS) {
      const stored = await store.countEvents(t);
      const expected = events.filter((e) => e.tenant === t).length;
      if (stored !== expected) throw new Error(`tenant ${t}: ${stored} raw events stored, ${expected} produced`);
    }
    console.error('every produced event is stored exactly once');
    console.error('bare kafkajs consumer again…');
    const bareAfter = await bareConsumer(kafka.brokers, kafka.pid, topics, EVENTS);
    const bareRate = (bareBefore.eventsPerSec + bareAfter.eventsPerSec) / 2;
    console.error(`ClickHouse alone: the worker's ${inserts.length} inserts again, one after another, into empty tables…`);
    const clickhouseUsPerEvent = await replayInserts(ch, inserts, EVENTS);

    // Event-to-queryable latency at half the measured rate: from produce until the worker has stored
    // the event's raw row in ClickHouse and handed it to the real-time state. The model's events are
    // sent in their order, stamped with the time they are sent.
    const target = Math.max(100, Math.floor(rate / 2));
    console.error(`latency at ${target} events/s for ${LATENCY_SECONDS} s…`);
    const latencies: number[] = [];
    const live = createPipelineWorker({
      bus,
      store,
      clock: systemClock,
      groupId: `${prefix}-live`,
      topicPrefix: `${prefix}live`,
      windows: WINDOWS,
      onEvents: (evs) => {
        const now = Date.now();
        for (const e of evs) latencies.push(now - e.ts);
      },
    });
    const liveEvents = traffic(Math.ceil(target * LATENCY_SECONDS * 1.1), 4);
    const sink = await busSink(bus, { topicPrefix: `${prefix}live`, partitions: PARTITIONS });
    await live.start();
    const tickMs = 50;
    const perTick = Math.max(1, Math.round((target * tickMs) / 1000));
    let i = 0;
    const until = Date.now() + LATENCY_SECONDS * 1000;
    while (Date.now() < until && i < liveEvents.length) {
      const tickStart = Date.now();
      const batch = liveEvents.slice(i, i + perTick).map((e) => ({ ...e, id: `live-${e.id}`, ts: tickStart }) as TelemetryEvent);
      i += batch.length;
      await sink.send(batch);
      await new Promise((r) => setTimeout(r, Math.max(0, tickMs - (Date.now() - tickStart))));
    }
    const sent = i;
    while (live.handled < sent) await new Promise((r) => setTimeout(r, 100));
    await live.stop();

    const sluiceTotal = cpuUs(sluice);
    const floor = {
      kafka: (bareBefore.cpuUsPerEvent + bareAfter.cpuUsPerEvent) / 2,
      broker: sluice.brokerCpuUsPerEvent ?? 0,
      clickhouse: clickhouseUsPerEvent,
      total: 0,
    };
    floor.total = floor.kafka + floor.broker + floor.clickhouse;
    const result = {
      eventsPerSec: Math.round(rate),
      bareConsumerEventsPerSec: Math.round(bareRate),
      ratio: Math.round((rate / bareRate) * 1000) / 1000,
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
    };
    const doc = [
      '# pipeline benchmark',
      '',
      'Regenerated by `npm run bench:pipeline` (bench/pipeline/run.ts); do not edit by hand.',
      '',
      `- Date: ${machine.date}`,
      `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.os}, load average at start ${machine.loadAverage.join(' / ')}`,
      `- Node ${machine.node}; Apache Kafka ${'4.1.1'} (one KRaft broker on loopback); ClickHouse via chDB in-process`,
      '',
      '## What runs',
      '',
      `${EVENTS.toLocaleString('en')} events of the seeded traffic model (simulator/: eight tenants, three skill groups each,`,
      `agents with shifts and breaks) pre-produced to the four source topics, ${PARTITIONS} partitions each`,
      `(${SOURCES.map((src) => `${src} ${bySource[src]!.toLocaleString('en')}`).join(', ')}), read by:`,
      '',
      '- **bare**: a kafkajs consumer that only parses each message (`JSON.parse`), run before and after the worker;',
      '- **sluice**: one `PipelineWorker` with all four pipelines: decode + validate, raw events to ClickHouse',
      '  (dedup token per insert), skill-group windows (dedup, watermarks, 1-minute raw sums, sliding 5/60-minute',
      '  figures), agent and extension state time per minute and per 15-minute interval, vendor interval reports;',
      '  every changed row to ClickHouse, commits held behind open windows.',
      '',
      `Latency: events produced at half the measured rate (${target}/s) for ${LATENCY_SECONDS} s; latency is from produce`,
      'until the worker has stored the raw row in ClickHouse and handed the event to the real-time state.',
      '',
      '| figure | value |',
      '| --- | ---: |',
      `| sluice events/s | ${result.eventsPerSec.toLocaleString('en')} |`,
      `| bare consumer events/s (mean of a run before and one after the worker's) | ${result.bareConsumerEventsPerSec.toLocaleString('en')} (${Math.round(bareBefore.eventsPerSec).toLocaleString('en')}, ${Math.round(bareAfter.eventsPerSec).toLocaleString('en')}) |`,
      `| ratio | ${result.ratio} |`,
      `| latency p50 / p99 | ${result.latencyP50Ms} ms / ${result.latencyP99Ms} ms |`,
      '',
      '## CPU per event',
      '',
      'CPU time used over each run (from its first batch to its last event), per event: this process (every thread:',
      'JavaScript, garbage collection, kafkajs, and ClickHouse, which runs in-process as chDB) and the Kafka broker.',
      `With ${machine.cores} cores, a run that needs C µs of CPU per event cannot go faster than ${machine.cores} × 10⁶ / C events/s`,
      '(the ceiling below); the events per core-second are what sizing starts from.',
      '',
      '| run | events/s | process µs/event | broker µs/event | ceiling events/s | events per core-second |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...(
        [
          ['bare, before', bareBefore],
          ['sluice', sluice],
          ['bare, after', bareAfter],
        ] as const
      ).map(
        ([name, r]) =>
          `| ${name} | ${Math.round(r.eventsPerSec).toLocaleString('en')} | ${r.cpuUsPerEvent.toFixed(1)} | ${r.brokerCpuUsPerEvent?.toFixed(1) ?? 'n/a'} | ${Math.round((machine.cores * 1e6) / cpuUs(r)).toLocaleString('en')} | ${Math.round(1e6 / cpuUs(r)).toLocaleString('en')} |`,
      ),
      '',
      `Where the worker's ${sluiceTotal.toFixed(1)} µs per event go, and the least any implementation needs:`,
      '',
      '| part | µs/event |',
      '| --- | ---: |',
      `| Kafka fetch, decode and \`JSON.parse\` in this process (the bare consumer's, mean of its two runs) | ${floor.kafka.toFixed(1)} |`,
      `| the broker | ${floor.broker.toFixed(1)} |`,
      `| ClickHouse inserting the worker's rows (its inserts replayed one after another into empty tables) | ${floor.clickhouse.toFixed(1)} |`,
      `| **floor: the three above** (at most ${Math.round((machine.cores * 1e6) / floor.total).toLocaleString('en')} events/s on ${machine.cores} cores) | **${floor.total.toFixed(1)}** |`,
      `| the rest: Sluice's own work (validation, windows, rows, commits) and its garbage collection | ${(sluiceTotal - floor.total).toFixed(1)} |`,
      '',
      '## Rows written by the worker run',
      '',
      'Agents and extensions get a row per minute and per interval while they are staffed (time in each state), plus',
      'early rows of open minutes and late corrections (pipelines/timelines/README.md): with this traffic about as many',
      'rows as events, and the cost of a row, not of an event, sets much of the rate.',
      '',
      '| table | rows | per event |',
      '| --- | ---: | ---: |',
      ...[...written]
        .sort((a, b) => b[1] - a[1])
        .map(([table, n]) => `| ${table} | ${n.toLocaleString('en')} | ${(n / EVENTS).toFixed(2)} |`),
      '',
      '## Consumer lag during the sluice run (events not yet handled, per second)',
      '',
      '| second | lag |',
      '| ---: | ---: |',
      ...lag
        .filter((_, k) => k % Math.max(1, Math.ceil(lag.length / 30)) === 0)
        .map((l) => `| ${l.second} | ${l.lag.toLocaleString('en')} |`),
      '',
      '```json',
      JSON.stringify(result),
      '```',
      '',
    ].join('\n');
    writeFileSync(new URL('./RESULTS.md', import.meta.url), doc);
    console.log(
      `floor: kafka ${floor.kafka.toFixed(1)} + broker ${floor.broker.toFixed(1)} + clickhouse ${floor.clickhouse.toFixed(1)} = ${floor.total.toFixed(1)} µs/event, at most ${Math.round((machine.cores * 1e6) / floor.total)} events/s on ${machine.cores} cores`,
    );
    console.log(
      `CPU per event: sluice ${sluice.cpuUsPerEvent.toFixed(1)} µs (broker ${sluice.brokerCpuUsPerEvent?.toFixed(1) ?? 'n/a'}), bare ${bareBefore.cpuUsPerEvent.toFixed(1)} / ${bareAfter.cpuUsPerEvent.toFixed(1)} µs (broker ${bareBefore.brokerCpuUsPerEvent?.toFixed(1) ?? 'n/a'} / ${bareAfter.brokerCpuUsPerEvent?.toFixed(1) ?? 'n/a'})`,
    );
    console.log(
      `sluice ${result.eventsPerSec} events/s, bare ${result.bareConsumerEventsPerSec} events/s, ratio ${result.ratio}, latency p50 ${result.latencyP50Ms} ms p99 ${result.latencyP99Ms} ms`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await bus.close();
    await store.close();
    await kafka.stop();
  }
}

await main();
