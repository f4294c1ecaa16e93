import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory.js';
import { ManualClock, settle } from '../../adapters/clock.js';
import { ASYMMETRIC_ALGORITHMS } from '../../adapters/oidc/types.js';
import { eventually } from '../../core/testing/eventually.js';
import { storeDeadLetters } from '../../pipelines/dead-letters.js';
import { EventPublisher } from '../../pipelines/publisher.js';
import { RealtimeState } from '../../pipelines/realtime/state.js';
import { MemoryTelemetryStore } from '../../pipelines/store/memory.js';
import { LocalOidcProvider } from '../../test/support/local-oidc.js';
import { parseApiKeys } from '../config.js';
import { Metrics } from '../metrics.js';
import { buildServer } from '../server.js';
import { TOKEN_EXPIRED } from './stream.js';

const NOW = Date.UTC(2026, 10, 23, 9, 30);
const clock = new ManualClock(NOW);
const metrics = new Metrics();
let idp: LocalOidcProvider;
let app: FastifyInstance;

beforeAll(async () => {
  idp = await LocalOidcProvider.start('https://login.acme.example/realms/acme', 'sluice-api');
  const bus = new MemoryBus();
  const store = new MemoryTelemetryStore();
  app = await buildServer({
    config: { apiKeys: parseApiKeys('stream-acme-viewer-key-01:acme:viewer'), open: false, bodyLimitBytes: 65536, logLevel: 'silent' },
    clock,
    metrics,
    realtime: new RealtimeState(),
    pipelines: { store, publisher: new EventPublisher(await bus.producer()), deadLetters: storeDeadLetters(store) },
    checks: new Map(),
    state: () => 'running',
    logger: false,
    tokens: idp.verifier(
      {
        name: 'oidc',
        audience: ['sluice-api'],
        algorithms: [...ASYMMETRIC_ALGORITHMS],
        clockToleranceSec: 0,
        tenant: { fixed: 'acme' },
        tenants: ['acme'],
        userClaim: 'preferred_username',
        rolesClaim: 'roles',
        roleMap: { viewer: 'viewer' },
        groupsClaim: undefined,
      },
      clock,
    ),
  });
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

it('a stream opened with a bearer token is closed (4401) when the token expires, and counted', async () => {
  const token = await idp.token({ preferred_username: 'wallboard-ann', roles: ['viewer'] }, { now: NOW, expiresInSec: 60 });
  const closed: { code: number; reason: string }[] = [];
  const got: string[] = [];
  const ws = await app.injectWS(
    `/v1/stream?key=${token}`,
    {},
    {
      onInit: (s) => {
        s.on('message', (d) => got.push(JSON.parse(d.toString()).type));
        s.on('close', (code, reason) => closed.push({ code, reason: reason.toString() }));
      },
    },
  );
  await eventually(() => got.includes('hello'), 'the hello message');
  clock.advance(59_000);
  await settle();
  expect(closed).toEqual([]);
  clock.advance(1_000);
  await eventually(() => closed.length === 1, 'the stream to close at the expiry');
  expect(closed[0]).toEqual({ code: TOKEN_EXPIRED, reason: 'token expired' });
  const hits = await metrics.registry.getSingleMetricAsString('sluice_server_limit_hits_total');
  expect(hits).toContain('sluice_server_limit_hits_total{limit="stream_token_expired"} 1');
  ws.terminate();
});
