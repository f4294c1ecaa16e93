import { describe, expect, it } from 'vitest';
import { renderChart, scenarioCharts } from './charts.js';
import { checkExpectations } from './expect.js';
import { headline, scenarioMarkdown } from './report.js';
import { peak } from './definitions.js';
import type { ScenarioResult, TickSample } from './types.js';

const samples: TickSample[] = Array.from({ length: 300 }, (_, i) => {
  const tick = i + 1;
  const busy = tick > 60 && tick <= 200;
  return {
    tick,
    level: busy ? 1 : 0,
    groupLevel: busy ? 2 : 0,
    pressure: busy ? 0.55 : 0.2,
    top: busy ? 'longestWait' : 'offered',
    levels: { acme: busy ? 1 : 0 },
    targets: (busy ? { 'agent:cti-primary': 2, smart_ivr: 1 } : { 'agent:cti-primary': 1 }) as Record<string, number>,
    accepted: tick * 10,
    handled: tick * 10,
    eventsPerSec: 10,
    lagMs: 0,
    lagMessages: 0,
    engineLagMs: 0,
    breakers: {},
    reachable: true,
    leader: true,
    routeP50Us: 300,
    routeP99Us: 900,
    heapMb: 60,
  };
});
const totals = { accepted: 3_000, rejected: 0, stored: 3_000, offeredEvents: 400, offeredInMinutes: 400, calls: 580, wallMs: 1_234 };
const phases = peak.short.phases;
const result: ScenarioResult = {
  scenario: 'peak',
  title: peak.title,
  variant: 'short',
  services: { bus: 'in-process', state: 'in-memory', clickhouse: 'chDB' },
  phases,
  samples,
  totals,
  checks: checkExpectations(peak.expectations, samples, totals, phases),
  pass: false,
};

describe('scenario reports', () => {
  it('headline sums up levels, diversions and wall time', () => {
    expect(headline(result)).toMatchObject({
      scenario: 'peak',
      maxLevel: 1,
      maxGroupLevel: 2,
      levelChanges: 2,
      diverted: 140,
      calls: 580,
      routeP99Us: 900,
      wallSec: 1.2,
    });
  });

  it('the Markdown lists every expectation with its verdict and links the charts', () => {
    const md = scenarioMarkdown(result, [{ title: 'Level over time', file: 'peak-level.svg' }]);
    for (const c of result.checks) expect(md).toContain(c.says);
    expect(md).toMatch(/\| pass \| level stays at or below L0 during "calm"/);
    expect(md).toContain('Level changes: 61 s acme L0→L1, 201 s acme L1→L0.');
    expect(md).toContain('![Level over time](peak-level.svg)');
  });

  it('renders the five charts as SVG with their titles', () => {
    const charts = scenarioCharts(result);
    expect(charts.map((c) => c.name)).toEqual(['throughput', 'latency', 'lag', 'level', 'routing']);
    for (const c of charts) expect(c.svg.startsWith('<svg')).toBe(true);
    expect(charts[3]!.svg).toContain('Degradation level per tenant');
    expect(
      renderChart(
        'T',
        'y',
        [
          {
            name: 'a',
            data: [
              [0, 1],
              [1, 2],
            ],
          },
        ],
        { all: [0, 1] },
      ),
    ).toContain('>T<');
  });
});
