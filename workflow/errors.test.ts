import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isWorkflowError, WORKFLOW_ERROR_CODES, WorkflowError, type WorkflowErrorCode } from './errors.js';

const root = fileURLToPath(new URL('.', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.contract.ts') && e.name !== 'errors.ts' ? [path] : [];
  });
}

describe('workflow error codes', () => {
  const used = new Set(sources(root).flatMap((f) => readFileSync(f, 'utf8').match(/SLUICE_ERR_[A-Z_]+/g) ?? []));

  it('documents every code the code raises', () => {
    expect([...used].filter((c) => !(c in WORKFLOW_ERROR_CODES))).toEqual([]);
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

  it('carries code, status, retry hint and cause, and is recognised by marker', () => {
    const cause = new Error('low level');
    const err = new WorkflowError('SLUICE_ERR_TICKET_CONFLICT', 'ticket "t" is at revision 2, not 1', { cause });
    expect(err).toMatchObject({ code: 'SLUICE_ERR_TICKET_CONFLICT', status: 409, retriable: true, cause });
    expect(isWorkflowError(err)).toBe(true);
    expect(isWorkflowError(err, 'SLUICE_ERR_TICKET_NOT_FOUND' as WorkflowErrorCode)).toBe(false);
    expect(isWorkflowError(new Error('x'))).toBe(false);
    expect(isWorkflowError({ code: 'SLUICE_ERR_TICKET_CONFLICT' })).toBe(false);
    expect(new WorkflowError('SLUICE_ERR_WEBHOOK_FAILED', 'x', { retriable: false }).retriable).toBe(false);
  });
});
