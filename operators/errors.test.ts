import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isSluiceError } from '../core/errors.js';
import { badEventTime, checkNumber, OPERATOR_ERROR_CODES, operatorError } from './errors.js';

describe('operator errors', () => {
  it('every code is documented in the README with its retriability', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    for (const [code, { retriable }] of Object.entries(OPERATOR_ERROR_CODES)) {
      const line = readme.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
      expect(line, code).toBeDefined();
      expect(line?.endsWith(`| ${retriable ? 'yes' : 'no'} |`), code).toBe(true);
    }
  });

  it('are Sluice errors without an HTTP status, recognised by marker', () => {
    const e = operatorError('SLUICE_ERR_EVENT_TIME', 'bad ts');
    expect(e).toMatchObject({ code: 'SLUICE_ERR_EVENT_TIME', retriable: false, message: 'bad ts', status: undefined });
    expect(isSluiceError(e, 'SLUICE_ERR_EVENT_TIME')).toBe(true);
    expect(isSluiceError(new Error('x'))).toBe(false);
    expect(badEventTime('soon')).toMatchObject({
      code: 'SLUICE_ERR_EVENT_TIME',
      message: 'event ts must be a finite epoch-ms number (got soon)',
    });
  });

  it('refuses a bad option as SLUICE_ERR_OPERATOR_OPTION naming it, the rule and the value', () => {
    let error: unknown;
    try {
      checkNumber('maxOutOfOrdernessMs', -5, { min: 0 });
    } catch (e) {
      error = e;
    }
    expect(isSluiceError(error, 'SLUICE_ERR_OPERATOR_OPTION')).toBe(true);
    expect((error as Error).message).toBe('maxOutOfOrdernessMs must be a finite number ≥ 0 (got -5)');
  });
});
