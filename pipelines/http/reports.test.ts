import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../adapters/clock.js';
import { MemoryTelemetryStore } from '../store/memory.js';
import { RealtimeState } from '../realtime/state.js';
import { realtimeRoutes } from './realtime.js';
import { reportsRoutes } from './reports.js';
import { agentWindowRow, minuteRow } from '../testing/rows.js';
import { testServer } from '../../test/support/server.js';

const NOW = Date.UTC(2026, 10, 23, 12, 0);
const T = Date.UTC(2026, 10, 23, 9, 0);
const M = 60_000;
const VIEWER_ACME = 'acme-viewer-key-000000001';
const AGENT_ACME = 'acme-agent-key-0000000001';
const ROUTER_ACME = 'acme-router-key-000000001';
const PLATFORM = 'platform-viewer-key-00001';
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

describe('reports routes', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    const store = new MemoryTelemetryStore();
    await store.upsertMinutes(
      [
        minuteRow({
          tenant: 'acme',
          skillGroup: 'sales',
          windowStart: T,
          offered: 4,
          answered: 3,
          answeredWithinSl: 3,
          answerWaitMs: 9_000,
        }),
        minuteRow({
          tenant: 'acme',
          skillGroup: 'sales',
          windowStart: T + 20 * M,
          offered: 2,
          answered: 1,
          answeredWithinSl: 0,
          answerWaitMs: 30_000,
          abandoned: 1,
        }),
        minuteRow({ tenant: 'acme', skillGroup: 'care', windowStart: T + M, offered: 1 }),
        minuteRow({ tenant: 'globex', skillGroup: 'sales', windowStart: T, offered: 50 }),
      ],
      'm',
    );
    await store.upsertAgentWindows(
      [
        agentWindowRow({
          tenant: 'acme',
          agentId: 'a1',
          windowStart: T,
          ms: { AVAILABLE: 30_000, ON_CALL: 30_000 },
          entries: { ON_CALL: 1 },
        }),
      ],
      'a',
    );
    await store.upsertIntervalReports(
      [
        {
          tenant: 'acme',
          scope: 'skillgroup',
          key: 'sales',
          intervalStart: T,
          intervalSec: 900,
          version: T + 900_000,
          counters: { offered: 5, answered: 3 },
          eventId: 'r1',
        },
      ],
      'r',
    );
    const clock = new ManualClock(NOW);
    app = await testServer(
      async (a) => {
        await a.register(reportsRoutes, {
          store,
          clock,
          serviceLevelOf: (t) =>
            t === 'acme'
              ? { variant: 'answered', thresholdMs: 17_000, objective: 0.9 }
              : { variant: 'answeredAndAbandoned', thresholdMs: 20_000, objective: 0.8 },
        });
        await a.register(realtimeRoutes, { realtime: new RealtimeState(), clock });
      },
      {
        tenants: [],
        keys: {
          viewer: { key: VIEWER_ACME, tenant: 'acme', role: 'viewer' },
          agent: { key: AGENT_ACME, tenant: 'acme', role: 'agent' },
          router: { key: ROUTER_ACME, tenant: 'acme', role: 'router' },
          platform: { key: PLATFORM, tenant: '*', role: 'viewer' },
        },
      },
    );
  });
  afterAll(async () => {
    await app.close();
  });

  const get = (url: string, key = VIEWER_ACME) => app.inject({ url, headers: auth(key) });

  it('answers a tenant key with its own skill-group intervals (15 by default, or 30)', async () => {
    const r = await get(`/v1/reports/intervals?from=${T}&to=${T + 30 * M}`);
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ tenant: 'acme', from: T, to: T + 30 * M, interval: 15, scope: 'skillgroup', asOf: NOW });
    // The tenant's one definition: which of the four variants of each row its screens show.
    expect(body.serviceLevelDefinition).toEqual({ variant: 'answered', thresholdMs: 17_000, objective: 0.9 });
    expect(body.rows.map((x: { skillGroup: string; intervalStart: number }) => `${x.skillGroup}:${(x.intervalStart - T) / M}`)).toEqual([
      'care:0',
      'sales:0',
      'sales:15',
    ]);
    expect(body.rows[1]).toMatchObject({ sums: { offered: 4 }, asaMs: 3_000, serviceLevel: { answered: 1 } });
    const thirty = (await get(`/v1/reports/intervals?from=${T}&to=${T + 30 * M}&interval=30&skillGroup=sales`, AGENT_ACME)).json();
    expect(thirty.rows).toHaveLength(1);
    expect(thirty.rows[0]).toMatchObject({ intervalSec: 1800, sums: { offered: 6, answered: 4, abandoned: 1 }, asaMs: 39_000 / 4 });
  });

  it('answers agent intervals when an agent is named, and lets a platform key pick the tenant', async () => {
    const r = await get(`/v1/reports/intervals?from=${T}&to=${T + 15 * M}&agent=a1&tenant=acme`, PLATFORM);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      tenant: 'acme',
      scope: 'agent',
      rows: [{ agentId: 'a1', stateSec: { AVAILABLE: 30, ON_CALL: 30 }, callsHandled: 1, occupancy: 0.5 }],
    });
    const globex = (await get(`/v1/reports/intervals?from=${T}&to=${T + 15 * M}&tenant=globex`, PLATFORM)).json();
    expect(globex.rows.map((x: { sums: { offered: number } }) => x.sums.offered)).toEqual([50]);
  });

  it('reconciles vendor reports with Sluice figures', async () => {
    const r = await get(`/v1/reports/reconciliation?from=${T}&to=${T + 60 * M}&skillGroup=sales`);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      tenant: 'acme',
      rows: [
        {
          skillGroup: 'sales',
          intervalStart: T,
          vendor: { offered: 5 },
          sluice: { offered: 4 },
          difference: { offered: -1, answered: 0 },
          mismatched: ['offered'],
        },
      ],
    });
  });

  it('400 naming the field for a bad query', async () => {
    const cases: [string, string][] = [
      [`/v1/reports/intervals?to=${T}`, 'querystring.from'],
      [`/v1/reports/intervals?from=${T}&to=${T + M}&interval=20`, 'querystring.interval'],
      [`/v1/reports/intervals?from=${T}&to=${T + M}&bogus=1`, 'querystring.bogus'],
      [`/v1/reports/intervals?from=${T}&to=${T}`, 'querystring.to'],
      [`/v1/reports/intervals?from=${T}&to=${T + 32 * 24 * 60 * M}`, 'querystring.to'],
      [`/v1/reports/intervals?from=${T}&to=${T + M}&agent=a1&skillGroup=sales`, 'querystring.agent'],
      [`/v1/reports/reconciliation?from=abc&to=${T}`, 'querystring.from'],
      [`/v1/reports/reconciliation?from=${T + M}&to=${T}`, 'querystring.to'],
    ];
    for (const [url, field] of cases) {
      const r = await get(url);
      expect(r.statusCode, url).toBe(400);
      expect(r.json().error, url).toMatchObject({ code: 'SLUICE_ERR_VALIDATION', field });
    }
    const platform = await get(`/v1/reports/reconciliation?from=${T}&to=${T + M}`, PLATFORM);
    expect(platform.statusCode).toBe(400);
    expect(platform.json().error).toMatchObject({
      field: 'querystring.tenant',
      message: 'request is invalid: querystring.tenant is required for platform keys',
    });
  });

  it('400 naming the field for a time no store holds (2^53, 1e300, past 2299), on every report route', async () => {
    for (const route of ['intervals', 'reconciliation', 'minutes']) {
      for (const [from, to, field] of [
        [2 ** 53, 2 ** 53 + M, 'querystring.from'],
        [T, '1e300', 'querystring.to'],
        ['1e300', '1e301', 'querystring.from'],
        [Date.UTC(2300, 0, 1), Date.UTC(2300, 0, 2), 'querystring.from'],
      ] as const) {
        const url = `/v1/reports/${route}?from=${from}&to=${to}`;
        const r = await get(url);
        expect(r.statusCode, url).toBe(400);
        expect(r.json().error, url).toMatchObject({
          code: 'SLUICE_ERR_VALIDATION',
          field,
          message: `request is invalid: ${field} must be <= 10413791999999`,
        });
      }
    }
    expect((await get(`/v1/reports/minutes?from=${Date.UTC(2299, 11, 31)}&to=${Date.UTC(2299, 11, 31) + M}`)).statusCode).toBe(200);
  });

  it('401 without a key, 403 for a role that may not read reports, 404 for another tenant', async () => {
    expect((await app.inject({ url: `/v1/reports/intervals?from=${T}&to=${T + M}` })).statusCode).toBe(401);
    const router = await get(`/v1/reports/intervals?from=${T}&to=${T + M}`, ROUTER_ACME);
    expect(router.statusCode).toBe(403);
    expect(router.json().error.message).toBe('role router may not read reports');
    const other = await get(`/v1/reports/reconciliation?from=${T}&to=${T + M}&tenant=globex`);
    expect(other.statusCode).toBe(404);
    expect(other.json().error.code).toBe('SLUICE_ERR_NOT_FOUND');
  });
});
