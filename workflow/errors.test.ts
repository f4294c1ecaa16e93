import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CORE_ERRORS, isSluiceError } from '../core/errors.js';
import { WORKFLOW_ERROR_CODES, workflowError } from './errors.js';

const root = fileURLToPath(new URL('.', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.contract.ts') && e.name !== 'errors.ts'
      ? [path]
      : [];
  });
}

describe('workflow error codes', () => {
  const used = new Set(sources(root).flatMap((f) => readFileSync(f, 'utf8').match(/SLUICE_ERR_[A-Z_]+/g) ?? []));

  it('lists every code the code raises, here or among the shared codes', () => {
    expect([...used].filter((c) => !(c in WORKFLOW_ERROR_CODES) && !(c in CORE_ERRORS))).toEqual([]);
  });

  it('raises every documented code somewhere (no dead entries)', () => {
    expect(Object.keys(WORKFLOW_ERROR_CODES).filter((c) => !used.has(c))).toEqual([]);
  });

  it('gives each code a prefix, an HTTP status and a description', () => {
    for (const [code, info] of Object.entries(WORKFLOW_ERROR_CODES)) {
      expect(code).toMatch(/^SLUICE_ERR_[A-Z_]+$/);
      expect(info.status).toBeGreaterThanOrEqual(400);
      expect(info.description.length).toBeGreaterThan(10);
    }
  });

  it('carries code, status, retry hint, the whole message and cause, and is recognised by marker', () => {
    const cause = new Error('low level');
    const err = workflowError('SLUICE_ERR_TICKET_CONFLICT', 'ticket "t" is at revision 2, not 1', { cause });
    expect(err).toMatchObject({
      code: 'SLUICE_ERR_TICKET_CONFLICT',
      status: 409,
      retriable: true,
      message: 'ticket "t" is at revision 2, not 1',
      cause,
    });
    expect(isSluiceError(err, 'SLUICE_ERR_TICKET_CONFLICT')).toBe(true);
    expect(isSluiceError(err, 'SLUICE_ERR_TICKET_NOT_FOUND')).toBe(false);
    expect(workflowError('SLUICE_ERR_WEBHOOK_FAILED', 'x', { retriable: false }).retriable).toBe(false);
    expect(
      workflowError('SLUICE_ERR_VALIDATION', 'body.source must be flow source text', { details: { field: 'body.source' } }),
    ).toMatchObject({ status: 400, message: 'body.source must be flow source text', details: { field: 'body.source' } });
  });
});
