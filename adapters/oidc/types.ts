/**
 * Bearer tokens of an OpenID Connect provider, as the credential of a person: the settings of one
 * provider (issuer, audience, how its claims map onto a tenant, roles, groups and a person id), the
 * port its signing keys come through ({@link IssuerKeys}: discovered and fetched from the provider,
 * or an in-memory twin), and what checking a token answers ({@link TokenCheck}). The checking itself is
 * `verifier.ts`; the mapping of claims `claims.ts`.
 */
import type { JWTVerifyGetKey } from 'jose';
import type { Principal, Role } from '../../core/access.js';

/**
 * Signature algorithms a provider's tokens may use: asymmetric only. `none` and the HMAC family
 * (HS256…) are never accepted: an HMAC "verified" with a provider's public key is a token anyone can make.
 */
export const ASYMMETRIC_ALGORITHMS = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const);

/** How one provider's tokens are checked and read. */
export interface IssuerSettings {
  /** Label of the provider in principals (`oidc:ann`), logs and `/v1/me`: `[a-z0-9][a-z0-9_-]*`. */
  readonly name: string;
  /** The `iss` its tokens carry, exactly; discovery is `<issuer>/.well-known/openid-configuration`. */
  readonly issuer: string;
  /** Audiences accepted: a token's `aud` must hold one of them (the API's resource identifier or client id). */
  readonly audience: readonly string[];
  /** Signature algorithms accepted, a subset of {@link ASYMMETRIC_ALGORITHMS}. */
  readonly algorithms: readonly string[];
  /** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. */
  readonly clockToleranceSec: number;
  /** Where the tenant comes from: a claim of the token, or one tenant for every token of this provider. */
  readonly tenant: { readonly claim: string } | { readonly fixed: string };
  /** Tenants this provider's tokens may act on; a token naming another is refused (403). */
  readonly tenants: readonly string[];
  /** Claim holding the person id (the people directory's id, and the workflow actor). */
  readonly userClaim: string;
  /** Claim holding the provider's roles (a list, or one string); a dotted path reaches into objects. */
  readonly rolesClaim: string;
  /** Provider role → Sluice API role; provider roles not listed are ignored. */
  readonly roleMap: Readonly<Record<string, Role>>;
  /** Claim holding the person's groups (matched by `group:` refs), or undefined for none. */
  readonly groupsClaim: string | undefined;
}

/** Why a token was not accepted; bounded (metrics label `reason`). */
export const TOKEN_REFUSALS = Object.freeze([
  'malformed',
  'algorithm',
  'issuer',
  'audience',
  'signature',
  'unknown_key',
  'expired',
  'not_yet_valid',
  'claims',
  'tenant',
  'role',
  'unavailable',
] as const);

/** One of {@link TOKEN_REFUSALS}. */
export type TokenRefusal = (typeof TOKEN_REFUSALS)[number];

/** What checking a token answers: the principal it proves, or why not. */
export type TokenCheck =
  | { readonly ok: true; readonly principal: Principal }
  | {
      readonly ok: false;
      readonly reason: TokenRefusal;
      /** For the client: what is wrong, naming the claim or setting; never the token's signature. */
      readonly message: string;
    };

/** Checks bearer tokens (`verifier.ts`); the auth plugin asks it for credentials that look like one. */
export interface TokenVerifier {
  /** True when `credential` has the shape of a signed JWT (three base64url parts); API keys are tried first. */
  looksLikeToken(credential: string): boolean;
  /** Checks a token: signature, issuer, audience, times, then the claims Sluice reads. Never throws. */
  verify(token: string): Promise<TokenCheck>;
}

/**
 * Where a provider's signing keys come from: a key for a token's protected header (jose's
 * `JWTVerifyGetKey`). The real one discovers the provider and fetches its JWKS (`remote-keys.ts`); the
 * twin holds a key set in memory (`local-keys.ts`). Both pass `verifier.contract.ts`.
 *
 * It rejects with {@link ProviderUnavailableError} when the keys cannot be had right now (the provider
 * is down or answers nonsense), and with jose's `JWKSNoMatchingKey` when the provider has no key for
 * the token's `kid`.
 */
export interface IssuerKeys {
  readonly getKey: JWTVerifyGetKey;
}

/** The provider's keys cannot be had right now: a retry may succeed (503, never 401). */
export class ProviderUnavailableError extends Error {
  override readonly name = 'ProviderUnavailableError';
}
