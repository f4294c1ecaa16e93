import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONTROL_ERRORS, SluiceError, isSluiceError } from './errors.js';

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
      expect(spec.message).toContain('{detail}');
      expect(spec.status).toBeGreaterThanOrEqual(400);
      expect(spec.status).toBeLessThan(600);
      expect(typeof spec.retriable).toBe('boolean');
      expect(spec.description.length).toBeGreaterThan(10);
    }
  });

  it('lists every SLUICE_ERR_ code used under control/', () => {
    const used = new Set(sources(here).flatMap((f) => readFileSync(f, 'utf8').match(/SLUICE_ERR_[A-Z0-9_]+/g) ?? []));
    expect(used.size).toBeGreaterThan(0);
    for (const code of used) expect(Object.keys(CONTROL_ERRORS)).toContain(code);
  });

  it('builds errors with code, status, retriable and cause, recognised without instanceof', () => {
    const cause = new Error('root');
    const e = new SluiceError('SLUICE_ERR_POLICY_VERSION_CONFLICT', 'tenant a is at 3', { cause });
    expect(e).toMatchObject({ code: 'SLUICE_ERR_POLICY_VERSION_CONFLICT', status: 409, retriable: true, detail: 'tenant a is at 3', cause });
    expect(e.message).toBe('policy version conflict: tenant a is at 3');
    expect(isSluiceError(e)).toBe(true);
    expect(isSluiceError(new Error('x'))).toBe(false);
    expect(isSluiceError(null)).toBe(false);
    const foreign = Object.assign(new Error('copy'), { [Symbol.for('sluice.error')]: true });
    expect(isSluiceError(foreign)).toBe(true);
  });
});
