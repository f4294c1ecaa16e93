/**
 * `npm run bench:pipeline`: end to end from a real Kafka topic through the pipelines into ClickHouse
 * (chDB, in-process) with one worker, beside a bare kafkajs consumer that only parses the same
 * messages, in the same run; then event-to-queryable latency at half the measured rate. Prints one
 * JSON object on its last line and rewrites bench/pipeline/RESULTS.md.
 */
import { writeFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaBus } from '../../adapters/bus/kafka.js';
import { systemClock } from '../../adapters/clock.js';
import { connectClickHouse } from '../../adapters/clickhouse/connect.js';
import type { SkillGroupEvent, TelemetryEvent } from '../../pipelines/events/types.js';
import { skillGroupPipeline } from '../../pipelines/skillgroup/factory.js';
import { seededRandom } from '../../adapters/random.js';
import { ClickHouseTelemetryStore } from '../../pipelines/store/clickhouse.js';
import { partitionKey } from '../../pipelines/topics.js';
import { PipelineWorker } from '../../pipelines/worker.js';
import { startKafka } from '../../services/kafka.js';
import { machineInfo, percentile } from '../machine.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 300_000);
const PARTITIONS = 6;
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 20);
const TYPES = ['OFFERED', 'ANSWERED', 'ABANDONED', 'COMPLETED'] as const;

function makeEvent(i: number, ts: number, rand: () => number): SkillGroupEvent {
  return {
    v: 1, tenant: `t${i % 8}`, source: 'skillgroup', id: `b-${i}`, ts,
    body: { skillGroup: `sg${Math.floor(rand() * 40)}`, callId: `c${i >> 2}`, type: TYPES[i % 4]!, waitMs: Math.floor(rand() * 60_000), talkMs: Math.floor(rand() * 300_000) },
  };
}

async function produce(bus: KafkaBus, topic: string, events: TelemetryEvent[]): Promise<void> {
  const p = await bus.producer();
  for (let i = 0; i < events.length; i += 5_000) {
    await p.send(topic, events.slice(i, i + 5_000).map((e) => ({ key: partitionKey(e.tenant, (e as SkillGroupEvent).body.skillGroup), value: JSON.stringify(e), timestamp: e.ts })));
  }
  await p.close();
}

async function bareConsumer(brokers: string, topic: string, n: number): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench-bare', brokers: [brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bare-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let t0 = 0;
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch, resolveOffset }) => {
        if (t0 === 0) t0 = performance.now();
        for (const m of batch.messages) {
          JSON.parse(m.value!.toString());
          seen++;
        }
        resolveOffset(batch.lastOffset());
        if (seen >= n) resolve(performance.now() - t0);
      },
    });
  });
  const ms = await done;
  await consumer.disconnect();
  return (n / ms) * 1000;
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const kafka = await startKafka({ log: (l) => console.error(`[kafka] ${l}`) });
  const bus = new KafkaBus({ brokers: [kafka.brokers], clientId: 'bench' });
  const ch = await connectClickHouse({ kind: 'chdb', path: ':memory:' }, 'bench');
  const store = await ClickHouseTelemetryStore.open(ch, { rawTtlDays: 30 });
  try {
    const prefix = `bench${Date.now()}`;
    const topic = `${prefix}.skillgroup`;
    await bus.ensureTopics(['agent', 'extension', 'skillgroup', 'interval'].map((s) => ({ topic: `${prefix}.${s}`, partitions: PARTITIONS })));
    const rand = seededRandom(3);
    const start = Date.now() - 30 * 60_000;
    const events = Array.from({ length: EVENTS }, (_, i) => makeEvent(i, start + Math.floor((i / EVENTS) * 25 * 60_000), rand));
    console.error(`producing ${EVENTS} events to ${topic} (${PARTITIONS} partitions)…`);
    await produce(bus, topic, events);

    console.error('bare kafkajs consumer (parse only)…');
    const bareRate = await bareConsumer(kafka.brokers, topic, EVENTS);

    console.error('Sluice worker (decode, raw events, windows, ClickHouse inserts, commits)…');
    const pipelineOpts = { serviceLevelMs: 20_000, shortAbandonMs: 5_000, outOfOrdernessMs: 5_000, allowedLatenessMs: 600_000 };
    const worker = new PipelineWorker({ bus, store, clock: systemClock, groupId: `${prefix}-g`, topicPrefix: prefix, pipelines: { skillgroup: skillGroupPipeline(pipelineOpts) } });
    const lag: { second: number; lag: number }[] = [];
    let t0 = 0;
    await worker.start();
    while (worker.handled < EVENTS) {
      await new Promise((r) => setTimeout(r, 250));
      if (t0 === 0 && worker.handled > 0) t0 = performance.now();
      if (t0 > 0 && (lag.length === 0 || performance.now() - t0 >= lag.length * 1000)) lag.push({ second: lag.length, lag: EVENTS - worker.handled });
    }
    const rate = (EVENTS / (performance.now() - t0)) * 1000;
    await worker.stop();
    // A fast run that lost or doubled events would measure nothing: check every tenant's raw count.
    for (let t = 0; t < 8; t++) {
      const stored = await store.countEvents(`t${t}`);
      const expected = events.filter((e) => e.tenant === `t${t}`).length;
      if (stored !== expected) throw new Error(`tenant t${t}: ${stored} raw events stored, ${expected} produced`);
    }
    console.error('every produced event is stored exactly once');

    // Event-to-queryable latency at half the measured rate: from produce until the worker has stored
    // the event's raw row in ClickHouse and handed it to the real-time state.
    const target = Math.max(100, Math.floor(rate / 2));
    console.error(`latency at ${target} events/s for ${LATENCY_SECONDS} s…`);
    const latencies: number[] = [];
    const live = new PipelineWorker({
      bus, store, clock: systemClock, groupId: `${prefix}-live`, topicPrefix: `${prefix}live`, pipelines: { skillgroup: skillGroupPipeline(pipelineOpts) },
      onEvents: (evs) => {
        const now = Date.now();
        for (const e of evs) latencies.push(now - e.ts);
      },
    });
    await bus.ensureTopics(['agent', 'extension', 'skillgroup', 'interval'].map((s) => ({ topic: `${prefix}live.${s}`, partitions: PARTITIONS })));
    await live.start();
    const producer = await bus.producer();
    const tickMs = 50;
    const perTick = Math.max(1, Math.round((target * tickMs) / 1000));
    let i = 0;
    const until = Date.now() + LATENCY_SECONDS * 1000;
    while (Date.now() < until) {
      const tickStart = Date.now();
      const batch = Array.from({ length: perTick }, () => makeEvent(EVENTS + i++, Date.now(), rand));
      await producer.send(`${prefix}live.skillgroup`, batch.map((e) => ({ key: partitionKey(e.tenant, e.body.skillGroup), value: JSON.stringify(e), timestamp: e.ts })));
      await new Promise((r) => setTimeout(r, Math.max(0, tickMs - (Date.now() - tickStart))));
    }
    const sent = i;
    while (live.handled < sent) await new Promise((r) => setTimeout(r, 100));
    await producer.close();
    await live.stop();

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
      `${EVENTS.toLocaleString('en')} skill-group events pre-produced to one topic with ${PARTITIONS} partitions, read by:`,
      '',
      '- **bare**: a kafkajs consumer that only parses each message (`JSON.parse`);',
      '- **sluice**: one `PipelineWorker`: decode + validate, raw events to ClickHouse (dedup token per insert),',
      '  the skill-group pipeline (dedup, watermarks, 1-minute windows of raw sums, sliding 5/60-minute figures),',
      '  minute rows to ClickHouse, commits held behind open windows.',
      '',
      `Latency: events produced at half the measured rate (${target}/s) for ${LATENCY_SECONDS} s; latency is from produce`,
      'until the worker has stored the raw row in ClickHouse and handed the event to the real-time state.',
      '',
      '| figure | value |',
      '| --- | ---: |',
      `| sluice events/s | ${result.eventsPerSec.toLocaleString('en')} |`,
      `| bare consumer events/s | ${result.bareConsumerEventsPerSec.toLocaleString('en')} |`,
      `| ratio | ${result.ratio} |`,
      `| latency p50 / p99 | ${result.latencyP50Ms} ms / ${result.latencyP99Ms} ms |`,
      '',
      '## Consumer lag during the sluice run (events not yet handled, per second)',
      '',
      '| second | lag |',
      '| ---: | ---: |',
      ...lag.filter((_, k) => k % Math.max(1, Math.ceil(lag.length / 30)) === 0).map((l) => `| ${l.second} | ${l.lag.toLocaleString('en')} |`),
      '',
      '```json',
      JSON.stringify(result),
      '```',
      '',
    ].join('\n');
    writeFileSync(new URL('./RESULTS.md', import.meta.url), doc);
    console.log(`sluice ${result.eventsPerSec} events/s, bare ${result.bareConsumerEventsPerSec} events/s, ratio ${result.ratio}, latency p50 ${result.latencyP50Ms} ms p99 ${result.latencyP99Ms} ms`);
    console.log(JSON.stringify(result));
  } finally {
    await bus.close();
    await store.close();
    await kafka.stop();
  }
}

await main();
