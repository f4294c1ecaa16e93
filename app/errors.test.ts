import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTROL_ERRORS } from '../control/errors.js';
import { OPERATOR_ERROR_CODES } from '../operators/errors.js';
import { WORKFLOW_ERROR_CODES } from '../workflow/errors.js';
import { ERRORS, SluiceError, isSluiceError } from './errors.js';

/** Every room's list, as code → HTTP status. */
const LISTS: Record<string, Record<string, { status: number }>> = { app: ERRORS, control: CONTROL_ERRORS, workflow: WORKFLOW_ERROR_CODES };

describe('error codes', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');

  it('documents every code of every room with its HTTP status in docs/errors.md', () => {
    for (const [room, list] of Object.entries(LISTS)) {
      for (const [code, spec] of Object.entries(list)) {
        const line = doc.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
        expect(line, `${room}: ${code} is not documented`).toBeDefined();
        if (code !== 'SLUICE_ERR_CONFIG') expect(line, code).toContain(`| ${spec.status} |`);
      }
    }
  });

  it('documents the stream operators\' codes, which never reach HTTP', () => {
    for (const code of Object.keys(OPERATOR_ERROR_CODES)) expect(doc, code).toContain(`| \`${code}\` | — |`);
  });

  it('never gives one code two meanings: a code in two rooms has the same status', () => {
    const seen = new Map<string, { room: string; status: number }>();
    for (const [room, list] of Object.entries(LISTS)) {
      for (const [code, spec] of Object.entries(list)) {
        const before = seen.get(code);
        if (before) expect(spec.status, `${code} in ${before.room} and ${room}`).toBe(before.status);
        seen.set(code, { room, status: spec.status });
      }
    }
    for (const code of Object.keys(OPERATOR_ERROR_CODES)) expect(seen.has(code), `${code} also in another room`).toBe(false);
    const documented = doc.match(/^\| `(SLUICE_ERR_[A-Z0-9_]+)` \|/gm)!.map((l) => l.slice(3, -3));
    expect(new Set(documented).size).toBe(documented.length);
  });

  it('fills the message template and is recognised by marker, across rooms', () => {
    const e = new SluiceError('SLUICE_ERR_FORBIDDEN', ['viewer', 'post events']);
    expect(e.message).toBe('role viewer may not post events');
    expect(e.status).toBe(403);
    expect(isSluiceError(e)).toBe(true);
    expect(isSluiceError(new Error('x'))).toBe(false);
    expect(isSluiceError({ code: 'SLUICE_ERR_FORBIDDEN' })).toBe(false);
  });
});
