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
      await ch.close();
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
