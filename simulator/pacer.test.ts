import { describe, expect, it } from 'vitest';
import { ManualClock } from '../adapters/clock.js';
import type { TelemetryEvent } from '../pipelines/events/types.js';
import { pace, type PaceOptions, type PaceStats } from './pacer.js';

const T = 1_768_204_800_000;
const ev = (id: string, offsetMs: number): TelemetryEvent => ({
  v: 1,
  tenant: 'acme',
  source: 'extension',
  id,
  ts: T + offsetMs,
  body: { extension: 'x1', state: 'IDLE' },
});
const EVENTS = [ev('a', 0), ev('b', 1000), ev('c', 1000), ev('d', 5000)];

/** Plays `events` on a manual clock that moves 10 ms per turn; returns when each batch was sent (wall offset) and what it held. */
async function play(events: TelemetryEvent[], o: Omit<PaceOptions, 'clock'>): Promise<{ sends: [number, string[]][]; stats: PaceStats }> {
  const clock = new ManualClock(1_000_000);
  const sends: [number, string[]][] = [];
  const sink = { send: async (b: TelemetryEvent[]) => void sends.push([clock.now() - 1_000_000, b.map((e) => e.id)]) };
  let stats: PaceStats | undefined;
  const done = pace(events, sink, { ...o, clock }).then((s) => (stats = s));
  while (!stats) {
    await new Promise((r) => setImmediate(r));
    clock.advance(10);
  }
  await done;
  return { sends, stats };
}

describe('pace', () => {
  it('plays in real time: each event when its time has come, simultaneous ones together', async () => {
    const { sends, stats } = await play(EVENTS, { speed: 1 });
    expect(sends).toEqual([
      [0, ['a']],
      [1000, ['b', 'c']],
      [5000, ['d']],
    ]);
    expect(stats).toMatchObject({ events: 4, batches: 3, firstTs: T, lastTs: T + 5000 });
  });

  it('plays accelerated: ×10 takes a tenth of the event time', async () => {
    const { sends } = await play(EVENTS, { speed: 10 });
    expect(sends).toEqual([
      [0, ['a']],
      [100, ['b', 'c']],
      [500, ['d']],
    ]);
  });

  it('plays a history first: events before the origin at once (batched), the rest on time from the origin', async () => {
    const { sends } = await play(EVENTS, { speed: 1, origin: T + 1000, batchSize: 2 });
    expect(sends).toEqual([
      [0, ['a', 'b']],
      [0, ['c']],
      [4000, ['d']],
    ]);
  });

  it('plays as fast as possible in batches of the given size', async () => {
    const { sends, stats } = await play(EVENTS, { speed: 'max', batchSize: 3 });
    expect(sends).toEqual([
      [0, ['a', 'b', 'c']],
      [0, ['d']],
    ]);
    expect(stats.wallMs).toBe(0);
  });

  it('an abort ends a wait at once: stopping never waits for the next event', async () => {
    const clock = new ManualClock(1_000_000);
    const ctl = new AbortController();
    const seen: string[] = [];
    const done = pace(
      [ev('a', 0), ev('z', 3_600_000)],
      { send: async (b) => void seen.push(...b.map((e) => e.id)) },
      { clock, speed: 1, signal: ctl.signal },
    );
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['a']);
    ctl.abort(); // no clock movement: the hour-long wait must end by itself
    const stats = await done;
    expect(stats.events).toBe(1);
    expect(seen).toEqual(['a']);
    expect(clock.pending).toBe(0);
  });

  it('stops when aborted and passes a sink failure on', async () => {
    const ctl = new AbortController();
    const clock = new ManualClock(0);
    const seen: string[] = [];
    const stats = await pace(
      EVENTS,
      {
        send: async (b) => {
          seen.push(...b.map((e) => e.id));
          ctl.abort();
        },
      },
      { clock, speed: 'max', batchSize: 1, signal: ctl.signal },
    );
    expect([seen, stats.events]).toEqual([['a'], 1]);
    await expect(
      pace(
        EVENTS,
        {
          send: async () => {
            throw new Error('bus down');
          },
        },
        { clock, speed: 'max' },
      ),
    ).rejects.toThrow('bus down');
    await expect(pace(EVENTS, { send: async () => {} }, { clock, speed: 0 })).rejects.toThrow(/speed/);
  });
});
