import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateEvent } from '../events/schema.js';
import type { TelemetryEvent } from '../events/types.js';
import {
  ASTERISK_INFORMATIONAL_EVENTS,
  ASTERISK_KNOWN_EVENTS,
  asteriskQueueLogDecoder,
  createAsteriskQueueLogDecoder,
} from './asterisk-queue-log.js';
import type { DecodedItem, DecodeFailure } from './types.js';

const now = 1_718_100_000_000;
const ctx = { tenant: 'acme', now, lineNo: 7 };
const decode = (line: string) => asteriskQueueLogDecoder.decode(line, ctx);

function events(line: string): TelemetryEvent[] {
  const items = decode(line);
  const bad = items.find((i) => !i.ok);
  if (bad) throw new Error(`expected events, got ${JSON.stringify(bad)}`);
  return items.map((i) => (i as { event: TelemetryEvent }).event);
}
function failure(line: string): Omit<DecodeFailure, 'payload'> {
  const items = decode(line);
  expect(items).toHaveLength(1);
  const f = items[0] as DecodedItem;
  if (f.ok !== false) throw new Error(`expected a failure, got ${JSON.stringify(f)}`);
  expect(f.payload.toString('utf8')).toBe(line);
  return { ok: f.ok, code: f.code, reason: f.reason, lineNo: f.lineNo };
}
const bodies = (line: string) => events(line).map((e) => ({ source: e.source, ts: e.ts, body: e.body }));

describe('asterisk queue_log decoder: call lifecycle', () => {
  it('ENTERQUEUE is OFFERED at epoch × 1000, for the tenant of the context', () => {
    const [e] = events('1718000010|1718000010.1|sales|NONE|ENTERQUEUE||5551001|1');
    expect(e).toMatchObject({
      v: 1,
      tenant: 'acme',
      source: 'skillgroup',
      ts: 1_718_000_010_000,
      body: { skillGroup: 'sales', callId: '1718000010.1', type: 'OFFERED' },
    });
  });

  it('CONNECT is ANSWERED with the hold time as wait, plus the member device ringing then busy', () => {
    expect(bodies('1718000037|1718000010.1|sales|PJSIP/101|CONNECT|27|1718000025.3|12')).toEqual([
      {
        source: 'skillgroup',
        ts: 1_718_000_037_000,
        body: { skillGroup: 'sales', callId: '1718000010.1', type: 'ANSWERED', waitMs: 27_000, agentId: 'PJSIP/101' },
      },
      { source: 'extension', ts: 1_718_000_025_000, body: { extension: 'PJSIP/101', state: 'RINGING', callId: '1718000010.1' } },
      { source: 'extension', ts: 1_718_000_037_000, body: { extension: 'PJSIP/101', state: 'BUSY', callId: '1718000010.1' } },
    ]);
  });

  it('COMPLETEAGENT / COMPLETECALLER are COMPLETED with wait, talk and who hung up; the device goes idle', () => {
    const [done, idle] = bodies('1718000285|1718000100.9|support|PJSIP/201|COMPLETEAGENT|5|180|1');
    expect(done).toEqual({
      source: 'skillgroup',
      ts: 1_718_000_285_000,
      body: {
        skillGroup: 'support',
        callId: '1718000100.9',
        type: 'COMPLETED',
        waitMs: 5_000,
        talkMs: 180_000,
        agentId: 'PJSIP/201',
        reason: 'agent',
      },
    });
    expect(idle).toEqual({
      source: 'extension',
      ts: 1_718_000_285_000,
      body: { extension: 'PJSIP/201', state: 'IDLE', callId: '1718000100.9' },
    });
    expect(bodies('1718000157|1718000010.1|sales|PJSIP/101|COMPLETECALLER|27|120|1')[0]?.body).toMatchObject({
      type: 'COMPLETED',
      talkMs: 120_000,
      reason: 'caller',
    });
  });

  it('ABANDON is ABANDONED with the wait time (even when a member was named)', () => {
    expect(bodies('1718000023|1718000020.2|sales|NONE|ABANDON|2|2|3')).toEqual([
      {
        source: 'skillgroup',
        ts: 1_718_000_023_000,
        body: { skillGroup: 'sales', callId: '1718000020.2', type: 'ABANDONED', waitMs: 3_000 },
      },
    ]);
    expect(bodies('1718000023|1718000020.2|sales|PJSIP/101|ABANDON|2|2|3')[0]?.body).toMatchObject({ type: 'ABANDONED', waitMs: 3_000 });
  });

  it.each([
    ['EXITWITHTIMEOUT|1|1|60', 'timeout', 60_000],
    ['EXITEMPTY|1|1|2', 'empty', 2_000],
    ['EXITWITHKEY|5|2|2|15', 'key', 15_000],
    ['WITHDRAW|1|1|9|moved to callback', 'withdraw', 9_000],
  ])('%s leaves the queue without abandoning: OVERFLOWED, reason %s', (tail, reason, waitMs) => {
    expect(bodies(`1718000110|1718000050.6|sales|NONE|${tail}`)).toEqual([
      {
        source: 'skillgroup',
        ts: 1_718_000_110_000,
        body: { skillGroup: 'sales', callId: '1718000050.6', type: 'OVERFLOWED', waitMs, reason },
      },
    ]);
  });

  it.each([
    ['BLINDTRANSFER|2000|from-internal|8|60|1', 'blind'],
    ['ATTENDEDTRANSFER|BRIDGE|5f7c2b1e|8|60|1', 'attended'],
    ['ATTENDEDTRANSFER|APP|VoiceMail|8|60|1', 'attended'],
    ['ATTENDEDTRANSFER|LINK|PJSIP/102-0001|Local/2000@ctx-0002;1|8|60|1', 'attended'],
    ['TRANSFER|2000|from-internal|8|60', undefined],
  ])('%s is TRANSFERRED with wait and talk (reason %s), and the device goes idle', (tail, reason) => {
    const [t, idle] = bodies(`1718000108|1718000040.4|sales|PJSIP/102|${tail}`);
    expect(t?.body).toEqual({
      skillGroup: 'sales',
      callId: '1718000040.4',
      type: 'TRANSFERRED',
      waitMs: 8_000,
      talkMs: 60_000,
      agentId: 'PJSIP/102',
      ...(reason ? { reason } : {}),
    });
    expect(idle?.body).toMatchObject({ extension: 'PJSIP/102', state: 'IDLE' });
  });
});

describe('asterisk queue_log decoder: ringing and agent state', () => {
  it('RINGNOANSWER rang for its time in milliseconds, then the device is idle again', () => {
    expect(bodies('1718000025|1718000010.1|sales|PJSIP/102|RINGNOANSWER|15000')).toEqual([
      { source: 'extension', ts: 1_718_000_010_000, body: { extension: 'PJSIP/102', state: 'RINGING', callId: '1718000010.1' } },
      { source: 'extension', ts: 1_718_000_025_000, body: { extension: 'PJSIP/102', state: 'IDLE', callId: '1718000010.1' } },
    ]);
    expect(bodies('1718000124|1718000120.12|support|PJSIP/203|RINGCANCELED|1500').map((e) => e.ts)).toEqual([
      1_718_000_122_500, 1_718_000_124_000,
    ]);
  });

  it('a ring of 0 ms says nothing about ringing; a CONNECT with ring time 0 is just busy', () => {
    // Accounted for as informational (not dropped silently); without an agent it is malformed like any ring line.
    expect(decode('1718000025|1718000010.1|sales|PJSIP/102|RINGNOANSWER|0')).toEqual([
      expect.objectContaining({ ok: 'ignored', code: 'informational', reason: 'RINGNOANSWER is informational' }),
    ]);
    expect(failure('1718000037||0||RINGCANCELED|0')).toMatchObject({ code: 'malformed', reason: "RINGCANCELED needs an agent, got ''" });
    expect(
      bodies('1718000037|1718000010.1|sales|PJSIP/101|CONNECT|27|x.3|0').map((e) => `${e.source}:${'state' in e.body ? e.body.state : ''}`),
    ).toEqual(['skillgroup:', 'extension:BUSY']);
  });

  it.each([
    ['NONE|Agent/1001|AGENTLOGIN|PJSIP/101-00000001', { agentId: 'Agent/1001', state: 'AVAILABLE' }],
    ['NONE|Agent/1001|AGENTLOGOFF|PJSIP/101-00000001|600', { agentId: 'Agent/1001', state: 'LOGGED_OUT' }],
    ['sales|PJSIP/101|ADDMEMBER|', { agentId: 'PJSIP/101', state: 'AVAILABLE', skillGroups: ['sales'] }],
    ['sales|PJSIP/102|ADDMEMBER|PAUSED', { agentId: 'PJSIP/102', state: 'AUX', skillGroups: ['sales'] }],
    ['sales|PJSIP/101|REMOVEMEMBER|', { agentId: 'PJSIP/101', state: 'LOGGED_OUT', skillGroups: ['sales'] }],
    ['sales|PJSIP/101|PAUSE|Lunch', { agentId: 'PJSIP/101', state: 'AUX', reason: 'Lunch', skillGroups: ['sales'] }],
    ['sales|PJSIP/101|PAUSE|', { agentId: 'PJSIP/101', state: 'AUX', skillGroups: ['sales'] }],
    ['sales|PJSIP/101|UNPAUSE|', { agentId: 'PJSIP/101', state: 'AVAILABLE', skillGroups: ['sales'] }],
  ])('%s → agent %o', (tail, body) => {
    expect(bodies(`1718000160|NONE|${tail}`)).toEqual([{ source: 'agent', ts: 1_718_000_160_000, body }]);
  });

  it.each(ASTERISK_INFORMATIONAL_EVENTS.map((e) => [e]))('%s is recognised and ignored as informational', (event) => {
    expect(decode(`1718000000|NONE|NONE|NONE|${event}|`)).toEqual([
      { ok: 'ignored', code: 'informational', reason: `${event} is informational`, lineNo: 7 },
    ]);
  });

  it.each([
    ['1718000460|1718000460.18|billing|NONE|CALLBACKREQUEST|5553003', 'CALLBACKREQUEST'],
    ['1528286523|1528286523.77|NONE|NONE|OUTBOUND|5551234|trunk-1', 'OUTBOUND'],
    ['1528286523|1528286523.77|NONE|NONE|OUTCALLERID|5551234', 'OUTCALLERID'],
    ['1528286523|1528286523.77|sales|NONE|DID|5550000', 'DID'],
    ['1528286523|1528286523.77|NONE|NONE|INFO|anything|at|all', 'INFO'],
  ])("a dialplan's own line (%s) is no queue event: ignored, not an error", (line, event) => {
    expect(decode(line)).toEqual([{ ok: 'ignored', code: 'not-a-queue-event', reason: `${event} is not a queue event`, lineNo: 7 }]);
  });

  it('blank lines (and a CRLF ending) carry nothing', () => {
    expect(decode('')).toEqual([]);
    expect(decode('  \r')).toEqual([]);
    expect(events('1718000010|1718000010.1|sales|NONE|ENTERQUEUE||5551001|1\r\n')).toHaveLength(1);
  });
});

describe('asterisk queue_log decoder: failures name what is wrong', () => {
  it.each([
    [
      '1718000140|1718000130.13|support|PJSIP/203|CONNECT|',
      'truncated',
      'CONNECT takes 1 data field (holdtime), 2 (holdtime|bridged channel uniqueid) or 3 (holdtime|bridged channel uniqueid|ringtime), got 0',
    ],
    [
      '1718000110|1718000050.6|sales|NONE|EXITWITHTIMEOUT|1|1',
      'truncated',
      'EXITWITHTIMEOUT takes 1 data field (position) or 3 (position|original position|waittime), got 2',
    ],
    [
      '1718000075|1718000060.7|sales|NONE|EXITWITHKEY|5|2|2',
      'truncated',
      'EXITWITHKEY takes 2 data fields (key|position) or 4 (key|position|original position|waittime), got 3',
    ],
    [
      '1718000108|1718000040.4|sales|PJSIP/102|TRANSFER|2000|from-internal|8',
      'truncated',
      'TRANSFER takes 2 data fields (extension|context) or 4 (extension|context|holdtime|calltime), got 3',
    ],
    [
      '1718000157|1718000010.1|sales|PJSIP/101|COMPLETECALLER|27',
      'truncated',
      'COMPLETECALLER needs 2 data fields (holdtime|calltime), got 1',
    ],
    ['1718000140|1718000130.13|sup', 'truncated', 'has 3 fields, needs at least 5 (epoch|uniqueid|queue|agent|EVENT)'],
    [
      '1718000023|1718000020.2|sales|NONE|ABANDON|2|2',
      'truncated',
      'ABANDON needs 3 data fields (position|original position|waittime), got 2',
    ],
    ['17180004!0|1718000470.19|billing|NONE|ENTERQUEUE||5553004|1', 'malformed', "epoch '17180004!0' is not a whole number of seconds"],
    ['1718000470|x|billing|NONE|enterqueue||1|1', 'malformed', "event name 'enterqueue' is not an upper-case word"],
    ['1718000470|x|bil\u0000ling|NONE|ENTERQUEUE||1|1', 'malformed', 'garbled: contains control characters or bytes that are not UTF-8'],
    ['1718000037|1718000010.1|sales|PJSIP/101|CONNECT|2x|u|1', 'malformed', "CONNECT holdtime '2x' is not a whole number of seconds"],
    [
      '1718000025|1718000010.1|sales|PJSIP/102|RINGNOANSWER|-5',
      'malformed',
      "RINGNOANSWER ring time '-5' is not a whole number of milliseconds",
    ],
    ['1718000023|1718000020.2|sales|NONE|ABANDON|2|2|999999', 'malformed', 'ABANDON waittime 999999 s is more than 7 days'],
    ['1718000010|1718000010.1|NONE|NONE|ENTERQUEUE||5551001|1', 'malformed', "ENTERQUEUE needs a queue, got 'NONE'"],
    ['1718000010|NONE|sales|NONE|ENTERQUEUE||5551001|1', 'malformed', "ENTERQUEUE needs the caller's uniqueid, got 'NONE'"],
    ['1718000037|1718000010.1|sales|NONE|CONNECT|27|u|12', 'malformed', "CONNECT needs an agent, got 'NONE'"],
    ['1718000160|NONE|sales|NONE|PAUSE|Lunch', 'malformed', "PAUSE needs an agent, got 'NONE'"],
    ['1718000003|MANAGER|sales|PJSIP/102|ADDMEMBER|YES', 'malformed', "ADDMEMBER data must be PAUSED or empty, got 'YES'"],
    [
      '1718000500|1.1|billing|PJSIP/301|ATTENDEDTRANSFER|THREEWAY|x|20|80|1',
      'malformed',
      "ATTENDEDTRANSFER method 'THREEWAY' is not BRIDGE, APP or LINK",
    ],
    [
      '1718000500|1.1|billing|PJSIP/301|ATTENDEDTRANSFER|LINK|a|b|20',
      'truncated',
      'ATTENDEDTRANSFER needs 5 data fields (method|channel|channel|holdtime|calltime), got 4',
    ],
    ['0000000017|1.1|sales|NONE|ENTERQUEUE||1|1', 'timestamp', 'epoch 0000000017 is before 2000-01-01'],
    ['1718200000|1.1|sales|NONE|ENTERQUEUE||1|1', 'timestamp', 'epoch 1718200000 is more than 300000 ms after now (1718100000000)'],
    [
      `1718000160|NONE|sales|PJSIP/101|PAUSE|${'x'.repeat(65)}`,
      'schema',
      'PAUSE: schema: body.reason must NOT have more than 64 characters',
    ],
    [`1718000010|${'u'.repeat(65)}|sales|NONE|ENTERQUEUE||1|1`, 'malformed', 'uniqueid is 65 characters, at most 64'],
  ])('%s → %s', (line, code, reason) => {
    expect(failure(line)).toEqual({ ok: false, code, reason, lineNo: 7 });
  });

  it('refuses a line longer than the limit without reading it', () => {
    const d = createAsteriskQueueLogDecoder({ maxLineBytes: 32 });
    const [f] = d.decode(Buffer.from('1718000010|1718000010.1|sales|NONE|ENTERQUEUE||5551001|1'), { tenant: 'acme', now });
    expect(f).toMatchObject({ ok: false, code: 'oversized', reason: 'line of 56 bytes exceeds 32' });
    expect(f && !f.ok && 'lineNo' in f).toBe(false);
  });

  it('bytes that are not UTF-8 are garbled', () => {
    const bytes = Buffer.concat([Buffer.from('1718000010|1.1|sa'), Buffer.from([0xff, 0xfe]), Buffer.from('les|NONE|ENTERQUEUE||1|1')]);
    expect(asteriskQueueLogDecoder.decode(bytes, ctx)[0]).toMatchObject({ ok: false, code: 'malformed', payload: bytes });
  });
});

describe('asterisk queue_log decoder: ids and robustness', () => {
  const line = '1718000037|1718000010.1|sales|PJSIP/101|CONNECT|27|1718000025.3|12';

  it('ids are deterministic: the same line gives the same ids, a different line different ones', () => {
    const ids = events(line).map((e) => e.id);
    expect(ids[0]).toMatch(/^ast:1718000010\.1:CONNECT:1718000037:[0-9a-f]{12}$/);
    expect(ids.slice(1).map((id) => id.slice(ids[0]!.length))).toEqual([':ring', ':busy']);
    expect(
      asteriskQueueLogDecoder.decode(Buffer.from(line), { tenant: 'acme', now: now + 1 }).map((i) => i.ok === true && i.event.id),
    ).toEqual(ids);
    expect(events(line.replace('|12', '|11'))[0]!.id).not.toBe(ids[0]);
    expect(new Set(ids).size).toBe(3);
  });

  it('an id salt (a collector: file identity and byte offset) makes two identical lines two events, each stable', () => {
    const at = (idSalt: string) =>
      asteriskQueueLogDecoder.decode(line, { ...ctx, idSalt }).map((i) => (i.ok === true ? i.event.id : `not an event: ${i.reason}`));
    const first = at('f00d:0');
    expect(at('f00d:0')).toEqual(first);
    expect(at('f00d:71')[0]).not.toBe(first[0]);
    expect(first[0]).not.toBe(events(line)[0]!.id);
    expect(first[0]).toMatch(/^ast:1718000010\.1:CONNECT:1718000037:[0-9a-f]{12}$/);
  });

  it('knows every event name of docs/domain.md', () => {
    for (const e of [
      'ENTERQUEUE',
      'CONNECT',
      'COMPLETEAGENT',
      'COMPLETECALLER',
      'ABANDON',
      'EXITEMPTY',
      'EXITWITHTIMEOUT',
      'EXITWITHKEY',
      'BLINDTRANSFER',
      'ATTENDEDTRANSFER',
      'RINGNOANSWER',
      'RINGCANCELED',
      'PAUSE',
      'UNPAUSE',
      'ADDMEMBER',
      'REMOVEMEMBER',
      'QUEUESTART',
      'WITHDRAW',
      'PENALTY',
      'RINGINUSE',
      'AGENTDUMP',
      'SYSCOMPAT',
      'OUTCALL',
      'AGENTLOGIN',
      'AGENTLOGOFF',
      'CONFIGRELOAD',
      'TRANSFER',
    ]) {
      expect(ASTERISK_KNOWN_EVENTS).toContain(e);
    }
  });

  it('never throws, and everything it emits is a valid event or a failure with a reason (property)', () => {
    const field = fc.oneof(
      fc.constantFrom('', 'NONE', '17', '1718000037', '1718000010.1', 'sales', 'PJSIP/101', 'PAUSED', 'BRIDGE', 'LINK', '-1'),
      fc.string({ maxLength: 12 }),
    );
    const event = fc.oneof(fc.constantFrom(...ASTERISK_KNOWN_EVENTS), fc.string({ maxLength: 10 }));
    const lineArb = fc
      .tuple(fc.constantFrom('1718000037', '1718000000', 'x'), field, field, field, event, fc.array(field, { maxLength: 7 }))
      .map(([t, u, q, a, e, d]) => [t, u, q, a, e, ...d].join('|'));
    fc.assert(
      fc.property(fc.oneof(lineArb, fc.string({ maxLength: 80 })), (l) => {
        for (const item of decode(l)) {
          if (item.ok === true) expect(validateEvent(item.event).ok).toBe(true);
          else expect(item.reason.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
