import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../adapters/clock.js';
import { asteriskQueueLogDecoder } from '../decoders/asterisk-queue-log.js';
import type { TelemetryEvent } from '../events/types.js';
import { Collector, type CollectorRejection, type LineSource, type SourceLine } from './collector.js';

const NOW = 1_718_100_000_000;

/** An in-memory file: lines appended, read from a cursor; the position is the next line's index. */
class MemoryLines implements LineSource<number> {
  readonly lines: string[] = [];
  cursor = 0;
  async read(max: number): Promise<SourceLine<number>[]> {
    const out: SourceLine<number>[] = [];
    while (this.cursor < this.lines.length && out.length < max) {
      const i = this.cursor++;
      out.push({ text: this.lines[i]!, offset: i * 100, fileId: 'f1', after: i + 1 });
    }
    return out;
  }
}

const enter = (c: number) => `1718000${String(c).padStart(3, '0')}|1718000000.${c}|sales|NONE|ENTERQUEUE||555|1`;
/** CONNECT with a ring time: three events from one line. */
const connect = (c: number) => `1718000${String(c).padStart(3, '0')}|1718000000.${c}|sales|PJSIP/1|CONNECT|5|x.${c}|2`;

function setup(batchSize = 4) {
  const clock = new ManualClock(NOW);
  const source = new MemoryLines();
  const sent: TelemetryEvent[][] = [];
  const saved: number[] = [];
  const rejected: CollectorRejection[] = [];
  let failures = 0;
  const collector = new Collector<number>({
    source,
    decoder: asteriskQueueLogDecoder,
    clock,
    tenant: 'acme',
    batchSize,
    sink: {
      send: async (events) => {
        if (failures > 0) {
          failures--;
          throw new Error('connection refused');
        }
        sent.push(events);
      },
    },
    positions: { save: async (p) => void saved.push(p) },
    onRejected: (r) => void rejected.push(r),
  });
  return { clock, source, sent, saved, rejected, collector, failWith: (n: number) => (failures = n) };
}

describe('Collector', () => {
  it('publishes in batches without splitting a line, saves the position after each, counts ignored and refused lines', async () => {
    const s = setup(4);
    s.source.lines.push(
      enter(1),
      connect(1),
      enter(2),
      '1718000003|NONE|NONE|NONE|QUEUESTART|',
      '1718000004|1.1|sales|PJSIP/1|CONNECT|',
      enter(3),
    );
    expect(await s.collector.drain()).toBe(6);
    expect(s.sent.map((b) => b.length)).toEqual([4, 1, 1]);
    expect(s.saved).toEqual([2, 4, 6]);
    expect(s.collector.counts).toMatchObject({ lines: 6, events: 6, ignored: 1, rejected: 1, batches: 3, retries: 0 });
    expect(s.rejected).toEqual([
      expect.objectContaining({ fileId: 'f1', offset: 400, code: 'truncated', line: '1718000004|1.1|sales|PJSIP/1|CONNECT|' }),
    ]);
  });

  it('ids come from the file, the offset and the line: the same line at another offset is another event', async () => {
    const s = setup(10);
    s.source.lines.push(enter(1), enter(1));
    await s.collector.drain();
    const [a, b] = s.sent[0]!;
    expect(a!.id).not.toBe(b!.id);
    const again = setup(10);
    again.source.lines.push(enter(1), enter(1));
    await again.collector.drain();
    expect(again.sent[0]!.map((e) => e.id)).toEqual([a!.id, b!.id]);
  });

  it('retries a failed publish with a doubling backoff, and saves nothing until it went through', async () => {
    const s = setup(10);
    s.source.lines.push(enter(1));
    s.failWith(2);
    const done = s.collector.drain();
    await new Promise((r) => setImmediate(r));
    expect(s.saved).toEqual([]);
    s.clock.advance(500);
    await new Promise((r) => setImmediate(r));
    expect(s.saved).toEqual([]);
    s.clock.advance(1_000);
    await done;
    expect(s.saved).toEqual([1]);
    expect(s.collector.counts).toMatchObject({ events: 1, retries: 2 });
  });

  it('stopped while retrying, it leaves the position where it was', async () => {
    const s = setup(10);
    s.source.lines.push(enter(1));
    s.failWith(100);
    const done = s.collector.drain();
    await new Promise((r) => setImmediate(r));
    s.collector.stop();
    await done;
    expect(s.saved).toEqual([]);
    expect(s.sent).toEqual([]);
  });

  it('a publish error that retrying cannot fix ends it with the error', async () => {
    const clock = new ManualClock(NOW);
    const source = new MemoryLines();
    source.lines.push(enter(1));
    const c = new Collector<number>({
      source,
      decoder: asteriskQueueLogDecoder,
      clock,
      tenant: 'acme',
      sink: { send: () => Promise.reject(new Error('401 unknown key')) },
      positions: { save: async () => {} },
      retriable: () => false,
    });
    await expect(c.drain()).rejects.toThrow('401 unknown key');
  });

  it('refuses a batch size out of range', () => {
    expect(() => setup(0)).toThrow('batchSize must be a whole number in 1–5000, got 0');
  });
});
