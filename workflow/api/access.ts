import type { Principal } from '../../app/config.js';
import type { Actor } from '../definition/permissions.js';
import { WorkflowError } from '../errors.js';

/** Tenant names as API keys carry them. */
export const TENANT_PATTERN = '^[a-z0-9][a-z0-9_-]{0,62}$';

/**
 * The tenant a request acts on. A tenant key acts on its own tenant; naming another one is
 * answered as if it did not exist (404), so existence never leaks across tenants. A
 * platform key (tenant `*`) must name the tenant.
 *
 * @param asked the tenant the request names, if any
 * @param field where the request names it, for the error (`querystring.tenant`)
 * @throws WorkflowError `SLUICE_ERR_NOT_FOUND`, `SLUICE_ERR_VALIDATION`
 */
export function tenantOf(principal: Principal, asked: string | undefined, field = 'querystring.tenant'): string {
  if (principal.tenant === '*') {
    if (asked === undefined || asked === '') throw new WorkflowError('SLUICE_ERR_VALIDATION', `${field} is required for platform keys`, { details: { field } });
    if (!new RegExp(TENANT_PATTERN).test(asked)) throw new WorkflowError('SLUICE_ERR_VALIDATION', `${field} must match ${TENANT_PATTERN}`, { details: { field } });
    return asked;
  }
  if (asked !== undefined && asked !== principal.tenant) throw new WorkflowError('SLUICE_ERR_NOT_FOUND', `tenant "${asked}" not found`);
  return principal.tenant;
}

/** The person a request acts for, as the calling system names them. */
export interface ActorBody {
  /** User id. */
  readonly id: string;
  readonly groups?: readonly string[];
  readonly roles?: readonly string[];
  readonly organisation?: string;
}

/**
 * The engine actor of a request. The API key authenticates the calling system (an agent
 * desktop, the IVR, an admin console), which names the person it acts for in `actor`; that
 * person also holds the key's role (`role:agent`, …) for flow permissions. Without `actor`,
 * an admin key acts as a system actor and any other key as itself (`key:<keyId>`).
 */
export function actorOf(principal: Principal, given: ActorBody | undefined): Actor {
  if (!given) return principal.role === 'admin' ? { id: `key:${principal.keyId}`, kind: 'system' } : { id: `key:${principal.keyId}`, roles: [principal.role] };
  return {
    id: given.id,
    roles: [...new Set([principal.role, ...(given.roles ?? [])])],
    groups: [...(given.groups ?? [])],
    ...(given.organisation !== undefined && { organisation: given.organisation }),
  };
}

/**
 * The revision a write expects: `expectedRevision` in the body and/or an `If-Match` header
 * (`"3"`, `W/"3"` or `3`); both given must agree.
 *
 * @throws WorkflowError `SLUICE_ERR_VALIDATION`
 */
export function expectedRevisionOf(body: number | undefined, ifMatch: string | string[] | undefined): number | undefined {
  const header = Array.isArray(ifMatch) ? ifMatch[0] : ifMatch;
  let fromHeader: number | undefined;
  if (header !== undefined) {
    const m = /^(?:W\/)?"?(\d{1,15})"?$/.exec(header.trim());
    if (!m) throw new WorkflowError('SLUICE_ERR_VALIDATION', 'headers.if-match must be a ticket revision such as "3"', { details: { field: 'headers.if-match' } });
    fromHeader = Number(m[1]);
  }
  if (body !== undefined && fromHeader !== undefined && body !== fromHeader) {
    throw new WorkflowError('SLUICE_ERR_VALIDATION', `body.expectedRevision (${body}) and headers.if-match (${fromHeader}) disagree`, { details: { field: 'body.expectedRevision' } });
  }
  return body ?? fromHeader;
}
