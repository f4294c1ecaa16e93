import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES_FILE } from '../dashboards/alerts/build.js';
import { GENERATED_DIR } from '../dashboards/build.js';

describe('sluice dashboards', { timeout: 60_000 }, () => {
  it('build writes the six dashboards, byte for byte the committed ones', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sluice-dashboards-'));
    const r = spawnSync(process.execPath, ['bin/sluice.mjs', 'dashboards', 'build', '--out', out], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('wrote 6 dashboards');
    const files = (await readdir(out)).sort();
    expect(files).toEqual(['agents.json', 'control.json', 'engine.json', 'intervals.json', 'queues.json', 'workflow.json']);
    for (const f of files) expect(await readFile(join(out, f), 'utf8'), f).toBe(await readFile(join(GENERATED_DIR, f), 'utf8'));
  });

  it('build --rules-out writes the alerting rules, byte for byte the committed file, and --grafana-url makes full links', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sluice-rules-'));
    const build = (...args: string[]) =>
      spawnSync(process.execPath, ['bin/sluice.mjs', 'dashboards', 'build', '--out', out, ...args], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
        timeout: 60_000,
      });
    const plain = build('--rules-out', join(out, 'plain.yml'));
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stderr).toContain(`wrote the alerting rules to ${join(out, 'plain.yml')}`);
    expect(await readFile(join(out, 'plain.yml'), 'utf8')).toBe(await readFile(RULES_FILE, 'utf8'));
    const linked = build('--rules-out', join(out, 'linked.yml'), '--grafana-url', 'https://grafana.example');
    expect(linked.status, linked.stderr).toBe(0);
    expect(await readFile(join(out, 'linked.yml'), 'utf8')).toContain('dashboard: https://grafana.example/d/sluice-control?var-tenant=');
  });
});
