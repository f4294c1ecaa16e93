import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pino } from 'pino';
import WebSocket from 'ws';
import { loadConfig } from '../../app/config.js';
import { startSluice, type Sluice } from '../../app/main.js';
import { eventually } from '../../core/testing/eventually.js';
import type { TelemetryEvent } from '../../pipelines/events/types.js';
import { RealtimeState } from '../../pipelines/realtime/state.js';
import { mixedEvents } from '../../pipelines/testing/realtime.js';

const ADMIN = 'rt-shared-admin-key-000001';
const VIEWER = 'rt-shared-acme-viewer-0001';
const PUBLISH_MS = 500;
const STALE_MS = 1_500;

/** What the view shows of a skill group, minus the processing times (when it changed, how long a call has waited). */
const groupsOf = (groups: { tenant: string; skillGroup: string; callsWaiting: number; agents: object }[]) =>
  groups.map((g) => ({ tenant: g.tenant, skillGroup: g.skillGroup, callsWaiting: g.callsWaiting, agents: g.agents }));

// Two pipeline workers in one consumer group, a control instance and a workflow instance, on the real Kafka broker and
// redis-server: the workflow instance (no pipeline, no control) serves the sum of both workers' partitions and the levels.
describe('one real-time view across pipeline workers (roles split, Kafka + Redis)', () => {
  const id = randomUUID().slice(0, 8);
  const running: Sluice[] = [];
  let w1: Sluice;
  let w2: Sluice;
  let control: Sluice;
  let workflow: Sluice;
  const start = async (role: 'pipeline' | 'control' | 'workflow', n: number) => {
    const config = loadConfig({
      SLUICE_API_KEYS: `${ADMIN}:*:admin,${VIEWER}:acme:viewer`,
      SLUICE_TENANTS: 'acme,globex',
      SLUICE_ROLE: role,
      KAFKA_BROKERS: inject('kafkaBrokers'),
      KAFKA_TOPIC_PREFIX: `rt${id}`,
      KAFKA_GROUP_ID: `rt${id}-workers`,
      KAFKA_PARTITIONS: '4',
      REDIS_URL: inject('redisUrl'),
      SLUICE_DECISION_KEY: 'realtime-shared-test-decision-key-0123456789',
      SLUICE_REALTIME_PUBLISH_MS: String(PUBLISH_MS),
      SLUICE_REALTIME_STALE_MS: String(STALE_MS),
      CHDB_PATH: ':memory:',
      CLICKHOUSE_DATABASE: `rt_${id}_${role}_${n}`,
      PORT: '0',
      LOG_LEVEL: 'warn',
    });
    const s = await startSluice(config, { logger: pino({ level: 'warn' }), httpLogger: false });
    running.push(s);
    return s;
  };
  const get = async (s: Sluice, url: string, key = ADMIN) => {
    const r = await s.app.inject({ url, headers: { 'x-api-key': key } });
    expect(r.statusCode, r.body).toBe(200);
    return r.json();
  };

  beforeAll(async () => {
    w1 = await start('pipeline', 1);
    w2 = await start('pipeline', 2);
    control = await start('control', 1);
    workflow = await start('workflow', 1);
  }, 120_000);
  afterAll(async () => {
    for (const s of running) await s.close();
  });

  it('serves on a workflow instance the sum of both workers’ partitions with the levels; a worker that dies drops out and its partitions come back from the survivor', async () => {
    // 1 500 events of every source over the last 160 s (within the allowed lateness).
    const events: TelemetryEvent[] = mixedEvents(21, 1_500, Date.now() - 160_000);
    for (let i = 0; i < events.length; i += 500) {
      const r = await w1.app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { 'x-api-key': ADMIN },
        payload: { events: events.slice(i, i + 500) },
      });
      expect(r.statusCode, r.body).toBe(202);
    }
    const expected = new RealtimeState();
    for (const e of events) expected.apply(e, Date.now());
    const want = {
      skillGroups: groupsOf(expected.skillGroups(Date.now())),
      agents: expected.agents(),
      extensions: expected.extensions(),
    };
    const view = async (s: Sluice) => ({
      skillGroups: groupsOf((await get(s, '/v1/realtime/skillgroups')).skillGroups),
      agents: (await get(s, '/v1/realtime/agents')).agents,
      extensions: (await get(s, '/v1/realtime/extensions')).extensions,
    });
    const same = (v: unknown) => isDeepStrictEqual(JSON.parse(JSON.stringify(v)), JSON.parse(JSON.stringify(want)));
    // The instance running neither pipeline nor control serves everything, once: the sum of both workers' partitions.
    await eventually(
      async () => ({ view: await view(workflow), stats: workflow.realtime.shared!.stats(Date.now()) }),
      (v) => v.stats.publishers === 2 && same(v.view),
      'the merged view of both workers on the workflow instance',
      90_000,
    );
    expect(w1.realtime.publisher!.publishing).toBeGreaterThan(0);
    expect(w2.realtime.publisher!.publishing).toBeGreaterThan(0);
    expect(workflow.realtime.shared!.stats(Date.now())).toMatchObject({
      publishers: 2,
      partitions: w1.realtime.publisher!.publishing + w2.realtime.publisher!.publishing,
    });
    // Any instance serves the same view: a worker (the other's partitions included) and the control instance.
    expect(await view(w2)).toEqual(want);
    expect(await view(control)).toEqual(want);
    // Scoped to a tenant's key, only that tenant.
    expect(groupsOf((await get(workflow, '/v1/realtime/skillgroups', VIEWER)).skillGroups)).toEqual(
      groupsOf(expected.skillGroups(Date.now(), 'acme')),
    );

    // The stream of the workflow instance carries every skill group of the tenant, each with the level control decided.
    const port = Number(new URL(workflow.url).port);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/stream?key=${VIEWER}`);
    const pushes: { type: string; skillGroups?: { skillGroup: string; control?: { level: number } }[] }[] = [];
    ws.on('message', (d) => pushes.push(JSON.parse(d.toString())));
    try {
      const pushed = await eventually(
        async () => pushes.filter((p) => p.type === 'skillgroups').at(-1),
        (p) =>
          p !== undefined &&
          p.skillGroups!.length === expected.skillGroups(0, 'acme').length &&
          p.skillGroups!.every((g) => g.control !== undefined && [0, 1, 2, 3].includes(g.control.level)),
        'a push with every skill group and its level',
        30_000,
      );
      expect(pushed!.skillGroups!.map((g) => g.skillGroup)).toEqual(expected.skillGroups(0, 'acme').map((g) => g.skillGroup));
    } finally {
      ws.close();
    }

    // Worker 2 crashes: its publisher stops without withdrawing anything, and its consumer leaves the group.
    w2.realtime.publisher!.halt();
    const crashedAt = Date.now();
    await w2.worker!.stop();
    const leftAfterMs = Date.now() - crashedAt;
    // Its partitions stop counting within the staleness bound (plus a read)...
    await eventually(
      async () => workflow.realtime.shared!.stats(Date.now()),
      (s) => s.publishers === 1,
      'the dead worker out of the view',
      STALE_MS + 5 * PUBLISH_MS,
    );
    const droppedAfterMs = Date.now() - crashedAt;
    // ... and come back from the survivor, which reads them again: the whole view again, from one worker.
    await eventually(() => view(workflow), same, 'the survivor’s takeover in the merged view', 90_000);
    const backAfterMs = Date.now() - crashedAt;
    expect(workflow.realtime.shared!.stats(Date.now())).toMatchObject({ publishers: 1 });
    console.log(
      `[realtime] worker left the group after ${leftAfterMs} ms; out of the view after ${droppedAfterMs} ms; its partitions back after ${backAfterMs} ms`,
    );
  }, 240_000);
});
