import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { connectClickHouse } from '../../adapters/clickhouse/connect.js';
import { flood } from '../../bench/isolation/flood.js';
import { playTenant } from '../../bench/isolation/tenant.js';
import { freePort } from '../../services/ports.js';
import { eventually } from '../../core/testing/eventually.js';
import { clickhouseEnv, clickhouseServer } from '../support/clickhouse.js';
import { spawnSluice } from '../support/process.js';

/** Figures of one skill group as the stream pushes them (the fields this test reads). */
interface Pushed {
  type: string;
  tenant?: string;
  skillGroups?: { tenant: string; skillGroup: string; currentMinute: { offered: number } }[];
}

describe('a noisy neighbour (issue 14): one tenant floods, the other keeps its service', () => {
  it('B keeps its routes, its events and its wallboard while A floods routes, new skill groups and junk WebSockets', async () => {
    const run = randomUUID().slice(0, 8);
    const [a, b] = [`nna${run}`, `nnb${run}`];
    const keys = {
      aAdmin: `${a}-admin-key-0001`,
      aRouter: `${a}-router-key-001`,
      aViewer: `${a}-viewer-key-001`,
      bAdmin: `${b}-admin-key-0001`,
      bRouter: `${b}-router-key-001`,
      bViewer: `${b}-viewer-key-001`,
    };
    const port = await freePort();
    // As deployed: real Kafka and Redis, keys for two tenants.
    const sluice = spawnSluice(['start', '--port', String(port)], {
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...clickhouseEnv(),
      CLICKHOUSE_DATABASE: `noisy_${run}`,
      KAFKA_BROKERS: inject('kafkaBrokers'),
      KAFKA_TOPIC_PREFIX: `noisy-${run}`,
      KAFKA_GROUP_ID: `noisy-${run}`,
      REDIS_URL: inject('redisUrl'),
      SLUICE_TENANTS: `${a},${b}`,
      SLUICE_API_KEYS: [
        `${keys.aAdmin}:${a}:admin`,
        `${keys.aRouter}:${a}:router`,
        `${keys.aViewer}:${a}:viewer`,
        `${keys.bAdmin}:${b}:admin`,
        `${keys.bRouter}:${b}:router`,
        `${keys.bViewer}:${b}:viewer`,
      ].join(','),
    });
    const url = `http://127.0.0.1:${port}`;
    const abort = new AbortController();
    let ws: WebSocket | undefined;
    try {
      await eventually(
        () => fetch(`${url}/healthz`, { headers: { authorization: `Bearer ${keys.bAdmin}` } }).then((r) => r.status),
        (s) => s === 200,
        `sluice start to answer: ${sluice.output()}`,
        60_000,
      );

      // B's wallboard: collects every push for B.
      const pushes: Pushed[] = [];
      ws = new WebSocket(`ws://127.0.0.1:${port}/v1/stream?key=${keys.bViewer}`);
      ws.on('message', (d) => pushes.push(JSON.parse(d.toString()) as Pushed));
      await new Promise<void>((resolve, reject) => {
        ws!.once('open', () => resolve());
        ws!.once('error', reject);
      });

      // A floods for the whole of B's traffic.
      // B's contact center is running when A starts: its routing has history (the client-side throttle and the
      // limiters judge a window of recent outcomes; a cold start under load would be judged on in-flight calls alone).
      const play = (durationMs: number, idPrefix: string) =>
        playTenant({
          url,
          tenant: b,
          routerKey: keys.bRouter,
          adminKey: keys.bAdmin,
          routesPerSec: 40,
          eventsPerSec: 400,
          durationMs,
          idPrefix,
        });
      const warmUp = await play(6_000, `${b}-w`);
      const flooding = flood(
        {
          url,
          tenant: a,
          routerKey: keys.aRouter,
          adminKey: keys.aAdmin,
          viewerKey: keys.aViewer,
          routeLoops: 16,
          eventLoops: 1,
          sockets: 60,
        },
        abort.signal,
      );
      await new Promise((r) => setTimeout(r, 1_000));
      const traffic = await play(10_000, `${b}-t`);
      // B's wallboard keeps updating: a new call of B shows up in its stream while A still floods.
      const pushedBefore = pushes.length;
      const marker = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${keys.bAdmin}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          events: [
            {
              v: 1,
              tenant: b,
              source: 'skillgroup',
              id: `${b}-marker`,
              ts: Date.now(),
              body: { skillGroup: 'marker', callId: `${b}-marker-call`, type: 'OFFERED' },
            },
          ],
        }),
      });
      expect(marker.status).toBe(202);
      await eventually(
        async () => pushes.slice(pushedBefore),
        (got) =>
          got.some(
            (m) => m.type === 'skillgroups' && (m.skillGroups ?? []).some((g) => g.skillGroup === 'marker' && g.currentMinute.offered >= 1),
          ),
        "B's new call on its wallboard stream during A's flood",
        30_000,
      );
      abort.abort();
      const flooded = await flooding;

      // The flood was real: A sent thousands of requests and names.
      expect(
        Object.values(flooded.routes).reduce((x, y) => x + y, 0),
        JSON.stringify(flooded),
      ).toBeGreaterThan(100);
      expect(flooded.names).toBeGreaterThanOrEqual(1_000);
      expect(flooded.sockets.opened + flooded.sockets.refused).toBeGreaterThan(0);
      // Every one of B's routes was answered, with the targets of a calm contact center.
      expect(traffic.routeStatus, JSON.stringify(traffic)).toEqual({ '200': traffic.routeLatenciesMs.length });
      expect(traffic.routeLatenciesMs.length).toBeGreaterThan(300);
      // B's levels and their reasons (for the failure message): what would have diverted its calls.
      const control = await (await fetch(`${url}/v1/control/state`, { headers: { authorization: `Bearer ${keys.bAdmin}` } })).text();
      for (const priority of ['vip', 'high'])
        expect(
          Object.keys(traffic.targets[priority] ?? {}),
          `${priority} targets ${JSON.stringify(traffic.targets)}; B's control state ${control.slice(0, 1500)} … ${control.slice(Math.max(0, control.indexOf('"admission"')), control.indexOf('"admission"') + 2000)}`,
        ).toEqual(['agent']);
      // Every batch of B was accepted whole.
      expect(traffic.ingestStatus, JSON.stringify(traffic.ingestStatus)).toEqual({
        '202': Object.values(traffic.ingestStatus).reduce((x, y) => x + y, 0),
      });
      expect(traffic.eventsAccepted).toBe(traffic.eventsOffered);

      // B's accepted events are all stored, once.
      sluice.child.kill('SIGTERM');
      expect(await sluice.exited, sluice.output()).toBe(0);
      const ch = await connectClickHouse(clickhouseServer(), `noisy_${run}`);
      try {
        const [row] = await (
          await ch.client.query({
            query: `SELECT count() AS n, uniqExact(id) AS u FROM noisy_${run}.events_raw FINAL WHERE tenant = {t:String}`,
            query_params: { t: b },
            format: 'JSONEachRow',
          })
        ).json<{ n: string; u: string }>();
        expect(Number(row!.u)).toBe(warmUp.acceptedIds.length + traffic.acceptedIds.length + 1);
        expect(Number(row!.n)).toBe(Number(row!.u));
      } finally {
        await ch.client.command({ query: `DROP DATABASE IF EXISTS noisy_${run}` });
        await ch.close();
      }
    } finally {
      abort.abort();
      ws?.terminate();
      sluice.child.kill('SIGKILL');
    }
  }, 180_000);
});
