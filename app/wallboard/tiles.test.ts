import { describe, expect, it } from 'vitest';
import { describeServiceLevel, type ServiceLevelVariant } from '../../pipelines/metrics/formulas.js';

/** The page's own module (plain browser JavaScript, no types): its pure parts run in Node too. */
interface TilesModule {
  tones(g: object, t: object): { waiting: string; longest: string; sl: string };
  clockText(ms: number): string;
  humanReason(reason: string): string;
  serviceLevelDefinition(g: object): string | null;
}
const { tones, clockText, humanReason, serviceLevelDefinition } = (await import(
  new URL('./tiles.js', import.meta.url).href
)) as TilesModule;

const T = { slTarget: 0.8, waitingWarn: 3, waitingAlarm: 8, longestWarnMs: 20_000, longestAlarmMs: 60_000 };
const group = (callsWaiting: number, longestWaitMs: number, sl60: number | null, sl5: number | null = null) => ({
  callsWaiting,
  longestWaitMs,
  last60m: sl60 === null ? null : { serviceLevel: sl60 },
  last5m: sl5 === null ? null : { serviceLevel: sl5 },
});

describe('wallboard thresholds', () => {
  it('colours calls waiting and the longest wait at their thresholds (inclusive)', () => {
    expect(tones(group(2, 19_999, 0.9), T)).toMatchObject({ waiting: 'ok', longest: 'ok' });
    expect(tones(group(3, 20_000, 0.9), T)).toMatchObject({ waiting: 'warn', longest: 'warn' });
    expect(tones(group(8, 60_000, 0.9), T)).toMatchObject({ waiting: 'alarm', longest: 'alarm' });
  });

  it('colours the service level against the target: green at or above, amber within 10 points, red below; none without a figure', () => {
    expect(tones(group(0, 0, 0.8), T).sl).toBe('ok');
    expect(tones(group(0, 0, 0.7), T).sl).toBe('warn');
    expect(tones(group(0, 0, 0.69), T).sl).toBe('alarm');
    expect(tones(group(0, 0, 0.796), T).sl).toBe('ok'); // shown as 80%
    expect(tones(group(0, 0, null, 0.5), T).sl).toBe('alarm');
    expect(tones(group(0, 0, null), T).sl).toBe('none');
  });
});

describe("the tenant's service level on the tile", () => {
  const span = (serviceLevel: number, serviceLevelVariant: string, serviceLevelThresholdMs: number, serviceLevelObjective: number) => ({
    serviceLevel,
    serviceLevelVariant,
    serviceLevelThresholdMs,
    serviceLevelObjective,
  });
  const g = (last60m: object | null, last5m: object | null = null) => ({ callsWaiting: 0, longestWaitMs: 0, last60m, last5m });

  it('says which variant and threshold the figure is, in the words the server wrote into the figures', () => {
    const words = (variant: ServiceLevelVariant, ms: number) => ({
      ...span(0.9, variant, ms, 0.8),
      serviceLevelDefinition: describeServiceLevel(variant, ms),
    });
    expect(serviceLevelDefinition(g(words('answered', 17_000)))).toBe('answered within 17 s ÷ answered');
    // The last hour's figures when there are, else the last five minutes'.
    expect(serviceLevelDefinition(g(null, words('answeredAndAbandoned', 20_000)))).toBe('answered within 20 s ÷ (answered + abandoned)');
    expect(serviceLevelDefinition(g(words('answered', 17_000), words('answeredAndAbandoned', 20_000)))).toBe(
      'answered within 17 s ÷ answered',
    );
    expect(serviceLevelDefinition(g(null))).toBeNull();
  });

  it("judges it against the tenant's objective unless the URL sets slTarget", () => {
    const { slTarget: _, ...noTarget } = T;
    expect(tones(g(span(0.85, 'answered', 17_000, 0.9)), noTarget).sl).toBe('warn'); // 85 % against 90 %
    expect(tones(g(span(0.85, 'answered', 17_000, 0.8)), noTarget).sl).toBe('ok');
    expect(tones(g(span(0.85, 'answered', 17_000, 0.9)), T).sl).toBe('ok'); // slTarget=80 wins
    expect(tones(g(span(0.75, 'answered', 17_000, 0.9)), { ...noTarget, slTarget: undefined }).sl).toBe('alarm');
  });
});

describe('wallboard text', () => {
  it('writes waits as m:ss, and h:mm:ss from an hour', () => {
    expect(clockText(0)).toBe('0:00');
    expect(clockText(83_999)).toBe('1:23');
    expect(clockText(3_723_000)).toBe('1:02:03');
    expect(clockText(-5)).toBe('0:00');
  });

  it('writes the durations in level reasons as people say them', () => {
    expect(humanReason('pinned to L2 for 600000 ms: CTI maintenance')).toBe('pinned to L2 for 10 min: CTI maintenance');
    expect(humanReason('pressure 0.42 < 0.50 for 45000 ms')).toBe('pressure 0.42 < 0.50 for 45 s');
    expect(humanReason('held 250 ms, then 5400000 ms')).toBe('held 250 ms, then 1.5 h');
    expect(humanReason('initial')).toBe('no pressure since start');
  });
});
