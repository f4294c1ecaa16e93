import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TelemetryEvent } from '../events/types.js';
import { replay } from '../replay/replay.js';
import { asteriskQueueLogDecoder } from './asterisk-queue-log.js';

/*
 * One fixture per generation of the queue_log format (fixtures/generations/README.md says where each layout
 * comes from). Each must decode without a single failure, its non-queue lines ignored, and give the figures
 * worked out by hand below (T = 20 s, short abandon < 5 s; waits are the lines' own hold/wait times).
 */
const now = 1_718_100_000_000;
const ctx = { tenant: 'acme', now };
const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/generations/${name}`, import.meta.url), 'utf8')
    .trimEnd()
    .split('\n');
const bodies = (line: string) =>
  asteriskQueueLogDecoder.decode(line, ctx).map((i) => {
    if (i.ok !== true) throw new Error(`expected events from ${line}, got ${JSON.stringify(i)}`);
    const e: TelemetryEvent = i.event;
    return { source: e.source, ts: e.ts, body: e.body };
  });

const FIGURES = ['offered', 'answered', 'abandoned', 'shortAbandons', 'timedOut', 'exitedWithKey', 'exitedEmpty', 'transferred'] as const;

async function figuresOf(name: string) {
  const r = await replay(fixture(name), { format: 'asterisk-queue-log', tenant: 'acme', now });
  expect(r.errors).toEqual([]);
  expect(r.queues).toHaveLength(1);
  const q = r.queues[0]!;
  return {
    queue: q.queue,
    ...Object.fromEntries(FIGURES.map((f) => [f, q[f]])),
    asaSec: q.asaSec,
    avgTalkSec: q.avgTalkSec,
    maxWaitSec: q.maxWaitSec,
    serviceLevel: q.serviceLevel,
    ignored: r.ignored,
    ignoredByReason: r.ignoredByReason,
  };
}

describe('Asterisk 1.2 queue_log', () => {
  it('CONNECT with the hold time alone is ANSWERED, the member busy from then (no ring time in this generation)', () => {
    expect(bodies('1150000022|1150000010.3|support|Agent/1001|CONNECT|12')).toEqual([
      {
        source: 'skillgroup',
        ts: 1_150_000_022_000,
        body: { skillGroup: 'support', callId: '1150000010.3', type: 'ANSWERED', waitMs: 12_000, agentId: 'Agent/1001' },
      },
      { source: 'extension', ts: 1_150_000_022_000, body: { extension: 'Agent/1001', state: 'BUSY', callId: '1150000010.3' } },
    ]);
  });

  it('EXITWITHTIMEOUT with the position alone and EXITWITHKEY with key and position leave the queue, wait unknown', () => {
    expect(bodies('1150000100|1150000040.6|support|NONE|EXITWITHTIMEOUT|1')[0]?.body).toEqual({
      skillGroup: 'support',
      callId: '1150000040.6',
      type: 'OVERFLOWED',
      reason: 'timeout',
    });
    expect(bodies('1150000058|1150000050.7|support|NONE|EXITWITHKEY|5|2')[0]?.body).toEqual({
      skillGroup: 'support',
      callId: '1150000050.7',
      type: 'OVERFLOWED',
      reason: 'key',
    });
  });

  it('TRANSFER with extension and context alone is TRANSFERRED without times, and the member is idle again', () => {
    expect(bodies('1150000095|1150000030.5|support|Agent/1002|TRANSFER|2000|from-internal')).toEqual([
      {
        source: 'skillgroup',
        ts: 1_150_000_095_000,
        body: { skillGroup: 'support', callId: '1150000030.5', type: 'TRANSFERRED', agentId: 'Agent/1002' },
      },
      { source: 'extension', ts: 1_150_000_095_000, body: { extension: 'Agent/1002', state: 'IDLE', callId: '1150000030.5' } },
    ]);
  });

  it("chan_agent's callback agents log in and off", () => {
    expect(bodies('1150000002|1150000002.2|NONE|Agent/1002|AGENTCALLBACKLOGIN|102@from-internal')[0]?.body).toEqual({
      agentId: 'Agent/1002',
      state: 'AVAILABLE',
    });
    expect(bodies('1150000501|1150000002.2|NONE|Agent/1002|AGENTCALLBACKLOGOFF|102@from-internal|499|Autologoff')[0]?.body).toEqual({
      agentId: 'Agent/1002',
      state: 'LOGGED_OUT',
    });
  });

  /*
   * support — 7 entered: .3 (10), .4 (20), .5 (30), .6 (40), .7 (50), .8 (200), .9 (300)
   *   .3 answered (hold 12), COMPLETECALLER talk 120    .4 abandoned (wait 4: short, within T)
   *   .5 answered (hold 5), TRANSFER without times       .6 EXITWITHTIMEOUT (no wait)   .7 EXITWITHKEY (no wait)
   *   .8 answered (hold 3), COMPLETEAGENT talk 60         .9 EXITEMPTY (wait 2)
   *   ASA (12 + 5 + 3)/3 = 6.667 s; talk (120 + 0 + 60)/3 handled = 60 s (the 1.2 transfer carries no talk time);
   *   longest wait max(12, 4, 5, 3, 2) = 12 s; SL: 3 answered within T, 1 abandoned within T (short)
   *     3/3 = 1 · 3/4 = 0.75 · 4/4 = 1 · 3/(4 − 1) = 1
   *   ignored: QUEUESTART, AGENTDUMP, SYSCOMPAT, PAUSEALL, UNPAUSEALL
   */
  it('the whole file: every line read, the hand-checked figures', async () => {
    expect(await figuresOf('asterisk-1.2.queue_log')).toEqual({
      queue: 'support',
      offered: 7,
      answered: 3,
      abandoned: 1,
      shortAbandons: 1,
      timedOut: 1,
      exitedWithKey: 1,
      exitedEmpty: 1,
      transferred: 1,
      asaSec: 6.667,
      avgTalkSec: 60,
      maxWaitSec: 12,
      serviceLevel: { answered: 1, answeredAndAbandoned: 0.75, abandonsWithinGood: 1, shortAbandonsExcluded: 1 },
      ignored: 5,
      ignoredByReason: {
        'QUEUESTART is informational': 1,
        'AGENTDUMP is informational': 1,
        'SYSCOMPAT is informational': 1,
        'PAUSEALL is informational': 1,
        'UNPAUSEALL is informational': 1,
      },
    });
  });
});

describe('Asterisk 1.4 queue_log', () => {
  it('CONNECT with hold time and bridged channel is ANSWERED (the 2010 log that lost every answered call)', () => {
    expect(bodies('1270000031|1270000010.1|sales|SIP/201|CONNECT|21|1270000026.2')).toEqual([
      {
        source: 'skillgroup',
        ts: 1_270_000_031_000,
        body: { skillGroup: 'sales', callId: '1270000010.1', type: 'ANSWERED', waitMs: 21_000, agentId: 'SIP/201' },
      },
      { source: 'extension', ts: 1_270_000_031_000, body: { extension: 'SIP/201', state: 'BUSY', callId: '1270000010.1' } },
    ]);
  });

  it('TRANSFER with hold and call time (no original position yet) is TRANSFERRED with both', () => {
    expect(bodies('1270000108|1270000040.3|sales|SIP/202|TRANSFER|3000|from-internal|8|60')[0]?.body).toEqual({
      skillGroup: 'sales',
      callId: '1270000040.3',
      type: 'TRANSFERRED',
      waitMs: 8_000,
      talkMs: 60_000,
      agentId: 'SIP/202',
    });
  });

  /*
   * sales — 5 entered: .1 (10), .3 (40), .5 (50), .6 (60), .7 (70)
   *   .1 rang SIP/202 15 s unanswered, answered by SIP/201 (hold 21), COMPLETEAGENT talk 180
   *   .3 answered (hold 8), TRANSFER talk 60     .5 EXITWITHTIMEOUT (no wait)    .6 EXITWITHKEY (no wait)
   *   .7 abandoned (wait 30)
   *   ASA (21 + 8)/2 = 14.5 s; talk (180 + 60)/2 = 120 s; longest wait max(21, 8, 30) = 30 s
   *   SL: 1 answered within T (8), none abandoned within T: 1/2 = 0.5 · 1/3 · 1/3 · 1/(3 − 0) = 0.3333
   */
  it('the whole file: every line read, the hand-checked figures', async () => {
    expect(await figuresOf('asterisk-1.4.queue_log')).toEqual({
      queue: 'sales',
      offered: 5,
      answered: 2,
      abandoned: 1,
      shortAbandons: 0,
      timedOut: 1,
      exitedWithKey: 1,
      exitedEmpty: 0,
      transferred: 1,
      asaSec: 14.5,
      avgTalkSec: 120,
      maxWaitSec: 30,
      serviceLevel: { answered: 0.5, answeredAndAbandoned: 0.3333, abandonsWithinGood: 0.3333, shortAbandonsExcluded: 0.3333 },
      ignored: 2,
      ignoredByReason: { 'QUEUESTART is informational': 1, 'CONFIGRELOAD is informational': 1 },
    });
  });
});

describe('Asterisk 1.6–11 queue_log', () => {
  it('EXITWITHKEY with four fields and EXITWITHTIMEOUT with three carry the wait', () => {
    expect(bodies('1400000052|1400000040.5|billing|NONE|EXITWITHKEY|1|1|1|12')[0]?.body).toMatchObject({ reason: 'key', waitMs: 12_000 });
    expect(bodies('1400000110|1400000050.6|billing|NONE|EXITWITHTIMEOUT|1|2|60')[0]?.body).toMatchObject({
      reason: 'timeout',
      waitMs: 60_000,
    });
  });

  it('TRANSFER with the original position is TRANSFERRED with hold and call time', () => {
    expect(bodies('1400000098|1400000030.2|billing|SIP/302|TRANSFER|4000|from-internal|8|60|2')[0]?.body).toMatchObject({
      type: 'TRANSFERRED',
      waitMs: 8_000,
      talkMs: 60_000,
    });
  });

  /*
   * billing — 5 entered: .1 (10), .2 (30), .5 (40), .6 (50), .7 (60)
   *   .1 answered (hold 21, rang 4 s), COMPLETECALLER talk 120     .2 answered (hold 8), TRANSFER talk 60
   *   .5 EXITWITHKEY (wait 12)   .7 EXITWITHTIMEOUT (wait 15)   .6 EXITWITHTIMEOUT (wait 60)
   *   ASA 14.5 s; talk (120 + 60)/2 = 90 s; longest wait 60 s; SL 1 of 2 answered within T, no abandons: 0.5 in all four
   */
  it('the whole file: every line read, the hand-checked figures', async () => {
    expect(await figuresOf('asterisk-1.8.queue_log')).toEqual({
      queue: 'billing',
      offered: 5,
      answered: 2,
      abandoned: 0,
      shortAbandons: 0,
      timedOut: 2,
      exitedWithKey: 1,
      exitedEmpty: 0,
      transferred: 1,
      asaSec: 14.5,
      avgTalkSec: 90,
      maxWaitSec: 60,
      serviceLevel: { answered: 0.5, answeredAndAbandoned: 0.5, abandonsWithinGood: 0.5, shortAbandonsExcluded: 0.5 },
      ignored: 3,
      ignoredByReason: { 'QUEUESTART is informational': 1, 'PENALTY is informational': 1, 'RINGINUSE is informational': 1 },
    });
  });
});

describe('Asterisk 12 to today queue_log', () => {
  it('ENTERQUEUE with the caller id name (log_cidname) is OFFERED', () => {
    expect(bodies('1528000010|1528000010.3|support|NONE|ENTERQUEUE||5554001|1|Jane Doe')[0]?.body).toEqual({
      skillGroup: 'support',
      callId: '1528000010.3',
      type: 'OFFERED',
    });
  });

  it('a line from a database export (trailing empty data fields) is read in its own form', () => {
    expect(bodies('1528000118|1528000110.12|support|NONE|EXITWITHTIMEOUT|2|2|8||')[0]?.body).toMatchObject({
      reason: 'timeout',
      waitMs: 8_000,
    });
    expect(bodies('1150000100|1150000040.6|support|NONE|EXITWITHTIMEOUT|1||||')[0]?.body).toEqual({
      skillGroup: 'support',
      callId: '1150000040.6',
      type: 'OVERFLOWED',
      reason: 'timeout',
    });
    expect(bodies('1270000031|1270000010.1|sales|SIP/201|CONNECT|21|1270000026.2|||')[0]?.body).toMatchObject({ waitMs: 21_000 });
  });

  /*
   * support — 8 entered: .3 (10), .5 (30), .7 (40), .8 (50), .10 (100), .12 (110), .16 (120), .13 (170)
   *   .3 answered (hold 10) after PJSIP/402 rang 5 s, BLINDTRANSFER talk 60
   *   .5 answered (hold 4), ATTENDEDTRANSFER BRIDGE talk 60      .7 abandoned (wait 3: short, within T)
   *   .8 WITHDRAW (wait 9)      .10 answered (hold 6), ATTENDEDTRANSFER LINK talk 60
   *   .12 EXITWITHTIMEOUT from a database export (wait 8)     .16 answered (hold 5), ATTENDEDTRANSFER APP talk 30
   *   .13 EXITEMPTY (wait 2)
   *   ASA (10 + 4 + 6 + 5)/4 = 6.25 s; talk (60 + 60 + 60 + 30)/4 = 52.5 s; longest wait 10 s
   *   SL: 4 answered within T, 1 abandoned within T (short): 4/4 = 1 · 4/5 = 0.8 · 5/5 = 1 · 4/(5 − 1) = 1
   *   ignored: QUEUESTART, and the dialplan's OUTBOUND and OUTCALLERID; OUTCALL
   */
  it('the whole file: every line read, the hand-checked figures', async () => {
    expect(await figuresOf('asterisk-13.queue_log')).toEqual({
      queue: 'support',
      offered: 8,
      answered: 4,
      abandoned: 1,
      shortAbandons: 1,
      timedOut: 1,
      exitedWithKey: 0,
      exitedEmpty: 1,
      transferred: 4,
      asaSec: 6.25,
      avgTalkSec: 52.5,
      maxWaitSec: 10,
      serviceLevel: { answered: 1, answeredAndAbandoned: 0.8, abandonsWithinGood: 1, shortAbandonsExcluded: 1 },
      ignored: 4,
      ignoredByReason: {
        'QUEUESTART is informational': 1,
        'OUTBOUND is not a queue event': 1,
        'OUTCALLERID is not a queue event': 1,
        'OUTCALL is informational': 1,
      },
    });
  });
});

describe('every generation', () => {
  it.each([
    ['asterisk-1.2.queue_log', 28],
    ['asterisk-1.4.queue_log', 20],
    ['asterisk-1.8.queue_log', 20],
    ['asterisk-13.queue_log', 32],
  ])('%s: each of its %i lines decodes to events or is ignored, none fails', (name, count) => {
    const lines = fixture(name);
    expect(lines).toHaveLength(count);
    const failures = lines.flatMap((l, i) => asteriskQueueLogDecoder.decode(l, { ...ctx, lineNo: i + 1 }).filter((d) => d.ok === false));
    expect(failures).toEqual([]);
  });
});
