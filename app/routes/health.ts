import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.js';
import { appError } from '../errors.js';

/** A named readiness check: true when the dependency is usable. */
export type ReadinessCheck = () => Promise<boolean> | boolean;

/** The outcome of one check in a probe. */
export interface CheckResult {
  readonly ok: boolean;
  /** False for a dependency this role works without (it is reported, but the instance stays ready). */
  readonly required: boolean;
  /** How long the check took, ms (at most the probe's bound). */
  readonly ms: number;
  /** Why it failed: `timed out after N ms`, or the error's message. */
  readonly error?: string;
}

/** Options of {@link healthRoutes}. */
export interface HealthOptions {
  readonly metrics: Metrics;
  readonly checks: Map<string, ReadinessCheck>;
  readonly state: () => 'starting' | 'running' | 'stopping';
  /**
   * Checks this process's role works without: a control instance routes fail-static without Redis, so Redis down
   * leaves it ready (a load balancer would otherwise take the routers out exactly when they are needed).
   */
  readonly optional?: ReadonlySet<string>;
  /** Longest a check may take before it counts as failed, ms (default 1000): every probe answers within it. */
  readonly checkTimeoutMs?: number;
  /** What `GET /v1/status` adds for platform keys: role, build, the configuration with secrets hidden. */
  readonly describe?: () => Record<string, unknown>;
}

/** Runs every check side by side, each bounded by `timeoutMs`; a check that throws or hangs counts as failed. */
export async function runChecks(
  checks: ReadonlyMap<string, ReadinessCheck>,
  optional: ReadonlySet<string>,
  timeoutMs: number,
): Promise<Record<string, CheckResult>> {
  const entries = await Promise.all(
    [...checks].map(async ([name, check]): Promise<[string, CheckResult]> => {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      });
      const required = !optional.has(name);
      try {
        const ok = (await Promise.race([Promise.resolve().then(check), deadline])) === true;
        return [name, { ok, required, ms: Math.round(performance.now() - started), ...(ok ? {} : { error: 'check failed' }) }];
      } catch (err) {
        return [name, { ok: false, required, ms: Math.round(performance.now() - started), error: String((err as Error)?.message ?? err) }];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries);
}

/**
 * Liveness and readiness (no key: they reveal nothing but up and ready), the detailed status (platform keys) and
 * metrics. Readiness: the process is running and every check its role needs passes; each check is bounded, so a
 * probe answers within the bound whatever a dependency does (a paused Redis included).
 */
export async function healthRoutes(app: FastifyInstance, opts: HealthOptions): Promise<void> {
  const optional = opts.optional ?? new Set<string>();
  const timeoutMs = opts.checkTimeoutMs ?? 1_000;
  const probe = async () => {
    const state = opts.state();
    const checks = await runChecks(opts.checks, optional, timeoutMs);
    const failing = Object.entries(checks)
      .filter(([, c]) => !c.ok && c.required)
      .map(([n]) => n);
    return { state, checks, failing, ready: state === 'running' && failing.length === 0 };
  };
  const open = { access: { roles: [], action: 'check health', public: true } };
  app.get('/healthz', { config: open }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: open }, async (_req, reply) => {
    const { ready } = await probe();
    return ready ? { status: 'ready' } : reply.status(503).send({ status: 'not ready' });
  });
  app.get(
    '/v1/status',
    { config: { access: { roles: ['admin', 'viewer'], platform: true, action: 'read the detailed status' } } },
    async (_req, reply) => {
      const { state, checks, failing, ready } = await probe();
      const body = { status: ready ? 'ready' : 'not ready', state, checks, ...(opts.describe?.() ?? {}) };
      if (ready) return body;
      const e = appError('SLUICE_ERR_NOT_READY', [state !== 'running' ? state : `${failing.join(', ')} down`]);
      return reply.status(503).send({ ...body, error: { code: e.code, message: e.message, retriable: true } });
    },
  );
  app.get(
    '/metrics',
    { config: { access: { roles: ['admin', 'viewer'], platform: true, action: 'read metrics' } } },
    async (_req, reply) => {
      const body = await opts.metrics.registry.metrics();
      return reply.type(opts.metrics.registry.contentType).send(body);
    },
  );
}
