import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isOperatorError, OPERATOR_ERROR_CODES, OperatorError } from './errors.js';

describe('operator errors', () => {
  it('every code is documented in the README with its retriability', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    for (const [code, { retriable }] of Object.entries(OPERATOR_ERROR_CODES)) {
      const line = readme.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
      expect(line, code).toBeDefined();
      expect(line?.endsWith(`| ${retriable ? 'yes' : 'no'} |`), code).toBe(true);
    }
  });

  it('are recognised by marker, not by class identity', () => {
    const e = new OperatorError('SLUICE_ERR_EVENT_TIME', 'bad ts');
    expect(e.retriable).toBe(false);
    expect(isOperatorError(e)).toBe(true);
    expect(isOperatorError({ ...e })).toBe(true);
    expect(isOperatorError(new Error('x'))).toBe(false);
    expect(isOperatorError(null)).toBe(false);
  });
});
