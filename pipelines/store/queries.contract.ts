import { expect, it } from 'vitest';
import type { IntervalReportRow } from '../interval/rows.js';
import type { MinuteRow } from '../skillgroup/rows.js';
import type { TelemetryStore } from './types.js';
import { agentWindowRow, extensionWindowRow, minuteRow } from '../testing/rows.js';

// Recent, 30-minute aligned: raw rows older than their table's TTL are dropped at insert.
const T = Math.floor(Date.now() / 1_800_000) * 1_800_000 - 6 * 3_600_000;
const M = 60_000;
const sg = (tenant: string, skillGroup: string, min: number, over: Partial<MinuteRow> = {}) =>
  minuteRow({ tenant, skillGroup, windowStart: T + min * M, final: true, ...over });
const report = (
  key: string,
  start: number,
  intervalSec: number,
  counters: Record<string, number>,
  version = T + 3_600_000,
  scope: 'skillgroup' | 'agent' = 'skillgroup',
  tenant = 'rep',
): IntervalReportRow => ({
  tenant,
  scope,
  key,
  intervalStart: start,
  intervalSec,
  version,
  counters,
  eventId: `r-${key}-${start}-${version}`,
});

/**
 * Contract of the {@link TelemetryQueries} the routes read: agent and extension windows, vendor interval
 * reports, and the interval reports computed from stored rows (written through the writer). `store` is
 * read when each test runs.
 */
export function telemetryQueriesContract(store: () => TelemetryStore): void {
  it('keeps the highest version of each agent and extension window, per window size, and filters by entity', async () => {
    const a = (over: Parameters<typeof agentWindowRow>[0]) => agentWindowRow(over);
    await store().upsertAgentWindows(
      [
        a({
          tenant: 'w',
          agentId: 'a1',
          windowStart: T,
          version: 4,
          ms: { AUX: 45_000 },
          auxMsByReason: { 'lunch break': 45_000 },
          entries: { AUX: 1 },
        }),
      ],
      'aw1',
    );
    await store().upsertAgentWindows([a({ tenant: 'w', agentId: 'a1', windowStart: T, version: 2, ms: { AUX: 1 } })], 'aw2');
    await store().upsertAgentWindows([a({ tenant: 'w', agentId: 'a1', windowStart: T, version: 2, ms: { AUX: 1 } })], 'aw2');
    await store().upsertAgentWindows(
      [
        a({ tenant: 'w', agentId: 'a0', windowStart: T + M, version: 1, final: true, ms: { ON_CALL: 60_000 } }),
        a({ tenant: 'w', agentId: 'a1', windowStart: T, windowSec: 900, version: 9, ms: { AVAILABLE: 900_000 } }),
      ],
      'aw3',
    );
    expect(await store().agentWindows({ tenant: 'w', from: T, to: T + 2 * M })).toEqual([
      a({ tenant: 'w', agentId: 'a0', windowStart: T + M, version: 1, final: true, ms: { ON_CALL: 60_000 } }),
      a({
        tenant: 'w',
        agentId: 'a1',
        windowStart: T,
        version: 4,
        ms: { AUX: 45_000 },
        auxMsByReason: { 'lunch break': 45_000 },
        entries: { AUX: 1 },
      }),
    ]);
    expect(await store().agentWindows({ tenant: 'w', from: T, to: T + M, windowSec: 900, agentId: 'a1' })).toEqual([
      a({ tenant: 'w', agentId: 'a1', windowStart: T, windowSec: 900, version: 9, ms: { AVAILABLE: 900_000 } }),
    ]);
    expect(await store().agentWindows({ tenant: "w' OR 1=1 --", from: 0, to: T * 2 })).toEqual([]);
    // A large version (an epoch × 2^21 + …, or an older Sluice's seal at 2^52 − offset) survives the round trip through UInt64 exactly.
    const x = extensionWindowRow({
      tenant: 'w',
      extension: '2001',
      windowStart: T,
      version: 2 ** 52 - 3,
      final: true,
      ms: { BUSY: 20_000, IDLE: 40_000 },
      entries: { BUSY: 1 },
    });
    await store().upsertExtensionWindows([x, { ...x, extension: '2002', version: 1 }], 'xw1');
    await store().upsertExtensionWindows([{ ...x, version: 2 ** 52 - 4, ms: { ...x.ms, BUSY: 1 } }], 'xw2');
    expect(await store().extensionWindows({ tenant: 'w', from: T, to: T + M, extension: '2001' })).toEqual([x]);
    expect((await store().extensionWindows({ tenant: 'w', from: T, to: T + M })).map((r) => r.extension)).toEqual(['2001', '2002']);
  });

  it('stores vendor interval reports as received; a resent report replaces, an older one does not', async () => {
    await store().upsertIntervalReports([report('sales', T, 900, { offered: 99, talkSec: 1.5 }, T + 1_000)], 'ir1');
    await store().upsertIntervalReports(
      [
        report('sales', T, 900, {
          offered: 6,
          answered: 4,
          abandoned: 2,
          answeredWithinSl: 3,
          talkSec: 320,
          holdSec: 10,
          acwSec: 28,
          customKpi: 0.25,
        }),
      ],
      'ir2',
    );
    await store().upsertIntervalReports([report('sales', T, 900, { offered: 1 }, T + 2_000)], 'ir3');
    await store().upsertIntervalReports(
      [
        report('sales', T, 1800, { offered: 5, answered: 4, abandoned: 1, talkSec: 320.5 }),
        report('care', T + 15 * M, 900, { offered: 2, answered: 2 }),
        report('a1', T, 900, { offered: 3 }, T, 'agent'),
      ],
      'ir4',
    );
    const rows = await store().intervalReports({ tenant: 'rep', from: T, to: T + 30 * M, scope: 'skillgroup' });
    expect(rows.map((r) => `${r.key}:${(r.intervalStart - T) / M}:${r.intervalSec}`)).toEqual([
      'care:15:900',
      'sales:0:900',
      'sales:0:1800',
    ]);
    expect(rows[1]).toEqual(
      report('sales', T, 900, {
        offered: 6,
        answered: 4,
        abandoned: 2,
        answeredWithinSl: 3,
        talkSec: 320,
        holdSec: 10,
        acwSec: 28,
        customKpi: 0.25,
      }),
    );
    expect(await store().intervalReports({ tenant: 'rep', from: T, to: T + M, scope: 'agent', key: 'a1' })).toHaveLength(1);
    expect(await store().intervalReports({ tenant: 'rep', from: T + M, to: T + 15 * M })).toEqual([]);
  });

  it("sums the latest minute rows into 15- and 30-minute skill-group intervals with every formula's figures", async () => {
    await store().upsertMinutes([sg('ivl', 'sales', 14, { version: 1, offered: 7 })], 'iv0');
    await store().upsertMinutes(
      [
        sg('ivl', 'sales', 0, {
          version: 3,
          offered: 2,
          answered: 2,
          answeredWithinSl: 1,
          answerWaitMs: 30_000,
          handled: 1,
          talkMs: 100_000,
          holdMs: 20_000,
          acwMs: 30_000,
          maxWaitMs: 25_000,
        }),
        sg('ivl', 'sales', 14, {
          version: 5,
          offered: 2,
          answered: 1,
          answeredWithinSl: 1,
          answerWaitMs: 6_000,
          abandoned: 1,
          handled: 1,
          talkMs: 50_000,
          maxWaitMs: 40_000,
        }),
        sg('ivl', 'sales', 15, { version: 3, offered: 4, answered: 4, answeredWithinSl: 4, answerWaitMs: 8_000, maxWaitMs: 3_000 }),
        sg('ivl', 'care', 1, { version: 3, offered: 1 }),
      ],
      'iv1',
    );
    const q15 = await store().skillGroupIntervals({ tenant: 'ivl', from: T, to: T + 30 * M, intervalMinutes: 15 });
    expect(q15.map((r) => `${r.skillGroup}:${(r.intervalStart - T) / M}:${r.minutes}`)).toEqual(['care:0:1', 'sales:0:2', 'sales:15:1']);
    expect(q15[1]).toMatchObject({
      intervalSec: 900,
      sums: {
        offered: 4,
        answered: 3,
        answeredWithinSl: 2,
        answerWaitMs: 36_000,
        abandoned: 1,
        handled: 2,
        talkMs: 150_000,
        holdMs: 20_000,
        acwMs: 30_000,
        maxWaitMs: 40_000,
        serviceLevelMs: 20_000,
      },
      serviceLevel: { answered: 2 / 3, answeredAndAbandoned: 0.5, abandonsWithinGood: 0.5, shortAbandonsExcluded: 0.5 },
      asaMs: 12_000,
      ahtMs: 100_000,
      avgTalkMs: 75_000,
      abandonRate: { offered: 0.25, queued: 0.25 },
      longestWaitMs: 40_000,
      transferRate: 0,
      overflowRate: 0,
    });
    expect(q15[2]).toMatchObject({ asaMs: 2_000, ahtMs: null, serviceLevel: { answered: 1 } });
    const q30 = await store().skillGroupIntervals({ tenant: 'ivl', from: T, to: T + 30 * M, intervalMinutes: 30, skillGroup: 'sales' });
    expect(q30).toHaveLength(1);
    expect(q30[0]).toMatchObject({ intervalSec: 1800, minutes: 3, sums: { offered: 8, answered: 7 } });
    expect(
      (await store().skillGroupIntervals({ tenant: 'ivl', from: T + 1, to: T + 30 * M, intervalMinutes: 15 })).map((r) => r.intervalStart),
    ).toEqual([T + 15 * M]);
  });

  it('sums agent minute rows into intervals with occupancy and utilisation, ignoring stored interval rows', async () => {
    const a = (min: number, over: Partial<Parameters<typeof agentWindowRow>[0]>) =>
      agentWindowRow({ tenant: 'agt', agentId: 'a1', windowStart: T + min * M, version: 3, final: true, ...over });
    await store().upsertAgentWindows([a(1, { version: 1, ms: { AUX: 99 } })], 'ai0');
    await store().upsertAgentWindows(
      [
        a(0, { ms: { AVAILABLE: 30_000, ON_CALL: 30_000 }, entries: { AVAILABLE: 1, ON_CALL: 1 } }),
        a(1, { ms: { ON_CALL: 20_000, ACW: 10_000, AUX: 30_000 }, entries: { ACW: 1, AUX: 1 }, auxMsByReason: { break: 30_000 } }),
        a(16, { ms: { AUX: 60_000 }, auxMsByReason: { lunch: 60_000 } }),
        a(0, { windowSec: 900, ms: { AVAILABLE: 900_000 } }),
      ],
      'ai1',
    );
    const q15 = await store().agentIntervals({ tenant: 'agt', from: T, to: T + 30 * M, intervalMinutes: 15 });
    expect(q15).toHaveLength(2);
    expect(q15[0]).toMatchObject({
      agentId: 'a1',
      intervalStart: T,
      intervalSec: 900,
      minutes: 2,
      stateSec: { LOGGED_OUT: 0, AVAILABLE: 30, RINGING: 0, ON_CALL: 50, HOLD: 0, ACW: 10, AUX: 30 },
      auxSecByReason: { break: 30 },
      callsHandled: 1,
      staffedSec: 120,
      handleSec: 60,
      occupancy: 60 / 90,
      utilisation: 0.5,
    });
    expect(q15[1]).toMatchObject({ intervalStart: T + 15 * M, auxSecByReason: { lunch: 60 }, occupancy: null, utilisation: 0 });
    const q30 = await store().agentIntervals({ tenant: 'agt', from: T, to: T + 30 * M, intervalMinutes: 30, agentId: 'a1' });
    expect(q30).toHaveLength(1);
    expect(q30[0]).toMatchObject({ minutes: 3, auxSecByReason: { break: 30, lunch: 60 }, stateSec: { AUX: 90 } });
    expect(await store().agentIntervals({ tenant: 'agt', from: T, to: T + 30 * M, intervalMinutes: 15, agentId: 'nobody' })).toEqual([]);
  });

  it('reconciles vendor skill-group intervals with Sluice minute sums, per interval length, showing each difference', async () => {
    const r = (key: string, start: number, sec: number, counters: Record<string, number>, scope: 'skillgroup' | 'agent' = 'skillgroup') =>
      report(key, start, sec, counters, T + 3_600_000, scope, 'recon');
    await store().upsertIntervalReports(
      [
        r('sales', T, 900, { offered: 6, answered: 4, abandoned: 2, answeredWithinSl: 3, talkSec: 320, holdSec: 10, acwSec: 28 }),
        r('sales', T, 1800, { offered: 5, answered: 4, abandoned: 1, talkSec: 320.5 }),
        r('care', T + 15 * M, 900, { offered: 2, answered: 2 }),
        r('a1', T, 900, { offered: 3 }, 'agent'),
      ],
      'rc-reports',
    );
    await store().upsertMinutes([sg('recon', 'sales', 5, { version: 1, offered: 9 })], 'rc0');
    await store().upsertMinutes(
      [
        sg('recon', 'sales', 0, {
          version: 3,
          offered: 3,
          answered: 2,
          answeredWithinSl: 2,
          answerWaitMs: 10_000,
          abandoned: 1,
          abandonedWithinSl: 1,
          shortAbandons: 1,
          handled: 1,
          talkMs: 120_500,
          holdMs: 10_000,
          acwMs: 30_000,
        }),
        sg('recon', 'sales', 5, {
          version: 3,
          offered: 2,
          answered: 2,
          answeredWithinSl: 1,
          answerWaitMs: 40_000,
          handled: 2,
          talkMs: 200_000,
        }),
        sg('recon', 'sales', 20, { version: 1, offered: 1, abandoned: 1 }),
      ],
      'rc1',
    );
    const rows = await store().reconcileIntervals({ tenant: 'recon', from: T, to: T + 30 * M });
    expect(rows.map((r) => `${r.skillGroup}:${(r.intervalStart - T) / M}:${r.intervalSec}`)).toEqual([
      'care:15:900',
      'sales:0:900',
      'sales:0:1800',
    ]);
    const [care, sales15, sales30] = rows as [(typeof rows)[0], (typeof rows)[0], (typeof rows)[0]];
    expect(care).toMatchObject({
      sluiceMinutes: 0,
      vendor: { offered: 2, answered: 2, abandoned: null },
      difference: { offered: -2, answered: -2, abandoned: null },
      mismatched: ['offered', 'answered'],
    });
    expect(sales15).toEqual({
      tenant: 'recon',
      skillGroup: 'sales',
      intervalStart: T,
      intervalSec: 900,
      sluiceMinutes: 2,
      serviceLevelMs: 20_000,
      vendor: {
        offered: 6,
        answered: 4,
        abandoned: 2,
        answeredWithinSl: 3,
        abandonedWithinSl: null,
        overflowed: null,
        handled: null,
        transferred: null,
        talkSec: 320,
        holdSec: 10,
        acwSec: 28,
      },
      sluice: {
        offered: 5,
        answered: 4,
        abandoned: 1,
        answeredWithinSl: 3,
        abandonedWithinSl: 1,
        overflowed: 0,
        handled: 3,
        transferred: 0,
        talkSec: 320.5,
        holdSec: 10,
        acwSec: 30,
      },
      difference: {
        offered: -1,
        answered: 0,
        abandoned: -1,
        answeredWithinSl: 0,
        abandonedWithinSl: null,
        overflowed: null,
        handled: null,
        transferred: null,
        talkSec: 0.5,
        holdSec: 0,
        acwSec: 2,
      },
      mismatched: ['offered', 'abandoned', 'acwSec'],
    });
    expect(sales30).toMatchObject({
      sluiceMinutes: 3,
      sluice: { offered: 6, abandoned: 2 },
      difference: { offered: 1, answered: 0, abandoned: 1, talkSec: 0 },
      mismatched: ['offered', 'abandoned'],
    });
    expect(
      (await store().reconcileIntervals({ tenant: 'recon', from: T, to: T + 30 * M, skillGroup: 'care' })).map((r) => r.skillGroup),
    ).toEqual(['care']);
    expect(await store().reconcileIntervals({ tenant: 'recon', from: T + M, to: T + 15 * M })).toEqual([]);
  });
}
