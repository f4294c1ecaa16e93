import { describe, expect, it } from 'vitest';
import { panelsOf } from '../check/targets.js';
import { buildDashboards } from '../index.js';
import { declarationOf, describeSpec, rangeText } from './declare.js';
import { prom } from './queries.js';
import { timeseries } from './panels.js';

const built = buildDashboards();
const TENANT = /\$\{?tenant\b/;

describe('panel declarations', () => {
  it('every panel of every dashboard declares unit, range, meaning and scope, shown as its description with the unit set', () => {
    let n = 0;
    for (const { dashboard } of built)
      for (const p of panelsOf(dashboard)) {
        const spec = declarationOf(p);
        const at = `${dashboard.uid}: ${p.title}`;
        expect(spec, at).toBeDefined();
        expect(spec!.meaning.length, at).toBeGreaterThan(10);
        expect(spec!.range[0], at).toBeLessThanOrEqual(spec!.range[1]);
        expect(p.description, at).toBe(describeSpec(spec!));
        expect(p.fieldConfig?.defaults?.unit, at).toBe(spec!.unit);
        n++;
      }
    expect(n).toBeGreaterThan(60);
  });

  it('a panel declared per tenant filters every query by $tenant; a platform-wide one none', () => {
    for (const { dashboard } of built)
      for (const p of panelsOf(dashboard)) {
        const spec = declarationOf(p)!;
        for (const t of (p.targets ?? []) as { expr?: string; rawSql?: string; refId?: string }[])
          expect(TENANT.test(t.expr ?? t.rawSql ?? ''), `${dashboard.uid}: ${p.title} ${t.refId} is declared ${spec.scope}`).toBe(
            spec.scope === 'tenant',
          );
      }
  });

  it('sets the axis from the range: min at 0, max only where the range is the bound of the quantity', () => {
    const ratio = timeseries('r', { unit: 'percentunit', range: [0, 1], bounded: true, scope: 'platform', meaning: 'a ratio' }, [
      prom('x'),
    ]).build();
    expect([ratio.fieldConfig?.defaults?.min, ratio.fieldConfig?.defaults?.max]).toEqual([0, 1]);
    const rate = timeseries('n', { unit: 'reqps', range: [0, 1000], scope: 'platform', meaning: 'a rate' }, [prom('x')]).build();
    expect([rate.fieldConfig?.defaults?.min, rate.fieldConfig?.defaults?.max]).toEqual([0, undefined]);
    const time = timeseries('t', { unit: 's', range: [1e-5, 10], scope: 'tenant', meaning: 'a duration.' }, [prom('x')]).build();
    expect(time.fieldConfig?.defaults?.min).toBeUndefined();
    expect(time.description).toBe('a duration. Unit: seconds, 1e-5..10. Per tenant (the selected one).');
    expect(rangeText([0, Infinity])).toBe('0..∞');
  });

  it('requires a declaration: a panel without one does not type-check', () => {
    // @ts-expect-error a unit alone is no longer a declaration
    expect(() => timeseries('x', 's', [prom('x')])).toThrow();
  });
});
