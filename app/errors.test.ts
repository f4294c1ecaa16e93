import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS, SluiceError, isSluiceError } from './errors.js';

describe('error codes', () => {
  it('documents every code with its HTTP status in docs/errors.md', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    for (const [code, spec] of Object.entries(ERRORS)) {
      const line = doc.split('\n').find((l) => l.includes(`\`${code}\``));
      expect(line, `${code} is not documented`).toBeDefined();
      if (code !== 'SLUICE_ERR_CONFIG') expect(line).toContain(`| ${spec.status} |`);
    }
  });

  it('fills the message template and is recognised by marker', () => {
    const e = new SluiceError('SLUICE_ERR_FORBIDDEN', ['viewer', 'post events']);
    expect(e.message).toBe('role viewer may not post events');
    expect(e.status).toBe(403);
    expect(isSluiceError(e)).toBe(true);
    expect(isSluiceError(new Error('x'))).toBe(false);
    expect(isSluiceError({ code: 'SLUICE_ERR_FORBIDDEN' })).toBe(false);
  });
});
