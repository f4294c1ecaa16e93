import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { count } from './aggregators.js';
import { LateOutput } from './late-output.js';
import { boundedWatermarks, prng } from './testing/streams.js';
import { tumblingWindow } from './tumbling-window.js';
import type { EventElement, StreamElement } from './types.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const KEYS = 100_000;
const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
const MB = 1024 * 1024;

interface Run {
  /** heapUsed after a full GC, bytes, every `every` events. */
  readonly heap: number[];
  readonly counted: number;
  readonly late: number;
}

/**
 * Pushes `n` events over 100 000 keys through watermarks + a 1-second tumbling
 * window (≈ 200 000 events per window, every key about twice), measuring the
 * heap after a full GC every `every` events.
 */
function run(n: number, every: number, allowedLatenessMs: number): Run {
  const random = prng(7);
  const heap: number[] = [];
  const late = new LateOutput<string>();
  const source = new Observable<StreamElement<string>>((sub) => {
    for (let i = 0; i < n && !sub.closed; i++) {
      if (i % every === 0) {
        gc();
        heap.push(process.memoryUsage().heapUsed);
      }
      const r = random();
      const element: EventElement<string> = {
        kind: 'event',
        value: keys[Math.floor(r * KEYS)] as string,
        ts: Math.floor(i / 200) - Math.floor(r * 50),
      };
      sub.next(element);
    }
    sub.complete();
  });
  let counted = 0;
  source
    .pipe(boundedWatermarks(100), tumblingWindow({ sizeMs: 1_000, key: (k: string) => k, aggregate: count(), allowedLatenessMs, late }))
    .subscribe((r) => (counted += r.value));
  return { heap, counted, late: late.count };
}

describe('tumblingWindow memory', () => {
  it('keeps the heap flat over 10 million events and 100 000 keys: window state is freed', { timeout: 120_000 }, () => {
    const { heap, counted, late } = run(10_000_000, 1_000_000, 2_000);
    expect(counted).toBe(10_000_000);
    expect(late).toBe(0);
    // Checkpoint 2 (2 M events) is past warm-up: ~4 windows of 100 000 keys are live at any time from then on.
    const warm = heap[2] as number;
    const growth = Math.max(...heap.slice(2)) - warm;
    expect(heap).toHaveLength(10);
    expect(growth).toBeLessThan(16 * MB); // a leak of these windows grows ~37 MB per million events
  });

  it('the same measurement does see state that is never freed (so the test above can fail)', { timeout: 120_000 }, () => {
    // Lateness beyond the stream's span: every window stays — the leak the first test guards against.
    const { heap } = run(3_000_000, 1_000_000, Number.MAX_SAFE_INTEGER);
    expect((heap[2] as number) - (heap[1] as number)).toBeGreaterThan(16 * MB);
  });
});
