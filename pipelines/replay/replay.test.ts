import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { replay, type ReplayError } from './replay.js';

const fixture = new URL('../decoders/fixtures/queue_log', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('../decoders/fixtures/queue_log.expected.json', import.meta.url), 'utf8')) as {
  options: { format: string; tenant: string; serviceLevelSec: number; shortAbandonSec: number };
  queues: unknown[];
  errors: ReplayError[];
};
const now = 1_718_100_000_000;

/*
 * Hand check of fixtures/queue_log (53 lines; T = 20 s, short abandon < 5 s). Waits are end − ENTERQUEUE.
 *
 * sales — 6 entered: A .1 (10), B .2 (20), C .4 (40), D .6 (50), E .7 (60), F .8 (70)
 *   A answered at 37 (wait 27, rang PJSIP/102 15 000 ms first), COMPLETECALLER talk 120
 *   B abandoned at 23 (wait 3: short, within T)     C answered at 48 (wait 8), BLINDTRANSFER talk 60
 *   D EXITWITHTIMEOUT at 110 (wait 60)              E EXITWITHKEY at 75 (wait 15)
 *   F abandoned at 95 (wait 25)
 *   offered 6, answered 2, abandoned 2 (1 short), timedOut 1, key 1, transferred 1
 *   ASA (27 + 8)/2 = 17.5 s; mean talk (120 + 60)/2 = 90 s; longest wait max(27, 8, 3, 60, 15, 25) = 60 s
 *   SL: answered within T = 1 (C), abandoned within T = 1 (B)
 *     1/2 = 0.5 · 1/(2+2) = 0.25 · (1+1)/4 = 0.5 · 1/(4−1) = 0.3333
 *
 * support — 5 entered: G .9 (100), H .11 (110), I .12 (120), J .13 (130), K .14 (300)
 *   G answered at 105 (wait 5), COMPLETEAGENT talk 180      H abandoned at 150 (wait 40)
 *   I abandoned at 124 (wait 4: short, within T) after PJSIP/203 rang 4 000 ms
 *   J's CONNECT (line 33) is truncated (no data field): not counted as answered; its COMPLETECALLER (talk 60) still
 *     counts as handled, since a COMPLETE line says the call was answered
 *   K EXITEMPTY at 302 (wait 2)
 *   offered 5, answered 1, abandoned 2 (1 short), exitedEmpty 1
 *   ASA 5 s; mean talk (180 + 60)/2 = 120 s; longest wait max(5, 40, 4, 2) = 40 s
 *   SL: answered within T = 1 (G), abandoned within T = 1 (I)
 *     1/1 = 1 · 1/(1+2) = 0.3333 · (1+1)/3 = 0.6667 · 1/(3−1) = 0.5
 *
 * billing — 2 entered: L .15 (400), M .17 (410); line 49's ENTERQUEUE is garbled (epoch 17180004!0)
 *   L answered at 420 (wait 20 = T: within), ATTENDEDTRANSFER talk 80     M EXITWITHTIMEOUT at 455 (wait 45)
 *   offered 2, answered 1, timedOut 1, transferred 1; ASA 20 s; mean talk 80 s; longest wait 45 s; SL 1 in all four
 *
 * Bad lines: 33 truncated CONNECT, 49 garbled epoch. Ignored: 48 CALLBACKREQUEST (a dialplan's own line), and the
 * informational QUEUESTART, PENALTY, CONFIGRELOAD, RINGINUSE (lines 1, 8, 38, 51). Line 25
 * (BLINDTRANSFER at 108) precedes line 26 (CONNECT at 105): figures do not depend on file order.
 */
describe('replay of the Asterisk fixture', () => {
  it('gives exactly the hand-checked figures and reports the bad lines by number', async () => {
    const lines = createInterface({ input: createReadStream(fixture), crlfDelay: Number.POSITIVE_INFINITY });
    const seen: ReplayError[] = [];
    const r = await replay(lines, { ...expected.options, now, onError: (e) => seen.push(e) });
    expect(r.queues).toEqual(expected.queues);
    expect(r.errors).toEqual(expected.errors);
    expect(seen).toEqual(expected.errors);
    expect(r.errorCount).toBe(2);
    expect(r.lines).toBe(53);
    expect(r.duplicates).toBe(0);
    expect(r.ignored).toBe(5);
    expect(r.ignoredByReason).toEqual({
      'QUEUESTART is informational': 1,
      'PENALTY is informational': 1,
      'CONFIGRELOAD is informational': 1,
      'CALLBACKREQUEST is not a queue event': 1,
      'RINGINUSE is informational': 1,
    });
  });

  it('gives the same figures with the lines in reverse order (event time, not file order)', async () => {
    const text = readFileSync(fixture, 'utf8').trimEnd().split('\n').reverse();
    const r = await replay(text, { ...expected.options, now, reorderHorizonMs: 10 * 60_000 });
    expect(r.queues).toEqual(expected.queues);
  });

  it('counts a repeated line once', async () => {
    const text = readFileSync(fixture, 'utf8').trimEnd().split('\n');
    const r = await replay([...text.slice(0, 12), text[11]!, ...text.slice(12)], { ...expected.options, now });
    expect(r.duplicates).toBe(1);
    expect(r.queues).toEqual(expected.queues);
  });
});

describe('replay', () => {
  const opts = { format: 'asterisk-queue-log', tenant: 'acme', now };

  it('reads lazily: a bad line is reported before the next line is read', async () => {
    let reported = 0;
    async function* lines() {
      yield 'garbage';
      if (reported !== 1) throw new Error('read ahead before reporting line 1');
      yield '1718000010|1718000010.1|sales|NONE|ENTERQUEUE||5551001|1';
    }
    const r = await replay(lines(), { ...opts, onError: () => reported++ });
    expect(r.queues.map((q) => [q.queue, q.offered])).toEqual([['sales', 1]]);
  });

  it('keeps at most maxErrors errors but counts them all; blank lines are no errors', async () => {
    const r = await replay(['x', '', 'y', '   ', 'z'], { ...opts, maxErrors: 2 });
    expect(r.errors.map((e) => e.line)).toEqual([1, 3]);
    expect(r.errorCount).toBe(3);
    expect(r.lines).toBe(5);
    expect(r.queues).toEqual([]);
  });

  it('replays the json format too, each event under its own tenant', async () => {
    const e = (tenant: string, id: string, type: string, extra = {}) =>
      JSON.stringify({
        v: 1,
        tenant,
        source: 'skillgroup',
        id,
        ts: now - 60_000,
        body: { skillGroup: 'sales', callId: id, type, ...extra },
      });
    const r = await replay([e('a', '1', 'OFFERED'), e('a', '2', 'ANSWERED', { waitMs: 4_000 }), e('b', '3', 'OFFERED'), '{bad'], {
      ...opts,
      format: 'json',
    });
    expect(r.queues.map((q) => [q.tenant, q.queue, q.offered, q.answered, q.asaSec])).toEqual([
      ['a', 'sales', 1, 1, 4],
      ['b', 'sales', 1, 0, null],
    ]);
    expect(r.errors).toMatchObject([{ line: 4, code: 'malformed' }]);
  });

  it('refuses invalid options, naming the option', async () => {
    await expect(replay([], { ...opts, format: 'avaya' })).rejects.toThrow("format must be one of asterisk-queue-log, json, got 'avaya'");
    await expect(replay([], { ...opts, tenant: 'Acme Corp' })).rejects.toThrow(/^tenant must be/);
    await expect(replay([], { ...opts, serviceLevelSec: -5 })).rejects.toThrow(
      'serviceLevelSec must be a whole number of seconds ≥ 0, got -5',
    );
  });
});
