import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CORE_ERRORS, isSluiceError } from '../core/errors.js';
import { CONTROL_ERRORS, checkNumber, controlError, resolveConfig } from './errors.js';

const here = fileURLToPath(new URL('.', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('control error codes', () => {
  it('documents every code: prefix, message template, HTTP status, retriable flag, description', () => {
    for (const [code, spec] of Object.entries(CONTROL_ERRORS)) {
      expect(code).toMatch(/^SLUICE_ERR_[A-Z0-9_]+$/);
      expect(spec.message).toContain('%s');
      expect(spec.status).toBeGreaterThanOrEqual(400);
      expect(spec.status).toBeLessThan(600);
      expect(typeof spec.retriable).toBe('boolean');
      expect(spec.description.length).toBeGreaterThan(10);
    }
  });

  it('lists every SLUICE_ERR_ code used under control/, or finds it among the shared codes', () => {
    const used = new Set(sources(here).flatMap((f) => readFileSync(f, 'utf8').match(/SLUICE_ERR_[A-Z0-9_]+/g) ?? []));
    expect(used.size).toBeGreaterThan(0);
    for (const code of used) expect([...Object.keys(CONTROL_ERRORS), ...Object.keys(CORE_ERRORS)]).toContain(code);
  });

  it('builds errors with code, status, retriable and cause, recognised without instanceof', () => {
    const cause = new Error('root');
    const e = controlError('SLUICE_ERR_POLICY_VERSION_CONFLICT', 'tenant a is at 3', { cause });
    expect(e).toMatchObject({ code: 'SLUICE_ERR_POLICY_VERSION_CONFLICT', status: 409, retriable: true, cause });
    expect(e.message).toBe('policy version conflict: tenant a is at 3');
    expect(isSluiceError(e, 'SLUICE_ERR_POLICY_VERSION_CONFLICT')).toBe(true);
    expect(controlError('SLUICE_ERR_NOT_FOUND', 'breaker cti:x not found')).toMatchObject({
      status: 404,
      message: 'breaker cti:x not found',
    });
  });

  it('refuses bad options as SLUICE_ERR_CONTROL_CONFIG_INVALID naming the field, the rule and the value', () => {
    let error: unknown;
    try {
      checkNumber('x.size', 2.5, { int: true, min: 1, max: 10 });
    } catch (e) {
      error = e;
    }
    expect(isSluiceError(error, 'SLUICE_ERR_CONTROL_CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toBe('invalid control configuration: x.size must be an integer ≥ 1 ≤ 10 (got 2.5)');
    expect(() => resolveConfig('s', { a: 1 }, { b: 3 } as never, {})).toThrow(
      'invalid control configuration: s.b must be a known option (got "b")',
    );
  });
});
