/**
 * The HTTP benchmark's server, run as its own process: a fastify app with the
 * control routes (`controlRoutes`) and a stub auth hook standing in for the
 * app's (every request acts as a platform router key), built with
 * `createControl` on the in-memory store and decision log. Prints
 * `READY <port>` once it listens on 127.0.0.1, and stops on SIGTERM.
 *
 * `--route-only`: the client never reports outcomes, so the concurrency
 * limits are raised out of the way (decisions still take and hold a slot).
 * `--baseline`: the same app and hook, but POST /v1/route answers a constant
 * (same schemas) — the ceiling of fastify + HTTP on this machine.
 */
import Fastify from 'fastify';
import type { FastifyError } from 'fastify';
import { systemClock } from '../../adapters/clock.js';
import { MemoryStateStore } from '../../adapters/state/memory.js';
import type { Principal } from '../../core/access.js';
import { calm } from '../../control/testing/harness.js';
import { controlRoutes } from '../../control/http/routes.js';
import { routeBody, routeReply } from '../../control/http/schemas.js';
import { StaticRealtimeView } from '../../control/signals/snapshot.js';
import { createControl } from '../../control/wire.js';

const routeOnly = process.argv.includes('--route-only');
const baseline = process.argv.includes('--baseline');
const tenants = ['acme', 'globex'];
const groups = ['care', 'sales'];
const view = new StaticRealtimeView();
const feed = () => view.set(tenants.flatMap((t) => groups.map((g) => calm(t, g, Date.now()))));
feed();
setInterval(feed, 1_000).unref();

const control = createControl({
  clock: systemClock,
  stateStore: new MemoryStateStore(),
  realtime: view,
  engineHealth: { consumerLagMs: () => 0, insertLatencyMs: () => 0 },
  instanceId: 'bench-http',
  ctiNodes: { primary: 'a', backup: 'b' },
  tuning: routeOnly ? { limiter: { initialLimit: 200_000, maxLimit: 200_000 } } : {},
  // The per-key rate limit runs (its cost is measured) but never bites at benchmark rates.
  rateLimit: { routePerSec: 1_000_000_000, apiPerSec: 1_000_000_000 },
});
const principal: Principal = Object.freeze({ tenant: '*', role: 'router', keyId: 'bench' });
const app = Fastify({ logger: false, ajv: { customOptions: { allErrors: false, coerceTypes: 'array', removeAdditional: false } } });
app.decorateRequest('principal', null as unknown as Principal);
app.addHook('onRequest', async (req) => {
  req.principal = principal;
  const access = req.routeOptions.config?.access;
  if (access && !access.roles.includes(principal.role)) throw Object.assign(new Error('forbidden'), { statusCode: 403 });
});
app.setErrorHandler((err: FastifyError & { status?: number }, _req, reply) => {
  void reply.status(err.status ?? err.statusCode ?? 500).send({ error: { code: err.code, message: err.message } });
});
if (baseline) {
  const answer = {
    decisionId: '0123456789-0',
    target: 'agent',
    ctiNode: 'a',
    level: 0,
    reason: 'L0: normal → agent via primary CTI a (policy)',
  };
  app.post('/v1/route', { schema: { body: routeBody, response: routeReply } }, async () => answer);
} else {
  await app.register(controlRoutes, control.routes);
}
await control.start();
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.stdout.write(`READY ${typeof address === 'object' && address !== null ? address.port : 0}\n`);
process.once('SIGTERM', () => {
  void (async () => {
    await app.close();
    await control.stop();
    const s = control.service.stats();
    process.stdout.write(`STATS ${JSON.stringify(s)}\n`);
    process.exit(0);
  })();
});
