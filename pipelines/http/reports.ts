import type { FastifyInstance } from 'fastify';
import { MAX_DATETIME64_MS } from '../../adapters/clickhouse/partitions.js';
import type { Clock } from '../../adapters/clock.js';
import type { TelemetryQueries } from '../store/types.js';
import { requireTenant, tenantSchema as tenant, type Access, type Principal } from '../../core/access.js';
import { invalidRequest } from '../errors.js';
import type { ServiceLevelVariant } from '../metrics/formulas.js';

/** A tenant's one service-level definition (the app's `SLUICE_SERVICE_LEVEL_*`): the variant its screens show. */
export interface TenantServiceLevel {
  readonly variant: ServiceLevelVariant;
  /** Threshold T, ms. */
  readonly thresholdMs: number;
  /** Ratio 0–1. */
  readonly objective: number;
}

const name = { type: 'string', minLength: 1, maxLength: 128 } as const;
/**
 * A report bound (`from`, `to`), epoch ms: a time ClickHouse can hold (up to 2299-12-31), so an absurd
 * one (2^53, 1e300) is a 400 naming the field, never a query that fails.
 */
export const REPORT_TIME = { type: 'integer', minimum: 0, maximum: MAX_DATETIME64_MS } as const;
const time = REPORT_TIME;
const access: Access = { roles: ['admin', 'viewer', 'agent'], action: 'read reports' };
/** Longest range one request may cover, ms (31 days). */
export const MAX_REPORT_RANGE_MS = 31 * 24 * 3_600_000;

/** Checks a report range and the tenant: `to > from`, at most 31 days, and a tenant for platform keys. */
export function reportScope(principal: Principal, asked: string | undefined, from: number, to: number): string {
  if (to <= from) throw invalidRequest('querystring.to', 'querystring.to must be greater than querystring.from');
  if (to - from > MAX_REPORT_RANGE_MS)
    throw invalidRequest('querystring.to', 'querystring.to may be at most 31 days after querystring.from');
  return requireTenant(principal, asked, 'querystring.tenant', invalidRequest);
}

interface IntervalsQuery {
  tenant?: string;
  from: number;
  to: number;
  interval: 15 | 30;
  skillGroup?: string;
  agent?: string;
}

/**
 * The telemetry reports (ClickHouse-backed): minute rows, Sluice's own 15/30-minute figures per skill group
 * or per agent, and the reconciliation of vendor interval reports against them. Times are epoch ms; an
 * interval is listed when it starts in [from, to), with its figures over the whole interval. Served by the
 * processes that serve reports (`all`, `reporting`: `app/roles.ts`), never beside routing.
 */
export async function reportsRoutes(
  app: FastifyInstance,
  opts: {
    store: TelemetryQueries;
    clock: Clock;
    /** The tenant's service-level definition, named beside the skill-group intervals (each row gives all four variants). */
    serviceLevelOf?: (tenant: string) => TenantServiceLevel;
  },
): Promise<void> {
  app.get<{ Querystring: { tenant?: string; skillGroup?: string; from: number; to: number } }>(
    '/v1/reports/minutes',
    {
      config: { access },
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['from', 'to'],
          properties: { tenant, skillGroup: name, from: time, to: time },
        },
      },
    },
    async (req) => {
      const { from, to } = req.query;
      const t = reportScope(req.principal, req.query.tenant, from, to);
      return { tenant: t, from, to, rows: await opts.store.minutes({ tenant: t, from, to, skillGroup: req.query.skillGroup }) };
    },
  );

  app.get<{ Querystring: IntervalsQuery }>(
    '/v1/reports/intervals',
    {
      config: { access },
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['from', 'to'],
          properties: {
            tenant,
            from: time,
            to: time,
            interval: { type: 'integer', enum: [15, 30], default: 15 },
            skillGroup: name,
            agent: name,
          },
        },
      },
    },
    async (req) => {
      const { from, to, interval, skillGroup, agent } = req.query;
      const t = reportScope(req.principal, req.query.tenant, from, to);
      if (agent !== undefined && skillGroup !== undefined) {
        throw invalidRequest(
          'querystring.agent',
          'querystring.agent cannot be combined with querystring.skillGroup (agent figures are not per skill group)',
        );
      }
      const base = { tenant: t, from, to, interval, asOf: opts.clock.now() };
      if (agent !== undefined)
        return {
          ...base,
          scope: 'agent',
          rows: await opts.store.agentIntervals({ tenant: t, from, to, intervalMinutes: interval, agentId: agent }),
        };
      return {
        ...base,
        scope: 'skillgroup',
        ...(opts.serviceLevelOf === undefined ? {} : { serviceLevelDefinition: opts.serviceLevelOf(t) }),
        rows: await opts.store.skillGroupIntervals({ tenant: t, from, to, intervalMinutes: interval, skillGroup }),
      };
    },
  );

  app.get<{ Querystring: { tenant?: string; from: number; to: number; skillGroup?: string } }>(
    '/v1/reports/reconciliation',
    {
      config: { access },
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['from', 'to'],
          properties: { tenant, from: time, to: time, skillGroup: name },
        },
      },
    },
    async (req) => {
      const { from, to, skillGroup } = req.query;
      const t = reportScope(req.principal, req.query.tenant, from, to);
      return {
        tenant: t,
        from,
        to,
        asOf: opts.clock.now(),
        rows: await opts.store.reconcileIntervals({ tenant: t, from, to, skillGroup }),
      };
    },
  );
}
