import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../adapters/bus/memory.js';
import type { TelemetryEvent } from '../pipelines/events/types.js';
import { TrafficSimulation } from './model.js';
import { buildScenario } from './scenario.js';
import { busSink, ndjsonSink } from './sinks.js';

describe('busSink (the EventPublisher of the in-process bus and of Kafka)', () => {
  it('creates the four topics and publishes each event to its source topic, keyed by tenant and entity', async () => {
    const bus = new MemoryBus();
    const sink = await busSink(bus, { topicPrefix: 'tr', partitions: 2 });
    const events = [...new TrafficSimulation(buildScenario({ seed: 3, start: Date.UTC(2026, 0, 12, 9), minutes: 20, tenants: ['acme'] }))];
    await sink.send(events);
    const logged = (topic: string) => [0, 1].flatMap((p) => bus.log(topic, p));
    for (const source of ['agent', 'extension', 'skillgroup', 'interval'] as const) {
      const want = events.filter((e) => e.source === source);
      const got = logged(`tr.${source}`);
      expect(got.length).toBe(want.length);
      expect(new Set(got.map((m) => (JSON.parse(m.value.toString()) as TelemetryEvent).id))).toEqual(new Set(want.map((e) => e.id)));
    }
    const call = logged('tr.skillgroup')[0]!;
    expect(call.key).toMatch(/^acme\|(sales|support|billing)$/);
    await sink.close();
  });
});

describe('ndjsonSink', () => {
  const e: TelemetryEvent = { v: 1, tenant: 'acme', source: 'extension', id: 'e1', ts: 1, body: { extension: 'x1', state: 'IDLE' } };

  it('writes one JSON event per line and waits for drain when the stream asks', async () => {
    const chunks: string[] = [];
    const listeners = new Map<string, () => void>();
    const out = {
      write: (c: string) => (chunks.push(c), false),
      on: (ev: string, fn: () => void) => void listeners.set(ev, fn),
      off: (ev: string) => void listeners.delete(ev),
    };
    const sent = ndjsonSink(out).send([e, { ...e, id: 'e2' }]);
    let done = false;
    void sent.then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    listeners.get('drain')!();
    await sent;
    expect(
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as TelemetryEvent).id),
    ).toEqual(['e1', 'e2']);
  });

  it('fails every send once the stream failed', async () => {
    let onError: ((err?: Error) => void) | undefined;
    const sink = ndjsonSink({ write: () => true, on: (ev, fn) => void (ev === 'error' && (onError ??= fn)) });
    onError!(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    await expect(sink.send([e])).rejects.toThrow('EPIPE');
  });
});
