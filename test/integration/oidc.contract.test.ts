/** The token verifier contract against a real OpenID provider (oidc-provider over HTTP, tokens through the code flow with PKCE). */
import { RemoteIssuerKeys } from '../../adapters/oidc/remote-keys.js';
import { CONTRACT_ACCOUNTS, CONTRACT_AUDIENCE, tokenVerifierContract } from '../../adapters/oidc/verifier.contract.js';
import { startOidcProvider } from '../support/oidc.js';

tokenVerifierContract('oidc-provider', async () => {
  const idp = await startOidcProvider({ accounts: CONTRACT_ACCOUNTS, audience: CONTRACT_AUDIENCE, otherResources: ['urn:other:api'] });
  return {
    issuer: idp.issuer,
    token: (account, audience) => idp.signIn(account, audience),
    keys: (clock) => new RemoteIssuerKeys(idp.issuer, clock, { cooldownMs: 0 }),
    rotate: () => idp.rotateKeys(),
    down: async (down) => (down ? idp.stop() : idp.start()),
    close: () => idp.close(),
  };
});
