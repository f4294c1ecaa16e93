import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectClickHouse } from '../../adapters/clickhouse/connect.js';
import { freePort } from '../../services/ports.js';

describe('sluice demo (the README quick start)', () => {
  it('serves figures from simulated traffic within 30 s; SIGINT exits 0 within 10 s with every published event stored', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sluice-demo-'));
    const child = spawn(process.execPath, ['bin/sluice.mjs', 'demo', '--port', String(port), '--rate', '7200'], {
      // A shell holding a production deployment's settings: the demo must not touch any of them (issue 21).
      env: {
        ...process.env,
        CHDB_PATH: join(dir, 'chdb'),
        LOG_LEVEL: 'info',
        KAFKA_BROKERS: '127.0.0.1:1',
        REDIS_URL: 'redis://127.0.0.1:1',
        CLICKHOUSE_URL: 'http://127.0.0.1:1',
        SLUICE_API_KEYS: 'prod-key-0000000000000001:acme:admin',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const started = Date.now();
      let figures: { skillGroups: { currentMinute: { offered: number } }[] } | undefined;
      while (Date.now() - started < 30_000) {
        try {
          const r = await fetch(`http://127.0.0.1:${port}/v1/realtime/skillgroups`);
          if (r.ok) {
            figures = (await r.json()) as typeof figures;
            if (figures!.skillGroups.length === 3 && figures!.skillGroups.every((s) => s.currentMinute.offered > 0)) break;
          }
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(
        figures?.skillGroups.map((s) => s.currentMinute.offered > 0),
        out,
      ).toEqual([true, true, true]);
      // Its history (15 to 30 minutes, played at once) is in before it is stopped.
      while (Date.now() - started < 60_000 && !out.includes('"msg":"demo: history played')) await new Promise((r) => setTimeout(r, 250));
      expect(out).toContain('"msg":"demo: history played, real time from here"');
      expect(out).toContain(`live wallboard     http://127.0.0.1:${port}/wallboard`);
      expect(out).toContain(
        'embedded services only: ignored CLICKHOUSE_URL, KAFKA_BROKERS, REDIS_URL, SLUICE_API_KEYS from the environment',
      );
      expect(out).toContain('Kafka: in-process   Redis: in-memory');
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/sluice_events_in_total\{source="skillgroup"\} [1-9]/);

      const t0 = Date.now();
      child.kill('SIGINT');
      const code = await exited;
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(code, out).toBe(0);
      const stopped = out
        .split('\n')
        .filter((l) => l.includes('"msg":"stopped"'))
        .map((l) => JSON.parse(l) as { published: number; handled: number })[0];
      expect(stopped, out).toBeDefined();
      expect(stopped!.published).toBeGreaterThan(0);
      expect(stopped!.handled).toBe(stopped!.published);

      const ch = await connectClickHouse({ kind: 'chdb', path: join(dir, 'chdb') });
      const [row] = await (
        await ch.client.query({ query: 'SELECT uniqExact(id) AS n FROM sluice.events_raw', format: 'JSONEachRow' })
      ).json<{ n: string }>();
      expect(Number(row!.n)).toBe(stopped!.published);
      // The demo began with a history: the vendor's report of the interval before the one under way is stored.
      const [reports] = await (
        await ch.client.query({
          query: "SELECT toString(count()) AS n FROM sluice.interval_report FINAL WHERE tenant = 'demo' AND scope = 'skillgroup'",
          format: 'JSONEachRow',
        })
      ).json<{ n: string }>();
      expect(Number(reports!.n)).toBeGreaterThanOrEqual(3);
      const [{ last }] = (await (
        await ch.client.query({
          query: "SELECT toUnixTimestamp64Milli(max(window_start)) AS last FROM sluice.skillgroup_minute WHERE tenant = 'demo'",
          format: 'JSONEachRow',
        })
      ).json()) as [{ last: number }];
      await ch.close();

      // Started again on the same data: its simulated centre (another one) opens after the stored minutes, never over
      // them — every minute row still counts exactly the calls stored for it.
      const again = spawn(process.execPath, ['bin/sluice.mjs', 'demo', '--port', String(port), '--rate', '7200'], {
        env: { ...process.env, CHDB_PATH: join(dir, 'chdb'), LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out2 = '';
      again.stdout.on('data', (b: Buffer) => (out2 += b.toString()));
      again.stderr.on('data', (b: Buffer) => (out2 += b.toString()));
      const exited2 = new Promise<number | null>((r) => again.on('exit', (code) => r(code)));
      try {
        const t1 = Date.now();
        while (Date.now() - t1 < 30_000 && !/"msg":"simulator running/.test(out2)) await new Promise((r) => setTimeout(r, 250));
        await new Promise((r) => setTimeout(r, 3_000));
        again.kill('SIGINT');
        expect(await exited2, out2).toBe(0);
      } finally {
        again.kill('SIGKILL');
      }
      const opened = /"opensAt":"([^"]+)"/.exec(out2);
      const ch2 = await connectClickHouse({ kind: 'chdb', path: join(dir, 'chdb') });
      const mismatched = await (
        await ch2.client.query({
          query: `SELECT m.skill_group AS g, m.window_start AS t, m.offered AS minute, r.n AS raw
            FROM (SELECT skill_group, window_start, offered FROM sluice.skillgroup_minute FINAL WHERE tenant = 'demo') AS m
            FULL OUTER JOIN (
              SELECT entity AS skill_group, toStartOfMinute(ts) AS window_start, toUInt32(count()) AS n
              FROM sluice.events_raw FINAL WHERE tenant = 'demo' AND source = 'skillgroup' AND type = 'OFFERED'
              GROUP BY skill_group, window_start
            ) AS r ON m.skill_group = r.skill_group AND m.window_start = r.window_start
            WHERE m.offered != r.n`,
          format: 'JSONEachRow',
        })
      ).json();
      const [minutes] = await (
        await ch2.client.query({
          query: "SELECT toString(count()) AS n FROM sluice.skillgroup_minute FINAL WHERE tenant = 'demo'",
          format: 'JSONEachRow',
        })
      ).json<{ n: string }>();
      await ch2.close();
      expect(Number(minutes!.n)).toBeGreaterThan(45);
      expect(mismatched).toEqual([]);
      expect(opened, out2).not.toBeNull();
      expect(Date.parse(opened![1]!)).toBe(Number(last) + 60_000);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
