import { describe, expect, it } from 'vitest';
import { isTenantName, PLATFORM_TENANT, requireTenant, ROLES, scopeTenant, TENANT_PATTERN, type Principal } from './access.js';
import { isSluiceError } from './errors.js';

const acme: Principal = { tenant: 'acme', role: 'viewer', keyId: 'key#1' };
const platform: Principal = { tenant: PLATFORM_TENANT, role: 'admin', keyId: 'ops' };

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('nothing was thrown');
}

describe('tenant names and roles', () => {
  it("accepts lower-case names up to 63 characters, never the platform's `*`", () => {
    for (const ok of ['acme', 'a', '0-team_b', 'a'.repeat(63)]) expect(isTenantName(ok), ok).toBe(true);
    for (const bad of ['', '*', 'Acme', '-acme', '_a', 'a'.repeat(64), 'a b', 'a/b', 'acme\n', 42, undefined])
      expect(isTenantName(bad), String(bad)).toBe(false);
    expect(new RegExp(TENANT_PATTERN).test('acme')).toBe(true);
    expect(ROLES).toEqual(['admin', 'router', 'agent', 'viewer']);
  });
});

describe('scopeTenant (reads: a platform key may ask for every tenant)', () => {
  it('gives a tenant key its own tenant, asked for or not', () => {
    expect(scopeTenant(acme, undefined)).toBe('acme');
    expect(scopeTenant(acme, 'acme')).toBe('acme');
  });

  it('answers another tenant as not found, never forbidden, so existence does not leak', () => {
    const e = thrown(() => scopeTenant(acme, 'globex'));
    expect(isSluiceError(e, 'SLUICE_ERR_NOT_FOUND')).toBe(true);
    expect(e).toMatchObject({ status: 404, message: 'tenant globex not found' });
    expect(
      isSluiceError(
        thrown(() => scopeTenant(acme, '')),
        'SLUICE_ERR_NOT_FOUND',
      ),
    ).toBe(true);
  });

  it('gives a platform key the tenant it asks for, or undefined for every tenant', () => {
    expect(scopeTenant(platform, 'globex')).toBe('globex');
    expect(scopeTenant(platform, undefined)).toBeUndefined();
  });
});

describe('requireTenant (operations on one tenant)', () => {
  it('makes a platform key name a valid tenant, naming the field', () => {
    expect(requireTenant(platform, 'globex', 'querystring.tenant')).toBe('globex');
    const missing = thrown(() => requireTenant(platform, undefined, 'body.tenant'));
    expect(missing).toMatchObject({
      code: 'SLUICE_ERR_VALIDATION',
      status: 400,
      message: 'body.tenant is required for platform keys',
      details: { field: 'body.tenant' },
    });
    expect(thrown(() => requireTenant(platform, '', 'body.tenant'))).toMatchObject({
      message: 'body.tenant is required for platform keys',
    });
    expect(thrown(() => requireTenant(platform, 'Not A Tenant', 'body.tenant'))).toMatchObject({
      message: `body.tenant must match ${TENANT_PATTERN}`,
    });
  });

  it('keeps tenant keys to their own tenant as scopeTenant does', () => {
    expect(requireTenant(acme, undefined, 'querystring.tenant')).toBe('acme');
    expect(
      isSluiceError(
        thrown(() => requireTenant(acme, 'globex', 'querystring.tenant')),
        'SLUICE_ERR_NOT_FOUND',
      ),
    ).toBe(true);
  });

  it('lets a room word the refusal', () => {
    const refusal = thrown(() =>
      requireTenant(platform, undefined, 'querystring.tenant', (field, rule) => new RangeError(`${field}: ${rule}`)),
    );
    expect(refusal).toBeInstanceOf(RangeError);
    expect((refusal as Error).message).toBe('querystring.tenant: querystring.tenant is required for platform keys');
  });
});
