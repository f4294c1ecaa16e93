import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { ProviderUnavailableError, type IssuerKeys } from './types.js';

/**
 * The in-memory twin of `RemoteIssuerKeys`, with the same behaviour without a network: what the
 * provider publishes ({@link LocalIssuerKeys.publish}, a rotation) is "fetched" on first use and again
 * for a `kid` it does not hold; while the provider is {@link LocalIssuerKeys.down}, tokens signed with
 * a key already fetched still verify and anything else is {@link ProviderUnavailableError}. Used where
 * no provider runs: unit tests and the route tests of every room. Both pass `verifier.contract.ts`.
 */
export class LocalIssuerKeys implements IssuerKeys {
  #published: JSONWebKeySet;
  #fetched: { jwks: JSONWebKeySet; get: ReturnType<typeof createLocalJWKSet> } | undefined;
  #down = false;

  /** @param jwks the provider's public keys */
  constructor(jwks: JSONWebKeySet) {
    this.#published = jwks;
  }

  /** Replaces the key set the provider publishes (a rotation). */
  publish(jwks: JSONWebKeySet): void {
    this.#published = jwks;
  }

  /** Makes the provider unreachable (true) or reachable again (false). */
  down(down = true): void {
    this.#down = down;
  }

  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const held = this.#fetched;
    if (held && (header.kid === undefined || held.jwks.keys.some((k) => k.kid === header.kid))) return held.get(header, token);
    if (this.#down) throw new ProviderUnavailableError('the provider is down (in-memory twin)');
    const jwks = structuredClone(this.#published);
    this.#fetched = { jwks, get: createLocalJWKSet(jwks) };
    if (header.kid !== undefined && !jwks.keys.some((k) => k.kid === header.kid)) throw new errors.JWKSNoMatchingKey();
    return this.#fetched.get(header, token);
  };
}
