import { requireTenant, type Principal } from '../../core/access.js';
import type { Actor } from '../definition/permissions.js';
import { workflowError } from '../errors.js';

/**
 * The tenant a request acts on (`core/access.ts`). A tenant key acts on its own tenant; naming
 * another one is answered as if it did not exist (404), so existence never leaks across tenants.
 * A platform key (tenant `*`) must name the tenant.
 *
 * @param asked the tenant the request names, if any
 * @param field where the request names it, for the error (`querystring.tenant`)
 * @throws SluiceError `SLUICE_ERR_NOT_FOUND`, `SLUICE_ERR_VALIDATION`
 */
export function tenantOf(principal: Principal, asked: string | undefined, field = 'querystring.tenant'): string {
  return requireTenant(principal, asked, field);
}

/**
 * The engine actor of a request: the principal of its API key or OpenID access token, and nothing
 * the request says. A key configured with a user, or a token (whose claims name the person), acts as
 * that person (`user:` refs, assignments, separation of duties: the same person whichever credential)
 * holding the credential's role (`role:agent`, …) and groups (`group:` refs). A key without a user acts as itself,
 * `key:<label>` (its configured name or `key#<n>`): an admin key as a system actor (flow admin),
 * any other key with its role alone.
 */
export function actorOf(principal: Principal): Actor {
  if (principal.user !== undefined) return { id: principal.user, roles: [principal.role], groups: [...(principal.groups ?? [])] };
  const id = `key:${principal.keyId}`;
  return principal.role === 'admin' ? { id, kind: 'system' } : { id, roles: [principal.role] };
}

/**
 * Refuses a request body that names an actor: who acts comes from the credential alone, so an
 * `actor` (or roles, groups) in the body would be a claim nobody checked. Refused rather than
 * ignored, so a client that still sends one learns it would not have acted as that person.
 *
 * @throws SluiceError `SLUICE_ERR_VALIDATION` naming `body.actor`
 */
export function refuseBodyActor(body: unknown): void {
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && Object.hasOwn(body, 'actor')) {
    throw workflowError(
      'SLUICE_ERR_VALIDATION',
      'body.actor is not accepted: identity comes from the API key (the user, role and groups configured for it) or the OpenID access token (its person, roles and groups), never from the request body',
      { details: { field: 'body.actor' } },
    );
  }
}

/**
 * The revision a write expects: `expectedRevision` in the body and/or an `If-Match` header
 * (`"3"`, `W/"3"` or `3`); both given must agree.
 *
 * @throws SluiceError `SLUICE_ERR_VALIDATION`
 */
export function expectedRevisionOf(body: number | undefined, ifMatch: string | string[] | undefined): number | undefined {
  const header = Array.isArray(ifMatch) ? ifMatch[0] : ifMatch;
  let fromHeader: number | undefined;
  if (header !== undefined) {
    const m = /^(?:W\/)?"?(\d{1,15})"?$/.exec(header.trim());
    if (!m)
      throw workflowError('SLUICE_ERR_VALIDATION', 'headers.if-match must be a ticket revision such as "3"', {
        details: { field: 'headers.if-match' },
      });
    fromHeader = Number(m[1]);
  }
  if (body !== undefined && fromHeader !== undefined && body !== fromHeader) {
    throw workflowError('SLUICE_ERR_VALIDATION', `body.expectedRevision (${body}) and headers.if-match (${fromHeader}) disagree`, {
      details: { field: 'body.expectedRevision' },
    });
  }
  return body ?? fromHeader;
}
