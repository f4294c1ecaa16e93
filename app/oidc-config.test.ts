import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const ISSUER = 'https://login.acme.example/realms/acme';
const base = { SLUICE_TENANTS: 'acme,globex', SLUICE_OIDC_ISSUER: ISSUER, SLUICE_OIDC_AUDIENCE: 'sluice-api' };

function file(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'oidc-config-'));
  const path = join(dir, 'issuers.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('OpenID provider configuration', () => {
  it('reads one provider with the documented defaults, and starts with no API key at all', () => {
    const config = loadConfig(base);
    expect(config.apiKeys.size).toBe(0);
    expect(config.oidc.issuers).toEqual([
      {
        name: 'oidc',
        issuer: ISSUER,
        audience: ['sluice-api'],
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
        clockToleranceSec: 30,
        tenant: { claim: 'tenant' },
        tenants: ['acme', 'globex'],
        userClaim: 'preferred_username',
        rolesClaim: 'roles',
        roleMap: { admin: 'admin', router: 'router', agent: 'agent', viewer: 'viewer' },
        groupsClaim: 'groups',
      },
    ]);
    expect(config.oidc.keys).toEqual({ timeoutMs: 5000, cooldownMs: 30000, cacheMaxAgeMs: 600000 });
    expect(loadConfig({}, { SLUICE_API_KEYS: '0123456789abcdef-x:acme:admin' }).oidc.issuers).toEqual([]);
  });

  it('reads a Keycloak-style mapping: dotted roles claim, role map, fixed tenant, no groups', () => {
    const config = loadConfig({
      ...base,
      SLUICE_OIDC_NAME: 'keycloak',
      SLUICE_OIDC_ROLES_CLAIM: 'realm_access.roles',
      SLUICE_OIDC_ROLE_MAP: 'sluice-admin=admin, billing-supervisor=admin ,agent=agent',
      SLUICE_OIDC_TENANT: 'acme',
      SLUICE_OIDC_GROUPS_CLAIM: '-',
      SLUICE_OIDC_USER_CLAIM: 'sub',
      SLUICE_OIDC_ALGORITHMS: 'RS256,ES256',
      SLUICE_OIDC_CLOCK_TOLERANCE_S: '5',
    });
    expect(config.oidc.issuers[0]).toMatchObject({
      name: 'keycloak',
      rolesClaim: 'realm_access.roles',
      roleMap: { 'sluice-admin': 'admin', 'billing-supervisor': 'admin', agent: 'agent' },
      tenant: { fixed: 'acme' },
      groupsClaim: undefined,
      userClaim: 'sub',
      algorithms: ['RS256', 'ES256'],
      clockToleranceSec: 5,
    });
  });

  it.each([
    [{ SLUICE_OIDC_AUDIENCE: '' }, 'SLUICE_OIDC_AUDIENCE is required'],
    [{ SLUICE_OIDC_ISSUER: 'http://login.acme.example/realms/acme' }, 'SLUICE_OIDC_ISSUER must be an https URL'],
    [{ SLUICE_OIDC_ISSUER: 'not a url' }, 'SLUICE_OIDC_ISSUER must be the URL'],
    [{ SLUICE_OIDC_ALGORITHMS: 'RS256,HS256' }, 'SLUICE_OIDC_ALGORITHMS must list asymmetric signature algorithms only'],
    [{ SLUICE_OIDC_ALGORITHMS: 'none' }, '"none" is not one'],
    [
      { SLUICE_OIDC_ROLE_MAP: 'boss=superuser' },
      'SLUICE_OIDC_ROLE_MAP maps "boss" to a role that is not one of admin, router, agent, viewer',
    ],
    [{ SLUICE_OIDC_ROLE_MAP: 'admin' }, 'SLUICE_OIDC_ROLE_MAP must be provider-role=sluice-role pairs'],
    [{ SLUICE_OIDC_TENANT: 'initech' }, 'SLUICE_OIDC_TENANT must be a tenant name among acme, globex'],
    [{ SLUICE_OIDC_TENANT: 'acme', SLUICE_OIDC_TENANT_CLAIM: 'org' }, 'SLUICE_OIDC_TENANT and SLUICE_OIDC_TENANT_CLAIM exclude each other'],
    [{ SLUICE_OIDC_TENANTS: '*' }, 'SLUICE_OIDC_TENANTS must list the tenants'],
    [{ SLUICE_OIDC_USER_CLAIM: 'a b' }, 'SLUICE_OIDC_USER_CLAIM must be a claim name'],
    [{ SLUICE_OIDC_NAME: 'My IdP' }, 'SLUICE_OIDC_NAME must match'],
    [{ SLUICE_OIDC_CLOCK_TOLERANCE_S: '3600' }, 'SLUICE_OIDC_CLOCK_TOLERANCE_S must be <= 300'],
    [{ SLUICE_OIDC_ISSUER: '' }, 'SLUICE_OIDC_AUDIENCE is set but SLUICE_OIDC_ISSUER is not'],
    [{ SLUICE_OPEN: 'true' }, 'SLUICE_OPEN=true cannot be combined with an OpenID provider'],
  ])('refuses to start on %j', (over, message) => {
    expect(() => loadConfig({ ...base, ...over })).toThrow(message);
  });

  it('takes http for a provider on the loopback interface only (tests, a provider beside Sluice)', () => {
    expect(loadConfig({ ...base, SLUICE_OIDC_ISSUER: 'http://127.0.0.1:8443' }).oidc.issuers[0]?.issuer).toBe('http://127.0.0.1:8443');
    expect(loadConfig({ ...base, SLUICE_OIDC_ISSUER: 'http://localhost:8443/realms/a' }).oidc.issuers[0]?.issuer).toBe(
      'http://localhost:8443/realms/a',
    );
  });

  it('reads more providers from SLUICE_OIDC_ISSUERS_FILE, names and issuers unique, entries named in errors', () => {
    const path = file([
      {
        issuer: 'https://login.microsoftonline.com/0000/v2.0',
        audience: ['api://sluice', 'sluice-client'],
        name: 'entra',
        tenant: 'globex',
        roleMap: { 'Sluice.Agent': 'agent' },
      },
    ]);
    const config = loadConfig({ ...base, SLUICE_OIDC_ISSUERS_FILE: path });
    expect(config.oidc.issuers.map((s) => [s.name, s.issuer, s.audience, s.tenant, s.roleMap])).toEqual([
      ['oidc', ISSUER, ['sluice-api'], { claim: 'tenant' }, { admin: 'admin', router: 'router', agent: 'agent', viewer: 'viewer' }],
      [
        'entra',
        'https://login.microsoftonline.com/0000/v2.0',
        ['api://sluice', 'sluice-client'],
        { fixed: 'globex' },
        { 'Sluice.Agent': 'agent' },
      ],
    ]);
    // Only the file: no SLUICE_OIDC_ISSUER needed.
    expect(loadConfig({ SLUICE_TENANTS: 'acme,globex', SLUICE_OIDC_ISSUERS_FILE: path }).oidc.issuers).toHaveLength(1);

    expect(() => loadConfig({ ...base, SLUICE_OIDC_ISSUERS_FILE: file([{ issuer: ISSUER, audience: 'x', name: 'second' }]) })).toThrow(
      `repeats the issuer ${ISSUER} of provider oidc`,
    );
    expect(() => loadConfig({ ...base, SLUICE_OIDC_ISSUERS_FILE: file([{ issuer: 'https://b.example', audience: 'x' }]) })).toThrow(
      'repeats the name "oidc"',
    );
    expect(() =>
      loadConfig({ ...base, SLUICE_OIDC_ISSUERS_FILE: file([{ issuer: 'https://b.example', audience: 'x', name: 'b', claims: {} }]) }),
    ).toThrow(/entry 1 has an unknown field "claims"/);
    expect(() =>
      loadConfig({
        ...base,
        SLUICE_OIDC_ISSUERS_FILE: file([{ issuer: 'https://b.example', audience: 'x', name: 'b', algorithms: ['HS256'] }]),
      }),
    ).toThrow(/entry 1 algorithms must list asymmetric/);
    expect(() => loadConfig({ ...base, SLUICE_OIDC_ISSUERS_FILE: file('{not json') })).toThrow(/cannot be read \(not valid JSON\)/);
  });
});

describe('tenants served with an OpenID provider', () => {
  it('unset SLUICE_TENANTS: the tenants of the keys and those the providers name; a provider of a tenant claim needs a list', () => {
    const keys = '0123456789abcdef-a:acme:admin';
    expect(loadConfig({ SLUICE_API_KEYS: keys, SLUICE_OIDC_ISSUER: ISSUER, SLUICE_OIDC_AUDIENCE: 'x' }).oidc.issuers[0]?.tenants).toEqual([
      'acme',
    ]);
    const both = loadConfig({
      SLUICE_API_KEYS: keys,
      SLUICE_OIDC_ISSUER: ISSUER,
      SLUICE_OIDC_AUDIENCE: 'x',
      SLUICE_OIDC_TENANTS: 'globex',
    });
    expect(both.tenants).toEqual(['acme', 'globex']);
    expect(
      loadConfig({ SLUICE_OIDC_ISSUER: ISSUER, SLUICE_OIDC_AUDIENCE: 'x', SLUICE_OIDC_TENANT: 'globex', SLUICE_OIDC_TENANTS: 'globex' })
        .tenants,
    ).toEqual(['globex']);
    expect(() => loadConfig({ SLUICE_OIDC_ISSUER: ISSUER, SLUICE_OIDC_AUDIENCE: 'x' })).toThrow(
      'SLUICE_OIDC_TENANTS must list the tenants tokens of this provider may act on',
    );
  });

  it('set SLUICE_TENANTS: every tenant of a provider must be among it', () => {
    expect(() => loadConfig({ ...base, SLUICE_TENANTS: 'acme', SLUICE_OIDC_TENANTS: 'acme,initech' })).toThrow(
      'SLUICE_TENANTS (acme) does not include initech of OpenID provider oidc',
    );
  });
});
