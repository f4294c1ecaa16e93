/**
 * Charts of a scenario run as SVG, rendered by Apache ECharts on the server (its SSR mode
 * needs no DOM or browser): throughput, route latency percentiles, consumer lag, level over
 * time and diversions by channel. Phases are shaded on every chart.
 */
import * as echarts from 'echarts';
import { diverted } from './expect.js';
import type { ScenarioResult, TickSample } from './types.js';

/** One line or bar series: points are [tick, value]. */
interface Series {
  readonly name: string;
  readonly data: readonly (readonly [number, number])[];
  readonly kind?: 'line' | 'step' | 'bar';
  readonly stack?: string;
}

/** A chart: file name stem and its SVG. */
export interface Chart {
  readonly name: string;
  readonly title: string;
  readonly svg: string;
}

const PHASE_COLOURS = ['rgba(120,120,120,0.06)', 'rgba(220,80,60,0.10)', 'rgba(60,120,220,0.08)', 'rgba(60,180,90,0.08)'];

/** Renders one chart over scenario seconds as an SVG string. */
export function renderChart(
  title: string,
  yName: string,
  series: readonly Series[],
  phases: ScenarioResult['phases'],
  opts: { yMax?: number; integerY?: boolean } = {},
): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 760, height: 320 });
  const areas = Object.entries(phases).map(([name, [from, to]], i) => [
    { name, xAxis: from, itemStyle: { color: PHASE_COLOURS[i % PHASE_COLOURS.length] } },
    { xAxis: to },
  ]);
  chart.setOption({
    animation: false,
    backgroundColor: '#fff',
    title: { text: title, left: 10, top: 6, textStyle: { fontSize: 14 } },
    legend: { top: 30, left: 60 },
    grid: { left: 70, right: 20, top: 75, bottom: 45 },
    xAxis: {
      type: 'value',
      name: 'scenario time, s',
      nameLocation: 'middle',
      nameGap: 28,
      min: 0,
      max: Math.max(1, ...Object.values(phases).map(([, to]) => to)),
    },
    yAxis: { type: 'value', name: yName, max: opts.yMax, minInterval: opts.integerY ? 1 : undefined },
    series: series.map((s, i) => ({
      name: s.name,
      type: s.kind === 'bar' ? 'bar' : 'line',
      step: s.kind === 'step' ? 'end' : undefined,
      stack: s.stack,
      showSymbol: false,
      data: s.data.map(([x, y]) => [x, y]),
      ...(i === 0 ? { markArea: { silent: true, label: { fontSize: 10, color: '#666' }, data: areas } } : {}),
    })),
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

const pts = (samples: readonly TickSample[], f: (s: TickSample) => number) => samples.map((s) => [s.tick, f(s)] as const);

/** Sums `f` over buckets of `size` ticks, placed at the bucket's middle. */
function buckets(samples: readonly TickSample[], size: number, f: (s: TickSample) => number): [number, number][] {
  const out = new Map<number, number>();
  for (const s of samples) {
    const b = Math.floor((s.tick - 1) / size);
    out.set(b, (out.get(b) ?? 0) + f(s));
  }
  return [...out].map(([b, v]) => [b * size + size / 2, v]);
}

/** The five charts of a run. */
export function scenarioCharts(r: ScenarioResult): Chart[] {
  const s = r.samples;
  const size = Math.max(5, Math.ceil(s.length / 60));
  let prev = s[0]?.handled ?? 0;
  const handledPerTick = s.map((x) => {
    const d = x.handled - prev;
    prev = x.handled;
    return [x.tick, d] as const;
  });
  const tenants = Object.keys(s[0]?.levels ?? {});
  const channels = ['smart_ivr', 'chat', 'callback', 'keypad_ivr'];
  const nodes = [...new Set(s.flatMap((x) => Object.keys(x.targets).filter((k) => k.startsWith('agent:'))))].sort();
  return [
    {
      name: 'throughput',
      title: 'Throughput',
      svg: renderChart(
        'Throughput: events handled and calls routed per second',
        'per second',
        [
          { name: 'events handled', data: handledPerTick },
          { name: 'calls routed', data: pts(s, (x) => Object.values(x.targets).reduce((a, b) => a + b, 0)) },
        ],
        r.phases,
      ),
    },
    {
      name: 'latency',
      title: 'Route latency percentiles',
      svg: renderChart(
        'POST /v1/route latency (in process, wall time)',
        'µs',
        [
          {
            name: 'p50',
            data: pts(
              s.filter((x) => x.routeP50Us > 0),
              (x) => x.routeP50Us,
            ),
          },
          {
            name: 'p99',
            data: pts(
              s.filter((x) => x.routeP99Us > 0),
              (x) => x.routeP99Us,
            ),
          },
        ],
        r.phases,
      ),
    },
    {
      name: 'lag',
      title: 'Consumer lag',
      svg: renderChart(
        'Consumer lag (scenario time)',
        'ms',
        [
          { name: 'oldest unhandled event', data: pts(s, (x) => x.lagMs) },
          { name: "worker's own signal", data: pts(s, (x) => x.engineLagMs) },
        ],
        r.phases,
      ),
    },
    {
      name: 'level',
      title: 'Level over time',
      svg: renderChart(
        'Degradation level per tenant, and the highest skill group',
        'level',
        [
          ...tenants.map((t) => ({ name: t, kind: 'step' as const, data: pts(s, (x) => x.levels[t] ?? 0) })),
          { name: 'highest skill group', kind: 'step' as const, data: pts(s, (x) => x.groupLevel) },
          { name: 'pressure × 3', data: pts(s, (x) => Math.round(x.pressure * 300) / 100) },
        ],
        r.phases,
        { yMax: 3, integerY: true },
      ),
    },
    {
      name: 'routing',
      title: 'Diversions by channel',
      svg: renderChart(
        `Calls by target, per ${size} s (diverted: ${s.reduce((a, x) => a + diverted(x), 0)})`,
        'calls',
        [
          ...nodes.map((n) => ({
            name: n.replace('agent:', 'agents via '),
            kind: 'bar' as const,
            stack: 'calls',
            data: buckets(s, size, (x) => x.targets[n] ?? 0),
          })),
          ...channels.map((c) => ({ name: c, kind: 'bar' as const, stack: 'calls', data: buckets(s, size, (x) => x.targets[c] ?? 0) })),
        ],
        r.phases,
        { integerY: true },
      ),
    },
  ];
}
