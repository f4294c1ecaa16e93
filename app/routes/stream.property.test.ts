import websocket from '@fastify/websocket';
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { WebSocket } from 'ws';
import { ManualClock } from '../../adapters/clock.js';
import { eventually } from '../../core/testing/eventually.js';
import { RealtimeState } from '../../pipelines/realtime/state.js';
import { parseApiKeys } from '../config.js';
import { authPlugin } from '../plugins/auth.js';
import { errorsPlugin } from '../plugins/errors.js';
import { WEBSOCKET_OPTIONS } from '../server.js';
import { streamRoutes } from './stream.js';

const NOW = Date.UTC(2026, 10, 23, 9, 30);
const ACME = 'prop-acme-viewer-key-0001';
const GLOBEX = 'prop-globex-admin-key-001';
const PLATFORM = 'prop-platform-viewer-0001';

/** What a careless or hostile client sends once connected. */
type Frame = { text: string } | { binary: Uint8Array } | { ping: string };

const frame: fc.Arbitrary<Frame> = fc.oneof(
  fc.json().map((text) => ({ text })),
  fc.jsonValue().map((v) => ({ text: JSON.stringify(v) ?? 'null' })),
  fc
    .constantFrom(
      'null',
      '0',
      '""',
      '[]',
      '{"type":"subscribe"}',
      '{"type":"subscribe","skillGroup":null}',
      '{"__proto__":{"type":"subscribe"}}',
    )
    .map((text) => ({ text })),
  fc
    .record({
      type: fc.constantFrom('subscribe', 'hello', ''),
      skillGroup: fc.oneof(fc.string({ maxLength: 200 }), fc.constant(null), fc.integer()),
    })
    .map((m) => ({ text: JSON.stringify(m) })),
  fc.string({ maxLength: 300, unit: 'binary' }).map((text) => ({ text })),
  fc.uint8Array({ maxLength: 64 }).map((binary) => ({ binary })),
  fc.string({ maxLength: 100 }).map((ping) => ({ ping })),
);

/** The upgrade request: any key, tenant, skill group and extra parameters. */
const query = fc.record(
  {
    key: fc.constantFrom(GLOBEX, PLATFORM, 'not-a-key-of-this-sluice', ACME),
    tenant: fc.oneof(fc.constantFrom('acme', 'globex', 'initech', '*', ''), fc.string({ maxLength: 80, unit: 'binary' })),
    skillGroup: fc.oneof(fc.constantFrom('sales', ''), fc.string({ maxLength: 200, unit: 'binary' })),
    extra: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 2 }),
  },
  { requiredKeys: [] },
);

describe('GET /v1/stream under arbitrary upgrades and frames', () => {
  const realtime = new RealtimeState();
  let app: FastifyInstance;
  let sentinel: WebSocket;
  const seen = new Set<string>();

  beforeAll(async () => {
    app = Fastify();
    await app.register(websocket, { options: WEBSOCKET_OPTIONS });
    await app.register(errorsPlugin);
    await app.register(authPlugin, { keys: parseApiKeys(`${ACME}:acme:viewer,${GLOBEX}:globex:admin,${PLATFORM}:*:viewer`), open: false });
    await app.register(streamRoutes, {
      realtime,
      clock: new ManualClock(NOW),
      minIntervalMs: 0,
      refreshMs: 60_000,
      messagesPerMinute: 20,
      maxPerKey: 1_000,
    });
    await app.ready();
    // acme's own screen, open through every run.
    sentinel = await app.injectWS(
      `/v1/stream?key=${ACME}`,
      {},
      {
        onInit: (ws) =>
          ws.on('message', (d) => {
            for (const g of (JSON.parse(d.toString()) as { skillGroups?: { skillGroup: string }[] }).skillGroups ?? [])
              seen.add(g.skillGroup);
          }),
      },
    );
  });
  afterAll(async () => {
    sentinel.terminate();
    await app.close();
  });

  it("never answers 5xx nor crashes, and acme's stream keeps flowing", async () => {
    // A listener that throws on a frame is an uncaught exception: on a real server, the process ends.
    const crashes: unknown[] = [];
    const crash = (err: unknown) => crashes.push(err);
    process.on('uncaughtException', crash);
    onTestFinished(() => {
      process.off('uncaughtException', crash);
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(query, fc.array(frame, { maxLength: 40 }), async (q, frames) => {
        crashes.length = 0;
        const params = new URLSearchParams(q.extra);
        for (const name of ['key', 'tenant', 'skillGroup'] as const) if (q[name] !== undefined) params.set(name, q[name]);
        let ws: WebSocket | undefined;
        try {
          ws = await app.injectWS(`/v1/stream?${params}`);
        } catch (err) {
          const status = Number(/response: (\d+)/.exec((err as Error).message)?.[1]);
          expect(status, (err as Error).message).toBeGreaterThanOrEqual(400);
          expect(status).toBeLessThan(500);
        }
        if (ws) {
          for (const f of frames) {
            if (ws.readyState !== ws.OPEN) break;
            if ('text' in f) ws.send(f.text);
            else if ('binary' in f) ws.send(f.binary, { binary: true });
            else ws.ping(f.ping);
          }
          await new Promise((r) => setImmediate(r));
          ws.terminate();
        }
        // Liveness: a change of acme's figures still reaches acme's screen.
        const name = `sentinel-${++run}`;
        realtime.apply(
          {
            v: 1,
            tenant: 'acme',
            source: 'skillgroup',
            id: name,
            ts: NOW - 1_000,
            body: { skillGroup: name, callId: name, type: 'OFFERED' },
          },
          NOW,
        );
        await eventually(
          () => seen.has(name),
          () => `push ${name} after ${JSON.stringify(q)}`,
          { timeoutMs: 1_500, intervalMs: 5 },
        );
        expect(crashes, `after ${JSON.stringify(q)} and ${JSON.stringify(frames)}`).toEqual([]);
      }),
      { numRuns: 150 },
    );
    expect(sentinel.readyState).toBe(sentinel.OPEN);
  });
});
