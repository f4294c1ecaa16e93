import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { requirePromtool } from '../../dashboards/check/promql.js';
import { SL_VARIANTS, slPromQL } from '../../dashboards/sdk/service-level.js';

const run = promisify(execFile);

// README's worked example over one hour, as the counters count it (T = 17 s, on no bucket bound): 80 answered,
// 64 within T; 20 abandoned, 6 within T, 4 short. Prometheus evaluates the Grafana stat's expression for each
// variant the tenant's threshold gauge names (promtool test rules: the real PromQL engine, Debian's Prometheus).
const EXPECTED: Record<(typeof SL_VARIANTS)[number], number> = {
  answered: 64 / 80,
  answeredAndAbandoned: 64 / 100,
  abandonsWithinGood: 70 / 100,
  shortAbandonsExcluded: 64 / 96,
};

describe("the Grafana stat's PromQL gives the tenant's variant from the counters", () => {
  let dir: string;
  beforeAll(async () => {
    await requirePromtool();
    dir = await mkdtemp(join(tmpdir(), 'sluice-sl-promql-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(SL_VARIANTS)('%s', async (variant) => {
    // Counters from 0, one sample a minute for 61 minutes: increase() over 1h sees the whole hour's calls.
    const counter = (name: string, total: number) => ({
      series: `sluice_queue_${name}_total{tenant="acme",skill_group="sales",instance="a"}`,
      values: `0+${total / 60}x60`,
    });
    const expr = slPromQL('tenant="acme", skill_group=~"sales"', '1h').replaceAll('$tenant', 'acme');
    const rules = join(dir, `${variant}.rules.yml`);
    await writeFile(rules, stringify({ groups: [] }));
    const test = join(dir, `${variant}.test.yml`);
    await writeFile(
      test,
      stringify({
        rule_files: [rules],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [
              counter('answered', 80),
              counter('answered_within_sl', 64),
              counter('abandoned', 20),
              counter('abandoned_within_sl', 6),
              counter('abandoned_short', 4),
              // Two processes report the tenant's definition (the stat must not count it twice); another tenant differs.
              { series: `sluice_service_level_threshold_seconds{tenant="acme",variant="${variant}",instance="a"}`, values: '17x60' },
              { series: `sluice_service_level_threshold_seconds{tenant="acme",variant="${variant}",instance="b"}`, values: '17x60' },
              {
                series: 'sluice_service_level_threshold_seconds{tenant="globex",variant="abandonsWithinGood",instance="a"}',
                values: '20x60',
              },
            ],
            promql_expr_test: [
              {
                expr: `round(${expr}, 0.0001)`,
                eval_time: '60m',
                exp_samples: [{ labels: '{}', value: Math.round(EXPECTED[variant] * 1e4) / 1e4 }],
              },
            ],
          },
        ],
      }),
    );
    const out = await run('promtool', ['test', 'rules', test]).catch((e: { stdout?: string; stderr?: string }) => e);
    expect(`${out.stdout ?? ''}${out.stderr ?? ''}`).toMatch(/SUCCESS/);
  });
});
