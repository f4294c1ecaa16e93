import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { LateOutput } from './late-output.js';
import { event } from './types.js';

describe('LateOutput', () => {
  it('counts every diverted event and offers those arriving while subscribed', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const late = new LateOutput<string>();
    const a = event('a', 1);
    const b = event('b', 2);
    late.push(a, 10); // nobody listening: counted only
    ts.run(({ cold, expectObservable }) => {
      cold('-x').subscribe(() => late.push(b, 20));
      expectObservable(late.events$).toBe('-l', { l: { element: b, watermark: 20 } });
    });
    expect(late.count).toBe(2);
  });
});
