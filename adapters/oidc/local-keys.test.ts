import { CONTRACT_ACCOUNTS, CONTRACT_AUDIENCE, tokenVerifierContract } from './verifier.contract.js';
import { LocalOidcProvider } from '../../test/support/local-oidc.js';

tokenVerifierContract('in-memory twin (tokens signed by jose)', async () => {
  const p = await LocalOidcProvider.start('https://login.acme.example/realms/acme', CONTRACT_AUDIENCE);
  return {
    issuer: p.issuer,
    token: (account, audience) => p.token(CONTRACT_ACCOUNTS[account], audience === undefined ? {} : { audience }),
    keys: () => p.keys(),
    rotate: () => p.rotate(),
    down: async (down) => p.down(down),
    close: async () => {},
  };
});
