import { base64url, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { REMOTE_KEYS_DEFAULTS } from './remote-keys.js';
import { BearerTokenVerifier } from './verifier.js';
import { ASYMMETRIC_ALGORITHMS, type IssuerKeys, type IssuerSettings } from './types.js';

/**
 * The people every provider under contract knows, with the claims their access tokens carry
 * (Keycloak/Entra-style names: `preferred_username`, `roles`, `groups`, and a `tenant` claim).
 */
export const CONTRACT_ACCOUNTS = Object.freeze({
  ann: { preferred_username: 'ann', tenant: 'acme', roles: ['agent', 'offline_access'], groups: ['billing-agents'] },
  max: { preferred_username: 'max', tenant: 'acme', roles: ['sluice-supervisor', 'agent'], groups: ['billing-managers', 'billing-agents'] },
  eve: { preferred_username: 'eve', tenant: 'nope', roles: ['agent'], groups: [] },
  bob: { preferred_username: 'bob', tenant: 'acme', roles: ['cleaner'], groups: [] },
  nameless: { tenant: 'acme', roles: ['agent'], groups: [] },
} as const);

/** A person of {@link CONTRACT_ACCOUNTS}. */
export type ContractAccount = keyof typeof CONTRACT_ACCOUNTS;

/** The audience every provider under contract issues its Sluice tokens for. */
export const CONTRACT_AUDIENCE = 'urn:sluice:api';

/** A provider under contract: it issues tokens, rotates its signing key, goes down and comes back. */
export interface ContractProvider {
  readonly issuer: string;
  /** An access token for the person, for `audience` (default {@link CONTRACT_AUDIENCE}), as the provider issues it. */
  token(account: ContractAccount, audience?: string): Promise<string>;
  /** A fresh key source for the provider (nothing fetched yet) on the given clock. */
  keys(clock: Clock): IssuerKeys;
  /** Signs with a new key from now on (the old one stays published); resolves to the new `kid`. */
  rotate(): Promise<string>;
  /** The provider stops answering (true) or answers again (false). */
  down(down: boolean): Promise<void>;
  close(): Promise<void>;
}

/** The settings the contract verifies with: Keycloak/Entra-style claims, `sluice-supervisor` mapped to admin. */
export function contractSettings(issuer: string, over: Partial<IssuerSettings> = {}): IssuerSettings {
  return {
    name: 'oidc',
    issuer,
    audience: [CONTRACT_AUDIENCE],
    algorithms: [...ASYMMETRIC_ALGORITHMS],
    clockToleranceSec: 30,
    tenant: { claim: 'tenant' },
    tenants: ['acme'],
    userClaim: 'preferred_username',
    rolesClaim: 'roles',
    roleMap: { 'sluice-supervisor': 'admin', agent: 'agent', viewer: 'viewer' },
    groupsClaim: 'groups',
    ...over,
  };
}

/**
 * The behaviour every key source must give the verifier (the provider's JWKS fetched by discovery,
 * and the in-memory twin): real tokens accepted and read into the person they name; every kind of
 * wrong token refused with its reason; a rotation picked up; a provider that cannot be reached
 * answered as unavailable, not as a bad token.
 */
export function tokenVerifierContract(name: string, make: () => Promise<ContractProvider>): void {
  describe(`token verifier contract: ${name}`, () => {
    let p: ContractProvider;
    let clock: ManualClock;
    let verifier: BearerTokenVerifier;
    beforeAll(async () => {
      p = await make();
    });
    afterAll(async () => {
      await p.close();
    });
    const fresh = (over: Partial<IssuerSettings> = {}) => {
      clock = new ManualClock(Date.now());
      verifier = new BearerTokenVerifier([{ settings: contractSettings(p.issuer, over), keys: p.keys(clock) }], clock);
      return verifier;
    };

    it("accepts a person's token as that person: tenant, mapped role, groups, person id", async () => {
      const v = fresh();
      const token = await p.token('ann');
      expect(v.looksLikeToken(token)).toBe(true);
      const check = await v.verify(token);
      expect(check).toEqual({
        ok: true,
        principal: {
          tenant: 'acme',
          role: 'agent',
          user: 'ann',
          groups: ['billing-agents'],
          keyId: 'oidc:ann',
          token: { provider: 'oidc', issuer: p.issuer, subject: expect.any(String), expiresAt: decodeJwt(token).exp! * 1000 },
        },
      });
      const max = await v.verify(await p.token('max'));
      expect(max).toMatchObject({ ok: true, principal: { role: 'admin', user: 'max', groups: ['billing-managers', 'billing-agents'] } });
    });

    it('refuses a token past its expiry (beyond the clock tolerance), and not before', async () => {
      const v = fresh();
      const token = await p.token('ann');
      const exp = decodeJwt(token).exp! * 1000;
      clock.advance(exp + 29_000 - clock.now());
      expect((await v.verify(token)).ok).toBe(true);
      clock.advance(2_000);
      expect(await v.verify(token)).toMatchObject({ ok: false, reason: 'expired', message: expect.stringContaining('expired') });
    });

    it('refuses a token for another audience, and one from an issuer it does not trust', async () => {
      const v = fresh();
      expect(await v.verify(await p.token('ann', 'urn:other:api'))).toMatchObject({
        ok: false,
        reason: 'audience',
        message: expect.stringContaining(CONTRACT_AUDIENCE),
      });
      const stranger = new BearerTokenVerifier(
        [{ settings: contractSettings('https://login.example.com/realms/other'), keys: p.keys(clock) }],
        clock,
      );
      expect(await stranger.verify(await p.token('ann'))).toMatchObject({
        ok: false,
        reason: 'issuer',
        message: expect.stringContaining(p.issuer),
      });
    });

    it('refuses a tampered token: payload changed, signature changed, alg none, HMAC over the public key', async () => {
      const v = fresh();
      const token = await p.token('ann');
      const [h, body, sig] = token.split('.') as [string, string, string];
      const claims = decodeJwt(token);
      const asMax = base64url.encode(JSON.stringify({ ...claims, preferred_username: 'max', roles: ['sluice-supervisor'] }));
      expect(await v.verify(`${h}.${asMax}.${sig}`)).toMatchObject({ ok: false, reason: 'signature' });
      const flipped = `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
      expect(await v.verify(`${h}.${body}.${flipped}`)).toMatchObject({ ok: false, reason: 'signature' });
      const none = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
      expect(await v.verify(`${none}.${body}.`)).toMatchObject({
        ok: false,
        reason: 'algorithm',
        message: expect.stringContaining('"none"'),
      });
      const hs = base64url.encode(JSON.stringify({ ...decodeProtectedHeader(token), alg: 'HS256' }));
      expect(await v.verify(`${hs}.${body}.${sig}`)).toMatchObject({ ok: false, reason: 'algorithm' });
      expect(await v.verify('eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln')).toMatchObject({ ok: false, reason: 'malformed' });
    });

    it('refuses a tenant the provider does not serve (403), a token with no Sluice role (403), and one naming no person', async () => {
      const v = fresh();
      expect(await v.verify(await p.token('eve'))).toMatchObject({
        ok: false,
        reason: 'tenant',
        message: expect.stringContaining('"nope"'),
      });
      expect(await v.verify(await p.token('bob'))).toMatchObject({ ok: false, reason: 'role' });
      expect(await v.verify(await p.token('nameless'))).toMatchObject({
        ok: false,
        reason: 'claims',
        message: expect.stringContaining('preferred_username'),
      });
      // A fixed tenant for every token of the provider: the tenant claim is not read.
      const fixed = fresh({ tenant: { fixed: 'acme' } });
      expect(await fixed.verify(await p.token('eve'))).toMatchObject({ ok: true, principal: { tenant: 'acme', user: 'eve' } });
    });

    it('picks up a rotation: a token signed with a new key verifies, and tokens of the old key still do', async () => {
      const v = fresh();
      const before = await p.token('ann');
      expect((await v.verify(before)).ok).toBe(true);
      const kid = await p.rotate();
      const after = await p.token('ann');
      expect(decodeProtectedHeader(after).kid).toBe(kid);
      expect(decodeProtectedHeader(before).kid).not.toBe(kid);
      expect(await v.verify(after)).toMatchObject({ ok: true, principal: { user: 'ann' } });
      expect((await v.verify(before)).ok).toBe(true);
    });

    it('answers unavailable (not a bad token) while the provider cannot be reached; keys already had keep working', async () => {
      const had = fresh();
      const token = await p.token('ann');
      expect((await had.verify(token)).ok).toBe(true);
      await p.down(true);
      try {
        const cold = fresh();
        expect(await cold.verify(token)).toMatchObject({ ok: false, reason: 'unavailable' });
        expect((await had.verify(token)).ok).toBe(true);
      } finally {
        await p.down(false);
      }
      // After a failure, the provider is asked again once the retry time has passed.
      clock.advance(REMOTE_KEYS_DEFAULTS.retryMs);
      expect((await verifier.verify(token)).ok).toBe(true);
    });
  });
}
