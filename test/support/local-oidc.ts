/**
 * An OpenID provider without a network, for unit and route tests: it signs access tokens with its own
 * RSA key (jose), publishes the public half through the in-memory twin of the key source
 * (`adapters/oidc/local-keys.ts`), rotates its key and goes down on demand. The tests against the real
 * provider use `test/support/oidc.ts` (oidc-provider over HTTP); both pass the same contract.
 */
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { LocalIssuerKeys } from '../../adapters/oidc/local-keys.js';
import { BearerTokenVerifier } from '../../adapters/oidc/verifier.js';
import type { Clock } from '../../adapters/clock.js';
import type { IssuerSettings } from '../../adapters/oidc/types.js';

/** What a token of the local provider says: the claims, and when it is valid. */
export interface LocalTokenOptions {
  readonly audience?: string;
  /** Seconds from `now` to `exp` (default 300). */
  readonly expiresInSec?: number;
  /** `nbf`, epoch s. */
  readonly notBefore?: number;
  /** `iat`/`exp` are counted from this time, epoch ms (default `Date.now()`). */
  readonly now?: number;
  /** The token's subject (default the person's id, or a uuid). */
  readonly subject?: string;
}

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = `local-${randomUUID().slice(0, 8)}`;
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** See the module comment. */
export class LocalOidcProvider {
  readonly issuer: string;
  readonly audience: string;
  #signing: SigningKey;
  #published: SigningKey[];
  /** One key source per verifier built with {@link LocalOidcProvider.keys}; each sees the same publications. */
  readonly #sources: LocalIssuerKeys[] = [];
  #down = false;

  private constructor(issuer: string, audience: string, key: SigningKey) {
    this.issuer = issuer;
    this.audience = audience;
    this.#signing = key;
    this.#published = [key];
  }

  /** A provider for `issuer` issuing tokens for `audience`. */
  static async start(issuer = 'https://login.acme.example/realms/acme', audience = 'urn:sluice:api'): Promise<LocalOidcProvider> {
    return new LocalOidcProvider(issuer, audience, await newKey());
  }

  /** A signed access token with `claims` (plus `iss`, `aud`, `sub`, `iat`, `exp`, `jti`). */
  async token(claims: Readonly<Record<string, unknown>>, o: LocalTokenOptions = {}): Promise<string> {
    const now = Math.floor((o.now ?? Date.now()) / 1000);
    const subject = o.subject ?? (typeof claims.preferred_username === 'string' ? `sub-${claims.preferred_username}` : randomUUID());
    const jwt = new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: this.#signing.kid })
      .setIssuer(this.issuer)
      .setAudience(o.audience ?? this.audience)
      .setSubject(subject)
      .setIssuedAt(now)
      .setExpirationTime(now + (o.expiresInSec ?? 300))
      .setJti(randomUUID());
    if (o.notBefore !== undefined) jwt.setNotBefore(o.notBefore);
    return jwt.sign(this.#signing.privateKey);
  }

  /** A key source for one verifier: nothing fetched until its first token. */
  keys(): LocalIssuerKeys {
    const source = new LocalIssuerKeys({ keys: this.#published.map((k) => k.publicJwk) });
    source.down(this.#down);
    this.#sources.push(source);
    return source;
  }

  /** Signs with a new key from now on; the old one stays published. Resolves to the new `kid`. */
  async rotate(): Promise<string> {
    this.#signing = await newKey();
    this.#published = [this.#signing, ...this.#published];
    for (const s of this.#sources) s.publish({ keys: this.#published.map((k) => k.publicJwk) });
    return this.#signing.kid;
  }

  /** The provider cannot be reached (true) or can again (false). */
  down(down: boolean): void {
    this.#down = down;
    for (const s of this.#sources) s.down(down);
  }

  /** A verifier of this provider's tokens with `settings` (issuer filled in) on `clock`. */
  verifier(settings: Omit<IssuerSettings, 'issuer'>, clock: Clock): BearerTokenVerifier {
    return new BearerTokenVerifier([{ settings: { ...settings, issuer: this.issuer }, keys: this.keys() }], clock);
  }
}
