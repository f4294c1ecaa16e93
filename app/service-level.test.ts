import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { LabelBounds } from './metric-labels.js';
import { ServiceLevelMetrics } from './service-level-metrics.js';
import { DEFAULT_SERVICE_LEVEL, serviceLevelOf, serviceLevelSettings } from './service-level.js';
import { serviceLevels } from '../pipelines/metrics/formulas.js';
import { SkillGroupPartition } from '../pipelines/skillgroup/pipeline.js';
import { RealtimeState } from '../pipelines/realtime/state.js';
import type { SkillGroupEvent, TelemetryEvent } from '../pipelines/events/types.js';

const T0 = 1_795_000_020_000; // minute-aligned
let seq = 0;
const ev = (
  tenant: string,
  type: SkillGroupEvent['body']['type'],
  waitMs?: number,
  skillGroup = 'sales',
  ts = T0 + 1_000,
): SkillGroupEvent => ({
  v: 1,
  tenant,
  source: 'skillgroup',
  id: `e${++seq}`,
  ts,
  body: { skillGroup, callId: `c${seq}`, type, ...(waitMs === undefined ? {} : { waitMs }) },
});

/**
 * README's worked example ("Service level"), T = 20 s, short abandons under 5 s: 100 calls offered;
 * 80 answered, 64 of them within 20 s; 20 abandoned, 6 of them within 20 s, 4 of those under 5 s.
 */
function workedExample(tenant: string, t = 20_000): SkillGroupEvent[] {
  const out: SkillGroupEvent[] = [];
  for (let i = 0; i < 100; i++) out.push(ev(tenant, 'OFFERED'));
  for (let i = 0; i < 80; i++) out.push(ev(tenant, 'ANSWERED', i < 64 ? t - i * 100 : t + 1 + i * 100));
  for (let i = 0; i < 20; i++) out.push(ev(tenant, 'ABANDONED', i < 4 ? 2_000 : i < 6 ? t : t + 10_000));
  return out;
}

/** The value of a series in a scrape, or undefined. */
const value = (scrape: string, series: string) => {
  const line = scrape.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('one service-level definition per tenant', () => {
  it('has a deployment default and per-tenant overrides whose missing fields come from it', () => {
    const s = serviceLevelSettings(
      { variant: 'shortAbandonsExcluded', thresholdMs: 30_000, objective: 0.85 },
      JSON.stringify({ acme: { variant: 'answered', thresholdMs: 17_000, objective: 0.9 }, globex: { thresholdMs: 10_000 } }),
    );
    expect(serviceLevelOf(s, 'acme')).toEqual({ variant: 'answered', thresholdMs: 17_000, objective: 0.9 });
    expect(serviceLevelOf(s, 'globex')).toEqual({ variant: 'shortAbandonsExcluded', thresholdMs: 10_000, objective: 0.85 });
    expect(serviceLevelOf(s, 'initech')).toEqual({ variant: 'shortAbandonsExcluded', thresholdMs: 30_000, objective: 0.85 });
    expect(serviceLevelOf(s, 'constructor')).toBe(s.default); // own keys only
  });

  it('comes from the environment, the default answered within 20 s ÷ (answered + abandoned) at 80 %', () => {
    const base = { SLUICE_OPEN: 'true' };
    expect(loadConfig(base).serviceLevels).toEqual({ default: DEFAULT_SERVICE_LEVEL, tenants: {} });
    const c = loadConfig({
      ...base,
      SLUICE_SERVICE_LEVEL_MS: '17000',
      SLUICE_SERVICE_LEVEL_VARIANT: 'abandonsWithinGood',
      SLUICE_SERVICE_LEVEL_OBJECTIVE: '0.75',
      SLUICE_SERVICE_LEVEL_TENANTS: '{"acme":{"objective":0.9}}',
    });
    expect(serviceLevelOf(c.serviceLevels, 'acme')).toEqual({ variant: 'abandonsWithinGood', thresholdMs: 17_000, objective: 0.9 });
    expect(c.serviceLevelMs).toBe(17_000);
  });

  it('refuses a wrong definition at start-up, naming the variable and the field', () => {
    const bad = (env: Record<string, string>) => () => loadConfig({ SLUICE_OPEN: 'true', ...env });
    expect(bad({ SLUICE_SERVICE_LEVEL_VARIANT: 'offered' })).toThrow(
      /SLUICE_SERVICE_LEVEL_VARIANT must be equal to one of the allowed values/,
    );
    expect(bad({ SLUICE_SERVICE_LEVEL_OBJECTIVE: '80' })).toThrow(/SLUICE_SERVICE_LEVEL_OBJECTIVE must be <= 1/);
    expect(bad({ SLUICE_SERVICE_LEVEL_MS: '0' })).toThrow(/SLUICE_SERVICE_LEVEL_MS must be >= 1/);
    expect(bad({ SLUICE_SERVICE_LEVEL_TENANTS: '{acme}' })).toThrow(/SLUICE_SERVICE_LEVEL_TENANTS is not JSON/);
    expect(bad({ SLUICE_SERVICE_LEVEL_TENANTS: '{"acme":{"variant":"offered"}}' })).toThrow(
      /SLUICE_SERVICE_LEVEL_TENANTS acme\.variant must be equal to one of the allowed values: answered, answeredAndAbandoned/,
    );
    expect(bad({ SLUICE_SERVICE_LEVEL_TENANTS: '{"acme":{"thresholdMs":17.5}}' })).toThrow(/acme\.thresholdMs must be integer/);
    expect(bad({ SLUICE_SERVICE_LEVEL_TENANTS: '{"acme":{"target":0.9}}' })).toThrow(/acme must NOT have additional properties/);
    expect(bad({ SLUICE_SERVICE_LEVEL_TENANTS: '{"acme":{}}' })).toThrow(/acme must NOT have fewer than 1 properties/);
    expect(bad({ SLUICE_SERVICE_LEVEL_TENANTS: '{"Acme Corp":{"objective":0.9}}' })).toThrow(/tenant "Acme Corp" is not a tenant id/);
  });
});

describe("README's worked example", () => {
  it('gives the four variants from the same calls: 80 %, 64 %, 70 %, 66.7 %', async () => {
    const p = new SkillGroupPartition({ serviceLevelMs: 20_000, shortAbandonMs: 5_000, outOfOrdernessMs: 0, allowedLatenessMs: 0 });
    const out = p.process(
      [...workedExample('acme'), ev('acme', 'OFFERED', undefined, 'sales', T0 + 61_000)].map((event, offset) => ({ event, offset })),
      0,
    );
    const row = out.minutes.find((r) => r.windowStart === T0)!;
    expect(row).toMatchObject({ offered: 100, answered: 80, answeredWithinSl: 64, abandoned: 20, abandonedWithinSl: 6, shortAbandons: 4 });
    const sl = serviceLevels(row);
    expect(sl.answered).toBe(0.8); // 64 / 80
    expect(sl.answeredAndAbandoned).toBe(0.64); // 64 / (80 + 20)
    expect(sl.abandonsWithinGood).toBe(0.7); // (64 + 6) / (80 + 20)
    expect(sl.shortAbandonsExcluded).toBeCloseTo(2 / 3, 12); // 64 / (80 + 20 − 4)
  });
});

describe('the same service level on every screen', () => {
  // Two tenants: acme answered within 17 s (on no bucket bound) ÷ answered at 90 %; globex the default.
  const settings = serviceLevelSettings(
    DEFAULT_SERVICE_LEVEL,
    JSON.stringify({ acme: { variant: 'answered', thresholdMs: 17_000, objective: 0.9 } }),
  );
  const defOf = (t: string) => serviceLevelOf(settings, t);

  /** Events through the skill-group pipeline into the real-time state (what the API and the wallboard read) and the metrics. */
  async function run(events: SkillGroupEvent[]) {
    const registry = new Registry();
    const m = new ServiceLevelMetrics({
      registry,
      labels: new LabelBounds({ tenants: ['acme', 'globex'] }),
      settings,
      shortAbandonMs: 5_000,
      tenants: ['acme', 'globex'],
    });
    const state = new RealtimeState({ serviceLevelOf: defOf });
    m.observeRealtime(state, () => T0 + 120_000);
    const p = new SkillGroupPartition({
      serviceLevelMs: 20_000,
      serviceLevelMsOf: (t) => defOf(t).thresholdMs,
      shortAbandonMs: 5_000,
      outOfOrdernessMs: 0,
      allowedLatenessMs: 0,
    });
    const closing = [ev('acme', 'OFFERED', undefined, 'sales', T0 + 61_000), ev('globex', 'OFFERED', undefined, 'sales', T0 + 61_000)];
    const out = p.process(
      [...events, ...closing].map((event, offset) => ({ event, offset })),
      0,
    );
    state.applySliding(out.sliding, T0 + 120_000);
    m.observeEvents([...events, ...closing] as TelemetryEvent[]);
    return { state, scrape: await registry.metrics(), out };
  }

  it('counts answered within the tenant’s T when the answer is observed, with every counter present from the first event', async () => {
    const { scrape: before } = await run([ev('acme', 'OFFERED')]);
    for (const name of ['answered', 'answered_within_sl', 'abandoned', 'abandoned_within_sl', 'abandoned_short'])
      expect(value(before, `sluice_queue_${name}_total{tenant="acme",skill_group="sales"}`), name).toBe(0);
    expect(value(before, 'sluice_service_level_threshold_seconds{tenant="acme",variant="answered"}')).toBe(17);
    expect(value(before, 'sluice_service_level_threshold_seconds{tenant="globex",variant="answeredAndAbandoned"}')).toBe(20);
    expect(value(before, 'sluice_service_level_objective{tenant="acme"}')).toBe(0.9);
    expect(value(before, 'sluice_service_level_objective{tenant="globex"}')).toBe(0.8);

    const waits = [16_000, 17_000, 17_001, 18_000, 20_000, 25_000];
    const { scrape } = await run(['acme', 'globex'].flatMap((t) => waits.map((w) => ev(t, 'ANSWERED', w))));
    // 16 and 17 s are within acme's 17 s; 16, 17, 17.001, 18 and 20 s within globex's 20 s.
    expect(value(scrape, 'sluice_queue_answered_within_sl_total{tenant="acme",skill_group="sales"}')).toBe(2);
    expect(value(scrape, 'sluice_queue_answered_within_sl_total{tenant="globex",skill_group="sales"}')).toBe(5);
    expect(value(scrape, 'sluice_queue_answered_total{tenant="acme",skill_group="sales"}')).toBe(6);
  });

  it('gives the API’s figure, the gauge and the counters’ ratio alike, in each tenant’s own variant', async () => {
    const { state, scrape, out } = await run([...workedExample('acme', 17_000), ...workedExample('globex', 20_000)]);
    const apiOf = (t: string) => {
      const g = state.skillGroups(T0 + 120_000, t)[0]!;
      return g.last60m ?? g.last5m;
    };
    // What GET /v1/realtime/skillgroups and the wallboard read (last60m), per tenant.
    expect(apiOf('acme')).toMatchObject({
      serviceLevel: 0.8,
      serviceLevelVariant: 'answered',
      serviceLevelThresholdMs: 17_000,
      serviceLevelObjective: 0.9,
    });
    expect(apiOf('globex')).toMatchObject({
      serviceLevel: 0.64,
      serviceLevelVariant: 'answeredAndAbandoned',
      serviceLevelThresholdMs: 20_000,
    });
    // Prometheus: the gauge is the same figure …
    expect(value(scrape, 'sluice_service_level{tenant="acme",skill_group="sales",variant="answered"}')).toBe(apiOf('acme')!.serviceLevel);
    expect(value(scrape, 'sluice_service_level{tenant="globex",skill_group="sales",variant="answeredAndAbandoned"}')).toBe(
      apiOf('globex')!.serviceLevel,
    );
    // … and the counters give it too (the Grafana stat's formula for each variant).
    const c = (t: string, n: string) => value(scrape, `sluice_queue_${n}_total{tenant="${t}",skill_group="sales"}`)!;
    expect(c('acme', 'answered_within_sl') / c('acme', 'answered')).toBe(0.8);
    expect(c('globex', 'answered_within_sl') / (c('globex', 'answered') + c('globex', 'abandoned'))).toBe(0.64);
    // And the stored minute rows (ClickHouse panels) hold the counts taken against each tenant's T.
    const row = (t: string) => out.minutes.find((r) => r.tenant === t && r.windowStart === T0)!;
    expect([row('acme').answeredWithinSl, row('acme').serviceLevelMs]).toEqual([64, 17_000]);
    expect(serviceLevels(row('acme')).answered).toBe(0.8);
  });
});
