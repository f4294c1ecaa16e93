import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { diffCommitted, GENERATED_DIR, writeDashboards } from './build.js';
import { schemaErrors } from './check/schema.js';
import { queriesOf, variableValues } from './check/targets.js';
import { buildDashboards } from './index.js';
import { expandQuery } from './plugin/macros.js';
import { CLICKHOUSE, PROMETHEUS } from './sdk/queries.js';

const built = buildDashboards();

describe('dashboards as code', () => {
  it('the committed JSON is exactly what the code builds', async () => {
    expect(await diffCommitted()).toEqual([]);
  });

  it('reports a committed file that drifted, one missing and one without a dashboard', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-dash-'));
    await writeDashboards(dir);
    await writeFile(join(dir, 'queues.json'), '{}\n');
    await writeFile(join(dir, 'stale.json'), '{}\n');
    await rm(join(dir, 'engine.json'));
    const problems = await diffCommitted(dir);
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/queues\.json: differs/);
    expect(problems.join('\n')).toMatch(/engine\.json: missing/);
    expect(problems.join('\n')).toMatch(/stale\.json: no dashboard builds it/);
  });

  it("every committed dashboard validates against Grafana's dashboard JSON schema", async () => {
    for (const { file } of built) {
      const json = JSON.parse(await readFile(join(GENERATED_DIR, file), 'utf8'));
      expect(schemaErrors(json), file).toEqual([]);
    }
  });

  it('the schema check refuses a malformed dashboard, naming the path', () => {
    const d = JSON.parse(JSON.stringify(built[0]!.dashboard));
    d.panels[1].gridPos = { x: 'left' };
    d.templating.list[0].hide = 'yes';
    const errors = schemaErrors(d).join('\n');
    expect(errors).toMatch(/\/templating\/list\/0\/hide/);
    expect(errors).toMatch(/\/panels\/1/);
  });

  it("has the six dashboards with unique uids, unique panel ids and titled panels whose targets use the panel's data source", () => {
    expect(built.map((b) => b.dashboard.uid)).toEqual([
      'sluice-queues',
      'sluice-agents',
      'sluice-intervals',
      'sluice-control',
      'sluice-workflow',
      'sluice-engine',
    ]);
    for (const { dashboard } of built) {
      const panels = (dashboard.panels ?? []).filter((p) => p.type !== 'row');
      const ids = (dashboard.panels ?? []).map((p) => p.id);
      expect(new Set(ids).size, dashboard.uid).toBe(ids.length);
      for (const p of panels) {
        expect(p.title, dashboard.uid).toBeTruthy();
        expect(('targets' in p && p.targets?.length) || 0, `${dashboard.uid}: ${p.title}`).toBeGreaterThan(0);
        const targets = ('targets' in p && p.targets) || [];
        for (const t of targets)
          expect((t as { datasource?: { uid?: string } }).datasource?.uid, `${dashboard.uid}: ${p.title}`).toBe(p.datasource?.uid);
      }
    }
  });

  it('offers tenant and skill group variables wherever figures belong to a tenant', () => {
    for (const { dashboard } of built.filter((b) => b.dashboard.uid !== 'sluice-engine')) {
      const names = (dashboard.templating?.list ?? []).map((v) => v.name);
      expect(names, dashboard.uid).toEqual(expect.arrayContaining(['database', 'tenant', 'skill_group']));
      const sg = dashboard.templating!.list!.find((v) => v.name === 'skill_group')!;
      expect(sg.multi && sg.includeAll).toBe(true);
    }
  });

  it('every ClickHouse query names the database variable and expands with only known macros, for All and for a selection', () => {
    const all = { tenant: { current: 'demo' }, skill_group: { current: '$__all', options: ['sales', 'support'] } };
    const some = { tenant: { current: 'demo' }, skill_group: { current: ['sales'] } };
    let n = 0;
    for (const { dashboard } of built) {
      for (const q of queriesOf(dashboard).filter((x) => x.kind === 'clickhouse')) {
        if (!q.where.startsWith('variable tenant')) expect(q.text, `${q.dashboard} ${q.where}`).toMatch(/\$\{database\}\./);
        for (const picked of [all, some]) {
          const sql = expandQuery(q.text, { fromMs: 0, toMs: 3_600_000, intervalMs: 60_000, variables: variableValues(dashboard, picked) });
          expect(sql, `${q.dashboard} ${q.where}`).not.toMatch(/\$/);
        }
        n++;
      }
    }
    expect(n).toBeGreaterThan(25);
  });

  it('the provisioning files define the data sources the dashboards use and load the generated folder', async () => {
    const ds = parse(await readFile(new URL('./provisioning/datasources/sluice.yaml', import.meta.url), 'utf8'));
    expect(ds.datasources.map((d: { uid: string; type: string }) => [d.uid, d.type])).toEqual([
      [CLICKHOUSE.uid, CLICKHOUSE.type],
      [PROMETHEUS.uid, PROMETHEUS.type],
    ]);
    const providers = parse(await readFile(new URL('./provisioning/dashboards/sluice.yaml', import.meta.url), 'utf8'));
    expect(providers.providers[0]).toMatchObject({ type: 'file', options: { path: expect.any(String) } });
  });
});
