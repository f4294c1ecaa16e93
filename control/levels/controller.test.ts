import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../adapters/clock.js';
import { isSluiceError } from '../../core/errors.js';
import { LevelController, scopeKey } from './controller.js';
import type { ScopedLevelChange } from './controller.js';

const acme = { tenant: 'acme' };
const sales = { tenant: 'acme', skillGroup: 'sales' };

function make() {
  const clock = new ManualClock(0);
  const controller = new LevelController({ clock, defaults: { holdMs: 10_000 }, tenants: { strict: { thresholds: [0.3, 0.4, 0.5] } } });
  const changes: ScopedLevelChange[] = [];
  controller.on('change', (c) => changes.push(c));
  return { clock, controller, changes };
}

describe('LevelController', () => {
  it('keeps scopes apart and answers L0 for a scope never seen', () => {
    const { controller, changes } = make();
    controller.tick(sales, 1);
    expect(controller.level(sales)).toBe(1);
    expect(controller.level(acme)).toBe(0);
    expect(controller.level({ tenant: 'nobody' })).toBe(0);
    expect(changes[0]).toMatchObject({ scope: sales, from: 0, to: 1, kind: 'escalate' });
    expect(scopeKey(sales)).toBe('acme/sales');
  });

  it('applies per-tenant thresholds', () => {
    const { controller } = make();
    controller.tick({ tenant: 'strict' }, 0.35);
    controller.tick(acme, 0.35);
    expect(controller.level({ tenant: 'strict' })).toBe(1);
    expect(controller.level(acme)).toBe(0);
    expect(controller.configFor('strict').holdMs).toBe(10_000);
  });

  it('ends a pin by itself when read after its deadline, with no tick needed', () => {
    const { controller, clock, changes } = make();
    controller.pin(acme, 3, 5_000, 'carrier outage');
    expect(controller.level(acme)).toBe(3);
    clock.advance(5_000);
    expect(controller.level(acme)).toBe(3);
    expect(changes.map((c) => c.kind)).toEqual(['override', 'override-end']);
    expect(changes[1]!.reason).toMatch(/expired/);
    expect(controller.state(acme)?.override).toBeNull();
  });

  it('unpins early and lists every scope', () => {
    const { controller } = make();
    controller.pin(sales, 2, 60_000, 'drill');
    expect(controller.unpin(sales, 'drill over')?.kind).toBe('override-end');
    expect(controller.unpin({ tenant: 'ghost' }, 'x')).toBeNull();
    expect(controller.levels()).toEqual([{ scope: sales, level: 2 }]);
  });

  it('rejects a pin beyond maxOverrideMs', () => {
    const { controller } = make();
    let error: unknown;
    try {
      controller.pin(acme, 1, 5 * 3_600_000, 'too long');
    } catch (e) {
      error = e;
    }
    expect(isSluiceError(error) && error.code).toBe('SLUICE_ERR_CONTROL_OVERRIDE_INVALID');
  });

  it('survives toJSON → JSON text → restore, pins included', () => {
    const { controller, clock } = make();
    controller.tick(sales, 1);
    controller.pin(acme, 2, 30_000, 'maintenance');
    const copy = LevelController.restore(JSON.parse(JSON.stringify(controller)), { clock, defaults: { holdMs: 10_000 } });
    expect(copy.level(sales)).toBe(1);
    expect(copy.state(acme)?.override).toMatchObject({ level: 2, reason: 'maintenance' });
    clock.advance(30_000);
    expect(copy.state(acme)?.override).toBeNull();
  });

  it('refuses malformed JSON naming the field', () => {
    const bad = { v: 1, scopes: [{ scope: { tenant: 'a' }, state: { level: 7 } }] };
    let error: unknown;
    try {
      LevelController.restore(bad);
    } catch (e) {
      error = e;
    }
    expect(isSluiceError(error) && error.code).toBe('SLUICE_ERR_CONTROL_STATE_INVALID');
    expect((error as Error).message).toMatch(/scopes\[0\]\.state\.level/);
    expect(() => LevelController.restore({ v: 2 })).toThrow(/v 1/);
  });

  it('rejects an invalid per-tenant config at construction', () => {
    expect(() => new LevelController({ tenants: { x: { thresholds: [0.5, 0.4, 0.9] } } })).toThrow(/levels\.tenants\.x\.thresholds/);
    expect(() => new LevelController({ defaults: { hysteresis: 0.6 } })).toThrow(/levels\.hysteresis must be < levels\.thresholds\[0\]/);
  });
});
