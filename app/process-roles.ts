/**
 * Which process role serves which routes (`SLUICE_ROLE`, `--role`). Routing (`control`), the workflow API
 * (`workflow`) and the reports (`reporting`: every `/v1/reports/*` route, all of them ClickHouse queries) are
 * each served by their own role and by `all`; a process that does not serve a group answers its paths 404
 * `SLUICE_ERR_ROLE_ROUTE`, naming the role that does, so a load balancer's misrouted request says where it
 * belongs instead of "not found". Ingest is served by every role when events go to Kafka, otherwise by `all` and
 * `pipeline` only ({@link servesIngest}); the real-time reads, the stream, the wallboard, health and metrics
 * are served by every role. README, "Roles and the recommended split", gives the deployment.
 */
import type { FastifyInstance } from 'fastify';
import type { ProcessRole } from './config.js';
import { appError } from './errors.js';

/** A group of routes one role serves (besides `all`), by the paths that name it. */
export interface RouteGroup {
  readonly role: Exclude<ProcessRole, 'all'>;
  /** fastify paths (`*` = the rest of the path) that belong to the group. */
  readonly paths: readonly string[];
}

/** The route groups of the process roles: what a process of another role answers with `SLUICE_ERR_ROLE_ROUTE`. */
export const ROUTE_GROUPS: readonly (RouteGroup & { readonly role: Exclude<ProcessRole, 'all' | 'pipeline'> })[] = Object.freeze([
  { role: 'control', paths: ['/v1/route', '/v1/route/*', '/v1/control/*'] },
  {
    role: 'workflow',
    paths: [
      '/v1/flows',
      '/v1/flows/*',
      '/v1/tickets',
      '/v1/tickets/*',
      '/v1/todos',
      '/v1/people',
      '/v1/people/*',
      '/v1/groups',
      '/v1/groups/*',
      '/v1/orgs',
      '/v1/orgs/*',
      '/scim/v2/*',
      '/v1/studio/*',
    ],
  },
  { role: 'reporting', paths: ['/v1/reports/*'] },
]);

/**
 * Ingest (`POST /v1/events`) where it cannot reach a pipeline: a process of another role on the in-process bus
 * (no `KAFKA_BROKERS`) has no worker to hand events to, so it answers 404 `SLUICE_ERR_ROLE_ROUTE` naming the
 * pipeline role instead of accepting events it would drop.
 */
export const INGEST_GROUP: RouteGroup = Object.freeze({ role: 'pipeline', paths: ['/v1/events'] });

/**
 * Whether a process takes events on `POST /v1/events`: `all` and `pipeline` always (their own worker consumes them),
 * any role when events go to Kafka (the pipeline workers consume them from there).
 */
export function servesIngest(role: ProcessRole, kafka: boolean): boolean {
  return kafka || role === 'all' || role === 'pipeline';
}

/**
 * Whether a process of this role serves the reports. Only `all` and `reporting`: a report is a ClickHouse query
 * of up to 31 days of rows, and beside `POST /v1/route` (control) or a pipeline worker (whose consumer lag is one
 * of the control loop's signals) a heavy one would take the event loop and the connection pool the hot path needs.
 */
export function servesReports(role: ProcessRole): boolean {
  return role === 'all' || role === 'reporting';
}

/**
 * Answers every path of the `groups` (those this process does not serve) with 404 `SLUICE_ERR_ROLE_ROUTE`.
 * Any valid key may ask (the answer names roles, not data); no key is still a 401.
 */
export async function otherRoleRoutes(app: FastifyInstance, o: { role: ProcessRole; groups: readonly RouteGroup[] }): Promise<void> {
  for (const group of o.groups) {
    for (const path of group.paths) {
      app.all(path, { schema: { hide: true } }, async (req) => {
        throw appError('SLUICE_ERR_ROLE_ROUTE', [`${req.method} ${req.url.split('?')[0]}`, group.role, o.role], {
          details: { servedBy: group.role, role: o.role },
        });
      });
    }
  }
}

/**
 * Readiness checks a role works without: they are reported by `GET /v1/status` but leave `/readyz` at 200.
 * - `control`: Redis (`redis`) — routing goes on fail-static from the last policy and levels it holds, so a load
 *   balancer must keep the routers exactly while the shared store is down; ClickHouse — control only logs decisions
 *   there.
 * Every other role needs what it checks: a pipeline worker or a reporting instance that cannot reach ClickHouse, or
 * a workflow instance whose tickets live in an unreachable Redis, is not ready.
 */
export function optionalChecks(role: ProcessRole): ReadonlySet<string> {
  return new Set(role === 'control' ? ['redis', 'clickhouse'] : []);
}
