import { describe, expect, it } from 'vitest';
import type { ControlStateView } from '../../control/service-types.js';
import type { LevelEvent } from '../../control/runtime/levels.js';
import { levelSourceOf, skillGroupLevels, type ScopeLevel } from './stream-levels.js';

const lvl = (tenant: string, skillGroup: string | undefined, level: 0 | 1 | 2 | 3, reason: string): ScopeLevel => ({
  tenant,
  ...(skillGroup ? { skillGroup } : {}),
  level,
  since: 1_000,
  reason,
  pinned: false,
});

describe('skillGroupLevels', () => {
  it("gives the level routing applies: the higher of the tenant's and the group's, the group's on a tie", () => {
    const of = skillGroupLevels([
      lvl('acme', undefined, 1, 'tenant pressure'),
      lvl('acme', 'sales', 2, 'sales pressure'),
      lvl('acme', 'support', 0, 'calm'),
      lvl('acme', 'billing', 1, 'billing pressure'),
    ]);
    expect(of('acme', 'sales')).toEqual({ level: 2, reason: 'sales pressure', since: 1_000, scope: 'skillGroup', pinned: false });
    expect(of('acme', 'support')).toMatchObject({ level: 1, reason: 'tenant pressure', scope: 'tenant' });
    expect(of('acme', 'billing')).toMatchObject({ level: 1, reason: 'billing pressure', scope: 'skillGroup' });
    expect(of('acme', 'unknown')).toMatchObject({ level: 1, scope: 'tenant' });
  });

  it('knows nothing of tenants control has no level for, and keeps tenants apart', () => {
    const of = skillGroupLevels([lvl('acme', 'sales', 3, 'overload')]);
    expect(of('acme', 'sales')).toMatchObject({ level: 3 });
    expect(of('globex', 'sales')).toBeUndefined();
    expect(of('acme', 'support')).toBeUndefined();
    expect(skillGroupLevels([])('acme', 'sales')).toBeUndefined();
  });
});

describe('levelSourceOf', () => {
  it("reads the control service's level states (pins included) and forwards level changes by tenant", () => {
    const asked: (string | undefined)[] = [];
    let listener: ((e: LevelEvent) => void) | undefined;
    const levels = [
      { tenant: 'acme', level: 0, since: 5, reason: 'initial', override: null },
      {
        tenant: 'acme',
        skillGroup: 'sales',
        level: 2,
        since: 7,
        reason: 'pinned to L2 for 60000 ms: maintenance',
        override: { level: 2, until: 60_007, reason: 'maintenance' },
      },
    ] as unknown as ControlStateView['levels'];
    const source = levelSourceOf({
      state: ((tenant?: string) => {
        asked.push(tenant);
        return { levels } as ControlStateView;
      }) as never,
      on: ((name: string, l: (e: LevelEvent) => void) => {
        expect(name).toBe('level');
        listener = l;
        return () => (listener = undefined);
      }) as never,
    });
    expect(source.levels('acme')).toEqual([
      { tenant: 'acme', level: 0, since: 5, reason: 'initial', pinned: false },
      { tenant: 'acme', skillGroup: 'sales', level: 2, since: 7, reason: 'pinned to L2 for 60000 ms: maintenance', pinned: true },
    ]);
    expect(asked).toEqual(['acme']);
    const seen: string[] = [];
    const off = source.onChange((t) => seen.push(t));
    listener!({ scope: { tenant: 'globex', skillGroup: 'x' }, from: 0, to: 1, kind: 'escalate', reason: 'r', at: 1, source: 'local' });
    expect(seen).toEqual(['globex']);
    off();
    expect(listener).toBeUndefined();
  });
});
