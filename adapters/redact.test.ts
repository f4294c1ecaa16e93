import { describe, expect, it } from 'vitest';
import { redactSecrets, redactUrl, urlSecrets } from './redact.js';

describe('credentials in URLs', () => {
  it('hides passwords and secret query values, keeping the rest readable', () => {
    expect(redactUrl('redis://:hunter2@cache:6379/0')).toBe('redis://:***@cache:6379/0');
    expect(redactUrl('rediss://app:p%40ss@cache:6380')).toBe('rediss://app:***@cache:6380');
    expect(redactUrl('http://default:pw@ch:8123/?password=abc&database=x&access_token=t')).toBe(
      'http://default:***@ch:8123/?password=***&database=x&access_token=***',
    );
    expect(redactUrl('redis://cache:6379')).toBe('redis://cache:6379');
    expect(redactUrl('not a url, but //user:pw@host')).toBe('not a url, but //***@host');
  });

  it('removes every secret of a URL from any text, raw or decoded', () => {
    const secrets = [...urlSecrets('redis://:p%40ssw0rd@cache:6379'), ...urlSecrets('http://ch:8123/?token=tok-123456'), undefined, 'abc'];
    expect(redactSecrets('auth p%40ssw0rd / p@ssw0rd failed; token tok-123456; abc stays', secrets)).toBe(
      'auth *** / *** failed; token ***; abc stays',
    );
    expect(urlSecrets(null)).toEqual([]);
    expect(urlSecrets('nonsense')).toEqual([]);
  });
});
