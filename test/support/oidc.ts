/**
 * A real OpenID provider for the tests: `oidc-provider` (a certified implementation of OpenID Connect
 * and OAuth 2.0) on a free loopback port, with a public client signing people in through the
 * authorization code flow with PKCE (driven over HTTP through the provider's development login and
 * consent pages), a confidential client for client-credentials tokens (machines), and JWT access
 * tokens for a resource (RFC 8707 resource indicators, RFC 9068 `at+jwt`) that carry the account's
 * claims. It rotates its signing key, goes down and comes back on the same port, so Sluice's
 * discovery, JWKS cache and error paths meet the real thing. Reused by the deployed fee-reduction test.
 *
 * @example
 *   const idp = await startOidcProvider({ accounts: { ann: { preferred_username: 'ann', tenant: 'acme', roles: ['agent'], groups: ['billing-agents'] } } });
 *   const token = await idp.signIn('ann');            // a real access token for idp.audience
 *   spawnSluice(['start'], { ...idp.sluiceEnv(), SLUICE_TENANTS: 'acme' });
 */
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The claims an account's access tokens carry (besides iss, sub, aud, exp, …), e.g. preferred_username, tenant, roles, groups. */
export type OidcAccountClaims = Readonly<Record<string, unknown>>;

/** What the provider is started with. */
export interface OidcProviderOptions {
  /** The people who can sign in, by account id (the token's `sub`), with the claims their access tokens carry. */
  readonly accounts: Readonly<Record<string, OidcAccountClaims>>;
  /** The resource (audience) Sluice's tokens are issued for (default `urn:sluice:api`). */
  readonly audience?: string;
  /** Other resources the provider issues tokens for (a token for one of them is a wrong audience for Sluice). */
  readonly otherResources?: readonly string[];
  /** Lifetime of access tokens, s (default 300). */
  readonly accessTokenTtlSec?: number;
  /** Claims of client-credentials tokens (machines), e.g. `{tenant: 'acme'}`. */
  readonly machineClaims?: OidcAccountClaims;
}

/** A running provider; see the module comment. */
export interface OidcProviderFixture {
  /** `http://127.0.0.1:<port>`: the `iss` of its tokens and the base of discovery. */
  readonly issuer: string;
  /** The resource Sluice's tokens are for (their `aud`). */
  readonly audience: string;
  /** The public client people sign in with (PKCE, no secret). */
  readonly clientId: string;
  /**
   * Signs `account` in through the authorization code flow with PKCE — authorize, the login page, the
   * consent page, the redirect with the code, the token endpoint — and returns the JWT access token
   * for `resource` (default {@link OidcProviderFixture.audience}).
   */
  signIn(account: string, resource?: string): Promise<string>;
  /** A client-credentials access token of the machine client for `resource` (default the audience). */
  machineToken(resource?: string): Promise<string>;
  /** Replaces (or adds) an account's claims; tokens issued from now on carry them. */
  setAccount(account: string, claims: OidcAccountClaims): void;
  /** Starts signing with a new key (the old one stays published in the JWKS); resolves to the new `kid`. */
  rotateKeys(): Promise<string>;
  /** The provider stops answering: its port refuses connections (discovery and JWKS fail). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** Requests the provider answered, by path (`/.well-known/openid-configuration`, `/jwks`, `/token`, …). */
  readonly requests: ReadonlyMap<string, number>;
  /** The `SLUICE_OIDC_*` variables pointing Sluice at this provider (Keycloak/Entra-style claim names). */
  sluiceEnv(): Record<string, string>;
  close(): Promise<void>;
}

const REDIRECT_URI = 'http://127.0.0.1/callback';
const MACHINE_SECRET = randomBytes(24).toString('base64url');

interface PrivateKey {
  readonly kid: string;
  readonly jwk: JWK;
}

async function newKey(): Promise<PrivateKey> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `k-${randomUUID().slice(0, 8)}`;
  return { kid, jwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** A cookie jar for one browser session against the provider. */
class Browser {
  readonly #jar = new Map<string, string>();

  async go(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const cookie = [...this.#jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie } });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0] ?? '';
      const i = pair.indexOf('=');
      if (i > 0) this.#jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
    return res;
  }
}

/** Starts a provider on a free loopback port; see the module comment. */
export async function startOidcProvider(options: OidcProviderOptions): Promise<OidcProviderFixture> {
  const audience = options.audience ?? 'urn:sluice:api';
  const resources = new Set([audience, ...(options.otherResources ?? [])]);
  const accounts = new Map(Object.entries(options.accounts));
  const ttl = options.accessTokenTtlSec ?? 300;
  const requests = new Map<string, number>();
  let keys: PrivateKey[] = [await newKey()];
  let handler: (req: IncomingMessage, res: ServerResponse) => void = () => {};
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    requests.set(path, (requests.get(path) ?? 0) + 1);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;

  const build = () =>
    new Provider(issuer, {
      clients: [
        {
          client_id: 'sluice-console',
          application_type: 'native',
          token_endpoint_auth_method: 'none',
          redirect_uris: [REDIRECT_URI],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
        {
          client_id: 'sluice-machine',
          client_secret: MACHINE_SECRET,
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
        },
      ],
      jwks: { keys: keys.map((k) => k.jwk) },
      findAccount: async (_ctx: unknown, id: string) =>
        accounts.has(id) ? { accountId: id, claims: async () => ({ sub: id }) } : undefined,
      scopes: ['openid', 'sluice'],
      pkce: { required: () => true },
      features: {
        devInteractions: { enabled: true },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => audience,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx: unknown, resource: string) => {
            if (!resources.has(resource)) throw new Error(`unknown resource ${resource}`);
            return { scope: 'sluice', audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: ttl, jwt: { sign: { alg: 'RS256' } } };
          },
        },
      },
      // The account's claims in its access tokens (preferred_username, tenant, roles, groups), as Keycloak's and Entra's mappers do.
      extraTokenClaims: async (_ctx: unknown, token: { accountId?: string }) =>
        token.accountId !== undefined ? { ...accounts.get(token.accountId) } : { ...options.machineClaims },
      ttl: {
        AccessToken: ttl,
        AuthorizationCode: 60,
        ClientCredentials: ttl,
        IdToken: 3600,
        Interaction: 600,
        Session: 3600,
        Grant: 3600,
      },
    });
  handler = build().callback();

  const token = async (body: Record<string, string>, headers: Record<string, string> = {}): Promise<string> => {
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(body),
    });
    const json = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
    if (res.status !== 200 || json.access_token === undefined)
      throw new Error(`token endpoint answered ${res.status}: ${json.error ?? ''} ${json.error_description ?? ''}`);
    return json.access_token;
  };

  const signIn = async (account: string, resource = audience): Promise<string> => {
    if (!accounts.has(account)) throw new Error(`no account ${account}`);
    const browser = new Browser();
    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL(`${issuer}/auth`);
    authorize.search = new URLSearchParams({
      client_id: 'sluice-console',
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid sluice',
      resource,
      state: randomUUID(),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    let res = await browser.go(authorize);
    // Follow the provider's redirects, filling its login and consent forms, until it redirects back with the code.
    for (let step = 0; step < 12; step++) {
      if (res.status === 200) {
        const page = await res.text();
        const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
        if (action === undefined) throw new Error(`the provider's page has no form: ${page.slice(0, 200)}`);
        const login = /name="prompt" value="login"/.test(page);
        const form: Record<string, string> = login ? { prompt: 'login', login: account, password: 'any' } : { prompt: 'consent' };
        res = await browser.go(new URL(action.replaceAll('&amp;', '&'), issuer), {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(form),
        });
        continue;
      }
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || location === null) throw new Error(`the provider answered ${res.status} during sign-in`);
      if (location.startsWith(REDIRECT_URI)) {
        const back = new URL(location);
        const code = back.searchParams.get('code');
        if (code === null)
          throw new Error(`sign-in refused: ${back.searchParams.get('error')} ${back.searchParams.get('error_description')}`);
        return token({
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT_URI,
          client_id: 'sluice-console',
          code_verifier: verifier,
          resource,
        });
      }
      res = await browser.go(new URL(location, issuer));
    }
    throw new Error('sign-in did not come back to the client');
  };

  const fixture: OidcProviderFixture = {
    issuer,
    audience,
    clientId: 'sluice-console',
    requests,
    signIn,
    machineToken: (resource = audience) =>
      token(
        { grant_type: 'client_credentials', scope: 'sluice', resource },
        { authorization: `Basic ${Buffer.from(`sluice-machine:${MACHINE_SECRET}`).toString('base64')}` },
      ),
    setAccount(account, claims) {
      accounts.set(account, claims);
    },
    async rotateKeys() {
      const next = await newKey();
      keys = [next, ...keys];
      handler = build().callback();
      return next.kid;
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    },
    sluiceEnv: () => ({
      SLUICE_OIDC_ISSUER: issuer,
      SLUICE_OIDC_AUDIENCE: audience,
      SLUICE_OIDC_USER_CLAIM: 'preferred_username',
      SLUICE_OIDC_TENANT_CLAIM: 'tenant',
      SLUICE_OIDC_ROLES_CLAIM: 'roles',
      SLUICE_OIDC_GROUPS_CLAIM: 'groups',
    }),
    async close() {
      if (server.listening) await fixture.stop();
    },
  };
  return fixture;
}
