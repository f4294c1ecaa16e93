import { createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../clock.js';
import { ProviderUnavailableError, type IssuerKeys } from './types.js';

/** How the keys of a provider are fetched and kept (README, "Signing in (OpenID Connect)"). */
export interface RemoteKeysOptions {
  /** Time for one discovery or JWKS request, ms (default 5000). */
  readonly timeoutMs?: number;
  /**
   * After a JWKS fetch, ms during which a token with an unknown `kid` is refused without fetching again
   * (default 30 000): a stream of made-up key ids cannot make Sluice hammer the provider.
   */
  readonly cooldownMs?: number;
  /** How long fetched keys are used before they are fetched again, ms (default 600 000). */
  readonly cacheMaxAgeMs?: number;
  /** After a failed discovery or JWKS fetch, ms during which requests needing the provider fail at once (default 5000). */
  readonly retryMs?: number;
  /** The fetch to use (default the global one). */
  readonly fetch?: typeof fetch;
}

/** Defaults of {@link RemoteKeysOptions}. */
export const REMOTE_KEYS_DEFAULTS = Object.freeze({ timeoutMs: 5_000, cooldownMs: 30_000, cacheMaxAgeMs: 600_000, retryMs: 5_000 });

/** Largest discovery document read, bytes. */
const MAX_DISCOVERY_BYTES = 1 << 20;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True when `url` may be fetched without TLS: only on the loopback interface (tests, a provider beside Sluice). */
export function plainHttpAllowed(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
}

/**
 * The provider's `jwks_uri`, from its discovery document (`<issuer>/.well-known/openid-configuration`):
 * the document must name the same `issuer` (OpenID Connect Discovery 1.0, 4.3) and a `jwks_uri` on
 * https (or on the loopback interface for a provider served over http there).
 *
 * @throws ProviderUnavailableError when the document cannot be had or says something else
 */
export async function discoverJwksUri(issuer: string, timeoutMs: number, fetchImpl: typeof fetch = fetch): Promise<URL> {
  const at = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let res: Response;
  try {
    res = await fetchImpl(at, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (err) {
    throw new ProviderUnavailableError(
      `discovery at ${at} failed (${(err as Error).name === 'TimeoutError' ? 'timeout' : (err as Error).message})`,
    );
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => {});
    throw new ProviderUnavailableError(`discovery at ${at} answered ${res.status}`);
  }
  let doc: unknown;
  try {
    const text = await res.text();
    if (text.length > MAX_DISCOVERY_BYTES) throw new Error('too large');
    doc = JSON.parse(text);
  } catch {
    throw new ProviderUnavailableError(`discovery at ${at} did not answer a JSON document of at most ${MAX_DISCOVERY_BYTES} bytes`);
  }
  const d = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>;
  if (d.issuer !== issuer) throw new ProviderUnavailableError(`discovery at ${at} names issuer ${JSON.stringify(d.issuer)}, not ${issuer}`);
  let uri: URL;
  try {
    uri = new URL(String(d.jwks_uri));
  } catch {
    throw new ProviderUnavailableError(`discovery at ${at} names no valid jwks_uri`);
  }
  if (!plainHttpAllowed(uri)) throw new ProviderUnavailableError(`discovery at ${at} names a jwks_uri that is not https`);
  return uri;
}

/** Errors of the key set that are about the token, not the provider: passed on as they are. */
function aboutTheToken(err: unknown): boolean {
  return (
    err instanceof errors.JWKSNoMatchingKey ||
    err instanceof errors.JWKSMultipleMatchingKeys ||
    err instanceof errors.JOSENotSupported ||
    err instanceof errors.JOSEAlgNotAllowed
  );
}

type RemoteSet = ReturnType<typeof createRemoteJWKSet>;

/**
 * The real {@link IssuerKeys}: discovers the provider on first use, then reads its JWKS through jose's
 * remote key set (cached `cacheMaxAgeMs`, fetched again for an unknown `kid` at most once per
 * `cooldownMs`: a rotation on the provider is picked up on the first token signed with the new key).
 * Nothing is fetched at start: Sluice starts while the provider is down, and API keys work throughout.
 * While the provider cannot be reached, tokens signed with a key already fetched and fresh still verify;
 * anything needing the provider fails with {@link ProviderUnavailableError}, at once for `retryMs`
 * after a failure.
 */
export class RemoteIssuerKeys implements IssuerKeys {
  readonly #issuer: string;
  readonly #clock: Clock;
  readonly #opts: Required<Omit<RemoteKeysOptions, 'fetch'>> & { fetch: typeof fetch | undefined };
  #set: RemoteSet | undefined;
  #discovering: Promise<RemoteSet> | undefined;
  #downUntil = 0;
  #lastFailure = '';

  constructor(issuer: string, clock: Clock, options: RemoteKeysOptions = {}) {
    this.#issuer = issuer;
    this.#clock = clock;
    this.#opts = { ...REMOTE_KEYS_DEFAULTS, ...options, fetch: options.fetch };
  }

  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const set = this.#set ?? (await this.#discover());
    if (this.#clock.now() < this.#downUntil && !this.#knows(set, header.kid)) throw new ProviderUnavailableError(this.#lastFailure);
    try {
      return await set(header, token);
    } catch (err) {
      if (aboutTheToken(err)) throw err;
      throw this.#failed(`its JWKS could not be fetched (${err instanceof errors.JWKSTimeout ? 'timeout' : (err as Error).message})`);
    }
  };

  /** True when the set holds fresh keys and one with this `kid` (or the token names none). */
  #knows(set: RemoteSet, kid: string | undefined): boolean {
    if (!set.fresh) return false;
    return kid === undefined || (set.jwks()?.keys ?? []).some((k) => k.kid === kid);
  }

  #failed(what: string): ProviderUnavailableError {
    this.#lastFailure = `${what}; tried again from ${new Date(this.#clock.now() + this.#opts.retryMs).toISOString()}`;
    this.#downUntil = this.#clock.now() + this.#opts.retryMs;
    return new ProviderUnavailableError(this.#lastFailure);
  }

  async #discover(): Promise<RemoteSet> {
    if (this.#clock.now() < this.#downUntil) throw new ProviderUnavailableError(this.#lastFailure);
    this.#discovering ??= (async () => {
      try {
        const uri = await discoverJwksUri(this.#issuer, this.#opts.timeoutMs, this.#opts.fetch);
        const set = createRemoteJWKSet(uri, {
          timeoutDuration: this.#opts.timeoutMs,
          cooldownDuration: this.#opts.cooldownMs,
          cacheMaxAge: this.#opts.cacheMaxAgeMs,
        });
        this.#set = set;
        return set;
      } catch (err) {
        throw this.#failed((err as Error).message);
      } finally {
        this.#discovering = undefined;
      }
    })();
    return this.#discovering;
  }
}
