/**
 * Writes a scenario run to disk: `<name>.json` (every sample, totals and checks),
 * `<name>.md` (what ran, each expectation with its verdict, headline figures, the charts) and
 * `<name>-<chart>.svg`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenarioCharts } from './charts.js';
import { diverted } from './expect.js';
import { scenarioNamed } from './definitions.js';
import type { ScenarioResult } from './types.js';

/** The figures a run is summed up by. */
export interface Headline {
  readonly scenario: string;
  readonly pass: boolean;
  readonly passed: number;
  readonly checks: number;
  readonly maxLevel: number;
  /** Highest level of any skill group. */
  readonly maxGroupLevel: number;
  readonly levelChanges: number;
  readonly calls: number;
  readonly diverted: number;
  readonly maxLagMs: number;
  /** Highest consumer lag the worker itself reported (the engine-health signal), ms. */
  readonly maxEngineLagMs: number;
  /** Highest per-second p99 of route latency, µs. */
  readonly routeP99Us: number;
  readonly events: number;
  readonly wallSec: number;
}

/** Headline figures of a run. */
export function headline(r: ScenarioResult): Headline {
  let changes = 0;
  r.samples.forEach((s, i) => {
    const p = r.samples[i - 1];
    if (p) for (const t of Object.keys(s.levels)) if (p.levels[t] !== s.levels[t]) changes++;
  });
  return {
    scenario: r.scenario,
    pass: r.pass,
    passed: r.checks.filter((c) => c.pass).length,
    checks: r.checks.length,
    maxLevel: Math.max(0, ...r.samples.map((s) => s.level)),
    maxGroupLevel: Math.max(0, ...r.samples.map((s) => s.groupLevel)),
    levelChanges: changes,
    calls: r.totals.calls,
    diverted: r.samples.reduce((a, s) => a + diverted(s), 0),
    maxLagMs: Math.max(0, ...r.samples.map((s) => s.lagMs)),
    maxEngineLagMs: Math.max(0, ...r.samples.map((s) => s.engineLagMs)),
    routeP99Us: Math.max(0, ...r.samples.map((s) => s.routeP99Us)),
    events: r.totals.accepted,
    wallSec: Math.round(r.totals.wallMs / 100) / 10,
  };
}

const esc = (s: string) => s.replace(/\|/g, '\\|');

/** The Markdown report of one run; `chartFiles` are the SVG file names beside it. */
export function scenarioMarkdown(r: ScenarioResult, chartFiles: readonly { title: string; file: string }[]): string {
  const def = scenarioNamed(r.scenario);
  const h = headline(r);
  const levelChanges: string[] = [];
  const tops = new Map<string, number>();
  r.samples.forEach((s, i) => {
    const p = r.samples[i - 1];
    for (const t of Object.keys(s.levels))
      if (p && p.levels[t] !== s.levels[t]) levelChanges.push(`${s.tick} s ${t} L${p.levels[t]}→L${s.levels[t]}`);
    if (s.level > 0 && s.top) tops.set(s.top, (tops.get(s.top) ?? 0) + 1);
  });
  return [
    `# ${r.title} (${r.scenario}, ${r.variant})`,
    '',
    def.description,
    '',
    `Services: bus ${r.services.bus}, state ${r.services.state}, ClickHouse ${r.services.clickhouse}. Faults: ${def.faults.map((f) => `${f.kind} during "${f.phase}"`).join(', ') || 'none'}.` +
      (def.control ? ` Control tuning: \`${JSON.stringify(def.control)}\`.` : ''),
    '',
    `Phases (scenario seconds): ${Object.entries(r.phases)
      .map(([n, [a, b]]) => `${n} ${a}–${b}`)
      .join(', ')}.`,
    '',
    `## Expectations: ${h.passed} of ${h.checks} met — ${r.pass ? 'PASS' : 'FAIL'}`,
    '',
    '| | expectation | observed |',
    '| --- | --- | --- |',
    ...r.checks.map((c) => `| ${c.pass ? 'pass' : '**FAIL**'} | ${esc(c.says)} | ${esc(c.observed)} |`),
    '',
    '## Figures',
    '',
    '| figure | value |',
    '| --- | ---: |',
    `| events accepted / stored | ${r.totals.accepted.toLocaleString('en')} / ${r.totals.stored.toLocaleString('en')} |`,
    `| calls routed / diverted | ${h.calls.toLocaleString('en')} / ${h.diverted.toLocaleString('en')} |`,
    `| highest tenant level / tenant level changes / highest skill-group level | L${h.maxLevel} / ${h.levelChanges} / L${h.maxGroupLevel} |`,
    `| highest consumer lag (oldest unhandled event) / as the worker reports it | ${h.maxLagMs.toLocaleString('en')} ms / ${h.maxEngineLagMs.toLocaleString('en')} ms |`,
    `| worst per-second p99 of POST /v1/route (in process) | ${h.routeP99Us.toLocaleString('en')} µs |`,
    `| wall time | ${h.wallSec} s |`,
    '',
    `Level changes: ${levelChanges.join(', ') || 'none'}.` +
      (tops.size > 0
        ? ` Weightiest pressure component while above L0 (ticks): ${[...tops]
            .sort((a, b) => b[1] - a[1])
            .map(([k, n]) => `${k} ${n}`)
            .join(', ')}.`
        : ''),
    '',
    ...chartFiles.flatMap((c) => [`![${c.title}](${c.file})`, '']),
  ].join('\n');
}

/** Writes the JSON, the Markdown and the charts of a run into `dir`; returns the report's path. */
export function writeScenarioReport(r: ScenarioResult, dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${r.scenario}.json`), `${JSON.stringify(r)}\n`);
  const files = scenarioCharts(r).map((c) => {
    const file = `${r.scenario}-${c.name}.svg`;
    writeFileSync(join(dir, file), c.svg);
    return { title: c.title, file };
  });
  const md = join(dir, `${r.scenario}.md`);
  writeFileSync(md, scenarioMarkdown(r, files));
  return md;
}
