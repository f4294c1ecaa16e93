/**
 * The workflow's report, `GET /v1/reports/sla`: the SLA breach rate read from the history in ClickHouse.
 * The workflow API registers it beside its other routes; a process that serves reports without running the
 * workflow (the `reporting` role) registers it alone, with {@link createWorkflowReports}' history.
 */
import type { FastifyInstance } from 'fastify';
import { MAX_DATETIME64_MS } from '../../adapters/clickhouse/partitions.js';
import { ROLES } from '../../core/access.js';
import type {} from '../../core/http.js';
import { workflowError } from '../errors.js';
import type { BreachGrouping, HistoryQueries } from '../history/types.js';
import { tenantOf } from './access.js';
import { errorResponses, tenantQuery } from './schemas.js';

/** Longest range one SLA report may cover, ms (366 days). */
const MAX_REPORT_MS = 366 * 86_400_000;
const TAGS = ['workflow'];

/** Options of {@link slaReportRoutes}. */
export interface SlaReportOptions {
  /** SLA analytics; without it the route answers 503. */
  readonly history?: HistoryQueries;
}

/** Registers `GET /v1/reports/sla`. */
export async function slaReportRoutes(app: FastifyInstance, opts: SlaReportOptions): Promise<void> {
  app.get<{ Querystring: { tenant?: string; from: number; to: number; by: BreachGrouping } }>(
    '/v1/reports/sla',
    {
      config: { access: { roles: ROLES, action: 'read SLA reports' } },
      schema: {
        tags: TAGS,
        summary: 'SLA breach rate of clocks that stopped in [from, to), by flow, node or team',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['from', 'to', 'by'],
          // Times ClickHouse holds: an absurd bound (2^53, 1e300) is a 400 naming it, not a failed query.
          properties: {
            tenant: tenantQuery,
            from: { type: 'integer', minimum: 0, maximum: MAX_DATETIME64_MS },
            to: { type: 'integer', minimum: 0, maximum: MAX_DATETIME64_MS },
            by: { type: 'string', enum: ['flow', 'node', 'team'] },
          },
        },
        response: errorResponses,
      },
    },
    async (req) => {
      const { from, to, by } = req.query;
      if (to <= from)
        throw workflowError('SLUICE_ERR_VALIDATION', 'querystring.to must be greater than querystring.from', {
          details: { field: 'querystring.to' },
        });
      if (to - from > MAX_REPORT_MS)
        throw workflowError('SLUICE_ERR_VALIDATION', 'querystring.to may be at most 366 days after querystring.from', {
          details: { field: 'querystring.to' },
        });
      const tenant = tenantOf(req.principal, req.query.tenant);
      if (!opts.history) throw workflowError('SLUICE_ERR_UNAVAILABLE', 'SLA history is not configured on this instance');
      return { tenant, from, to, by, rows: await opts.history.breachRate({ tenant, from, to, by }) };
    },
  );
}
