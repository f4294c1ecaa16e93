import { describe, expect, it } from 'vitest';
import { ManualClock, settle } from '../../adapters/clock.js';
import { MemoryStateStore } from '../../adapters/state/memory.js';
import { CONTROL_KEYS, type LevelsMessage } from '../../control/index.js';
import { StoreLevelSource } from './stream-levels-shared.js';

const state = (level: 0 | 1 | 2 | 3, reason: string, pinned = false) => ({
  level,
  since: 5_000,
  reason,
  above: 0,
  belowSince: null,
  holdMs: 30_000,
  lastEscalationAt: null,
  lastRecoveryAt: null,
  override: pinned ? { level, until: 99_000, reason } : null,
});

const message = (seq: number, acmeLevel: 0 | 1 | 2 | 3, epoch = 1, leader = 'c1'): string =>
  JSON.stringify({
    v: 1,
    leader,
    epoch,
    seq,
    state: {
      v: 1,
      scopes: [
        { scope: { tenant: 'acme' }, state: state(acmeLevel, 'tenant pressure') },
        { scope: { tenant: 'acme', skillGroup: 'care' }, state: state(3, 'pinned by ops', true) },
        { scope: { tenant: 'globex' }, state: state(0, 'initial') },
      ],
    },
  } satisfies LevelsMessage);

describe('StoreLevelSource', () => {
  it("reads the control leader's levels from the store and its announcements, by tenant, newest first", async () => {
    const clock = new ManualClock(10_000);
    const store = new MemoryStateStore(clock);
    await store.set(CONTROL_KEYS.levels, message(1, 1));
    const src = new StoreLevelSource({ store, clock, pollMs: 2_000 });
    const heard: string[] = [];
    src.onChange((t) => heard.push(t));
    src.start();
    clock.advance(0);
    await settle();
    expect(src.levels('acme')).toEqual([
      { tenant: 'acme', level: 1, since: 5_000, reason: 'tenant pressure', pinned: false },
      { tenant: 'acme', skillGroup: 'care', level: 3, since: 5_000, reason: 'pinned by ops', pinned: true },
    ]);
    expect(src.levels(undefined)).toHaveLength(3);
    expect(src.levels('initech')).toEqual([]);
    expect(heard.sort()).toEqual(['acme', 'globex']);
    heard.length = 0;
    // An announcement: only the tenant whose levels changed is told.
    await store.publish(CONTROL_KEYS.levelsChannel, message(2, 2));
    await settle();
    expect(src.levels('acme')[0]).toMatchObject({ level: 2 });
    expect(heard).toEqual(['acme']);
    // An older state read back by the poll does not undo it; a new leader's (higher epoch) does.
    clock.advance(2_000);
    await settle();
    expect(src.levels('acme')[0]).toMatchObject({ level: 2 });
    expect(src.consider(message(1, 0, 2, 'c2'))).toBe(true);
    expect(src.levels('acme')[0]).toMatchObject({ level: 0 });
    expect(src.consider('{"v":1,"leader":"c3"}')).toBe(false);
    expect(src.consider('not json')).toBe(false);
    await src.stop();
    expect(clock.pending).toBe(0);
  });
});
