import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Clock } from '../clock.js';
import { principalFromClaims } from './claims.js';
import { ProviderUnavailableError, type IssuerKeys, type IssuerSettings, type TokenCheck, type TokenVerifier } from './types.js';

/** Longest token looked at, characters (a token with 200 groups is about 10 KB; Node's headers end at 16 KiB). */
export const MAX_TOKEN_CHARS = 16_384;

/** A compact JWS: three base64url parts, the first a JSON header (`eyJ` is `{"`). */
const COMPACT_JWS = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** One provider: its settings and where its signing keys come from. */
export interface IssuerBinding {
  readonly settings: IssuerSettings;
  readonly keys: IssuerKeys;
}

/** A value of the token shown back to its sender: quoted, cut short, control characters escaped. */
function shown(value: unknown): string {
  return JSON.stringify(typeof value === 'string' ? value.slice(0, 128) : value)?.slice(0, 160) ?? String(value);
}

const refused = (reason: Exclude<TokenCheck, { ok: true }>['reason'], message: string): TokenCheck => ({ ok: false, reason, message });

/**
 * Checks bearer tokens of the configured OpenID providers (jose): the token's `iss` picks the
 * provider (one not configured is refused), the header's `alg` must be one the provider's settings
 * allow (never `none` nor HMAC), the signature must verify with a key of the provider's JWKS (by
 * `kid`; an unknown `kid` makes the remote key set fetch the JWKS again, so a rotation is picked up),
 * and `iss`, `aud`, `exp` (required) and `nbf` are checked against the injected clock with the
 * provider's tolerance. Then the claims are read into a principal (`claims.ts`). A provider whose keys
 * cannot be had answers `unavailable` (retriable), never a refusal of the token.
 */
export class BearerTokenVerifier implements TokenVerifier {
  readonly #byIssuer: ReadonlyMap<string, IssuerBinding>;
  readonly #clock: Clock;

  /**
   * @param issuers the providers, issuers unique
   * @param clock the time tokens are checked at
   */
  constructor(issuers: readonly IssuerBinding[], clock: Clock) {
    const map = new Map<string, IssuerBinding>();
    for (const b of issuers) {
      if (map.has(b.settings.issuer)) throw new Error(`OpenID provider ${b.settings.issuer} is configured twice`);
      map.set(b.settings.issuer, b);
    }
    this.#byIssuer = map;
    this.#clock = clock;
  }

  /** The configured providers' settings. */
  get issuers(): readonly IssuerSettings[] {
    return [...this.#byIssuer.values()].map((b) => b.settings);
  }

  looksLikeToken(credential: string): boolean {
    return credential.length <= MAX_TOKEN_CHARS && COMPACT_JWS.test(credential);
  }

  async verify(token: string): Promise<TokenCheck> {
    if (!this.looksLikeToken(token))
      return refused(
        'malformed',
        `a bearer token must be a signed JWT (header.payload.signature) of at most ${MAX_TOKEN_CHARS} characters`,
      );
    let alg: unknown;
    let unverified: JWTPayload;
    try {
      alg = decodeProtectedHeader(token).alg;
      unverified = decodeJwt(token);
    } catch {
      return refused('malformed', 'the bearer token is not a JWT: its header or payload is not base64url-encoded JSON');
    }
    const binding = typeof unverified.iss === 'string' ? this.#byIssuer.get(unverified.iss) : undefined;
    if (binding === undefined) {
      return refused(
        'issuer',
        `the token's issuer ${shown(unverified.iss)} is not an OpenID provider this server trusts (${[...this.#byIssuer.keys()].join(', ')})`,
      );
    }
    const s = binding.settings;
    if (typeof alg !== 'string' || !s.algorithms.includes(alg)) {
      return refused(
        'algorithm',
        `the token's algorithm ${shown(alg)} is not accepted (provider ${s.name} accepts ${s.algorithms.join(', ')})`,
      );
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, binding.keys.getKey, {
        issuer: s.issuer,
        audience: [...s.audience],
        algorithms: [...s.algorithms],
        clockTolerance: s.clockToleranceSec,
        currentDate: new Date(this.#clock.now()),
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      return this.#refusalOf(err, s, unverified);
    }
    return principalFromClaims(payload, s);
  }

  #refusalOf(err: unknown, s: IssuerSettings, unverified: JWTPayload): TokenCheck {
    if (err instanceof ProviderUnavailableError)
      return refused('unavailable', `the OpenID provider ${s.name} (${s.issuer}) cannot be reached to check the token: ${err.message}`);
    if (err instanceof errors.JWTExpired) {
      return refused(
        'expired',
        `the token expired at ${new Date((unverified.exp ?? 0) * 1000).toISOString()} (clock tolerance ${s.clockToleranceSec} s)`,
      );
    }
    if (err instanceof errors.JWTClaimValidationFailed) {
      switch (err.claim) {
        case 'aud':
          return refused(
            'audience',
            `the token's audience ${shown(unverified.aud)} is not ${s.audience.join(' or ')} (provider ${s.name})`,
          );
        case 'iss':
          return refused('issuer', `the token's issuer is not ${s.issuer}`);
        case 'nbf':
          return refused('not_yet_valid', `the token is not valid before ${new Date((unverified.nbf ?? 0) * 1000).toISOString()}`);
        default:
          return refused('claims', `the token's "${err.claim}" claim is ${err.reason === 'missing' ? 'missing' : 'invalid'}`);
      }
    }
    if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys)
      return refused('unknown_key', `the OpenID provider ${s.name} has no single signing key for the token's key id (kid)`);
    if (err instanceof errors.JWSSignatureVerificationFailed) return refused('signature', 'the token signature does not verify');
    if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported)
      return refused('algorithm', `the token's algorithm is not accepted (provider ${s.name} accepts ${s.algorithms.join(', ')})`);
    if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid)
      return refused('malformed', `the bearer token is not a valid JWT: ${(err as Error).message}`);
    // A key of the wrong type for the algorithm, or anything jose refuses that is not listed above: the token is wrong.
    if (err instanceof errors.JOSEError || err instanceof TypeError) return refused('signature', 'the token signature does not verify');
    return refused('unavailable', `checking the token failed: ${(err as Error)?.message ?? String(err)}`);
  }
}
