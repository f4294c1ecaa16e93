import { describe, expect, it } from 'vitest';
import { claimAt, principalFromClaims } from './claims.js';
import { ASYMMETRIC_ALGORITHMS, type IssuerSettings } from './types.js';

const SETTINGS: IssuerSettings = {
  name: 'entra',
  issuer: 'https://login.microsoftonline.com/0000/v2.0',
  audience: ['api://sluice'],
  algorithms: [...ASYMMETRIC_ALGORITHMS],
  clockToleranceSec: 30,
  tenant: { claim: 'https://acme.example/tenant' },
  tenants: ['acme'],
  userClaim: 'preferred_username',
  rolesClaim: 'resource_access.sluice.roles',
  roleMap: { Viewer: 'viewer', Router: 'router', Agent: 'agent', Admin: 'admin' },
  groupsClaim: 'groups',
};

describe('claims of a verified token', () => {
  it('reads a claim by its exact name first (URL-named claims hold dots), then by a dotted path into objects', () => {
    const claims = { 'https://acme.example/tenant': 'acme', a: { b: { c: 1 } }, 'a.b': 'flat' };
    expect(claimAt(claims, 'https://acme.example/tenant')).toBe('acme');
    expect(claimAt(claims, 'a.b')).toBe('flat');
    expect(claimAt(claims, 'a.b.c')).toBe(1);
    expect(claimAt(claims, 'a.x.c')).toBeUndefined();
    expect(claimAt({ a: [1, 2] }, 'a.0')).toBeUndefined();
    // Inherited properties are never claims.
    expect(claimAt({}, 'constructor')).toBeUndefined();
    expect(claimAt({ a: {} }, 'a.toString')).toBeUndefined();
  });

  it('takes the strongest mapped role: admin, then agent, router, viewer; one string is one role', () => {
    const base = { preferred_username: 'ann@acme.example', 'https://acme.example/tenant': 'acme', sub: 'oid-1', exp: 2_000_000_000 };
    const role = (roles: unknown) => {
      const c = principalFromClaims({ ...base, resource_access: { sluice: { roles } } }, SETTINGS);
      return c.ok ? c.principal.role : c.reason;
    };
    expect(role(['Viewer', 'Router'])).toBe('router');
    expect(role(['Viewer', 'Router', 'Agent'])).toBe('agent');
    expect(role(['Agent', 'Admin', 'Viewer'])).toBe('admin');
    expect(role('Viewer')).toBe('viewer');
    expect(role('Viewer Admin')).toBe('role');
    expect(role([])).toBe('role');
    expect(role(['toString', '__proto__', 'constructor'])).toBe('role');
    expect(role({ Admin: true })).toBe('claims');
  });

  it('makes a frozen principal labelled provider:person, with the subject and expiry of the token', () => {
    const check = principalFromClaims(
      {
        preferred_username: 'ann@acme.example',
        'https://acme.example/tenant': 'acme',
        resource_access: { sluice: { roles: ['Agent'] } },
        groups: ['billing-agents', 'billing-agents', '4b1e-group-oid'],
        sub: 'oid-1',
        exp: 2_000_000_000,
      },
      SETTINGS,
    );
    expect(check).toEqual({
      ok: true,
      principal: {
        tenant: 'acme',
        role: 'agent',
        keyId: 'entra:ann@acme.example',
        user: 'ann@acme.example',
        groups: ['billing-agents', '4b1e-group-oid'],
        token: { provider: 'entra', issuer: SETTINGS.issuer, subject: 'oid-1', expiresAt: 2_000_000_000_000 },
      },
    });
    expect(check.ok && Object.isFrozen(check.principal)).toBe(true);
  });
});
