import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pino } from 'pino';
import type { WebSocket } from 'ws';
import { loadConfig } from '../../app/config.js';
import { startSluice, type Sluice } from '../../app/main.js';
import { eventually } from '../../core/testing/eventually.js';

const ADMIN = 'ncw-acme-admin-key-000001';
const VIEWER = 'ncw-acme-viewer-key-00001';

/** The first figures message a fresh stream connection to `s` gets. */
async function firstPush(s: Sluice): Promise<Record<string, unknown>> {
  const got: Record<string, unknown>[] = [];
  const ws: WebSocket = await s.app.injectWS(
    `/v1/stream?key=${VIEWER}`,
    {},
    { onInit: (w) => w.on('message', (d) => got.push(JSON.parse(d.toString()))) },
  );
  try {
    return (await eventually(
      async () => got.find((m) => m.type === 'skillgroups'),
      (m) => m !== undefined,
      'a figures push',
      { timeoutMs: 5_000, intervalMs: 20 },
    )) as Record<string, unknown>;
  } finally {
    ws.terminate();
  }
}

// A control instance and a reporting instance apart (in one test process) on a real redis-server: the level an
// operator pins on control reaches the reporting instance through the levels the control fleet shares, and slows
// its non-critical work (the stream its wallboards read) until the level is lifted.
describe('slowNonCritical across instances: control sets the level, the reporting instance slows', () => {
  const running: Sluice[] = [];
  let control: Sluice;
  let reporting: Sluice;
  const start = async (role: 'control' | 'reporting') => {
    const config = loadConfig({
      SLUICE_API_KEYS: `${ADMIN}:acme:admin,${VIEWER}:acme:viewer`,
      SLUICE_TENANTS: 'acme',
      SLUICE_ROLE: role,
      REDIS_URL: inject('redisUrl'),
      CHDB_PATH: ':memory:',
      CLICKHOUSE_DATABASE: `ncw_${role}_${process.pid}`,
      PORT: '0',
      LOG_LEVEL: 'error',
    });
    const s = await startSluice(config, { logger: pino({ level: 'error' }), httpLogger: false });
    running.push(s);
    return s;
  };
  const pin = (method: 'POST' | 'DELETE', payload: Record<string, unknown>) =>
    control.app.inject({ method, url: '/v1/control/overrides', headers: { 'x-api-key': ADMIN }, payload });

  beforeAll(async () => {
    control = await start('control');
    reporting = await start('reporting');
  });
  afterAll(async () => {
    for (const s of running.reverse()) await s.close();
  });

  it('at L0 nothing is slowed; pinned to L1 the reporting instance’s pushes are slowed; back at L0 they are not', async () => {
    expect(await firstPush(reporting)).toEqual(expect.not.objectContaining({ slowed: expect.anything() }));
    const pinned = await pin('POST', { level: 1, forMs: 60_000, reason: 'storm' });
    expect(pinned.statusCode, pinned.body).toBe(201);
    const slowed = await eventually(
      () => firstPush(reporting),
      (m) => m.slowed === true,
      'a slowed push on the reporting instance',
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    expect(slowed).toMatchObject({ type: 'skillgroups', tenant: 'acme', slowed: true });
    expect(await reporting.metrics.registry.getSingleMetricAsString('sluice_non_critical_slowed_total')).toMatch(
      /sluice_non_critical_slowed_total\{tenant="acme",work="stream_push"\} [1-9]/,
    );
    // Pinned to L0, the leader publishes L0 on its next tick: the advice is lifted.
    expect((await pin('POST', { level: 0, forMs: 60_000, reason: 'calm' })).statusCode).toBe(201);
    await eventually(
      () => firstPush(reporting),
      (m) => m.slowed === undefined,
      'an unslowed push on the reporting instance',
      { timeoutMs: 15_000, intervalMs: 200 },
    );
  });
});
