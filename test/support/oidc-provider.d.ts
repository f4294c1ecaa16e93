/**
 * The little of oidc-provider's API the test fixture uses (`test/support/oidc.ts`); the package ships
 * no types, and this keeps `@types/oidc-provider` out of the dependencies.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** An OpenID provider (a Koa application). */
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    /** The request listener for a node http server. */
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }
}
