import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { describeAjvError, telemetryEventSchema, validateEvent } from './schema.js';

/** The whole schema, compiled apart: what validateEvent must agree with on every event. */
const whole = new Ajv({ allErrors: false, strict: true, strictRequired: false }).compile(telemetryEventSchema);
const wholeVerdict = (v: unknown) => (whole(v) ? 'ok' : `schema: ${describeAjvError(whole.errors?.[0])}`);

const base = { v: 1, tenant: 'acme', id: 'e1', ts: 1_767_225_600_000 };
const good = [
  { ...base, source: 'agent', body: { agentId: 'a1', state: 'AUX', reason: 'lunch' } },
  { ...base, source: 'extension', body: { extension: '2001', state: 'BUSY' } },
  { ...base, source: 'skillgroup', body: { skillGroup: 'sales', callId: 'c1', type: 'ANSWERED', waitMs: 1200 } },
  { ...base, source: 'interval', body: { scope: 'skillgroup', key: 'sales', intervalStart: 0, intervalSec: 900, offered: 12 } },
  // Any well-formed text: a surrogate pair (one character), accents, spaces.
  { ...base, source: 'skillgroup', body: { skillGroup: 'ventes é 😀', callId: 'c1', type: 'OFFERED', reason: 'key pressed' } },
  { ...base, source: 'interval', body: { scope: 'agent', key: 'a1', intervalStart: 0, intervalSec: 1800, 'talk time 😀': 1e12 } },
];
/** Ids, names and reasons that ClickHouse refuses (lone surrogates) or that show as another name (controls). */
const badText = ['sg\ud800x', 'sg\udfff', 'sales\u0000', '\u0000', 'sales\n', 'a\tb', 'x\u001b[31m', 'x\u007f', 'x\u0085'];
const bad: unknown[] = [
  { ...base, source: 'agent', body: { agentId: 'a1', state: 'LUNCH' } },
  { ...base, source: 'agent', body: { state: 'AUX' } },
  { ...base, source: 'agent', body: { agentId: 'a1', state: 'AUX', extra: 1 } },
  { ...base, source: 'extension', body: { extension: '', state: 'IDLE' } },
  { ...base, source: 'skillgroup', body: { skillGroup: 'sales', callId: 'c1', type: 'ANSWERED', waitMs: -1 } },
  { ...base, source: 'skillgroup', body: { skillGroup: 'sales', callId: 'c1', type: 'ANSWERED', talkMs: 1.5 } },
  { ...base, source: 'interval', body: { scope: 'queue', key: 'sales', intervalStart: 0, intervalSec: 900 } },
  { ...base, source: 'interval', body: { scope: 'agent', key: 'a1', intervalStart: 0, intervalSec: 900, aht: -3 } },
  { ...base, source: 'agent', tenant: 'Acme Corp', body: { agentId: 'a1', state: 'AUX' } },
  { ...base, source: 'agent', v: 2, body: { agentId: 'a1', state: 'AUX' } },
  { ...base, source: 'agent', body: 'AUX' },
  { ...base, source: 'fax', body: {} },
  { ...base, source: 7, body: {} },
  { ...base, body: {} },
  null,
  'agent',
  ...badText.flatMap((t) => [
    { ...base, source: 'skillgroup', body: { skillGroup: t, callId: 'c1', type: 'OFFERED' } },
    { ...base, source: 'skillgroup', body: { skillGroup: 'sales', callId: t, type: 'OFFERED' } },
    { ...base, source: 'skillgroup', body: { skillGroup: 'sales', callId: 'c1', type: 'OFFERED', reason: t } },
    { ...base, source: 'skillgroup', body: { skillGroup: 'sales', callId: 'c1', type: 'OFFERED', channel: t } },
    { ...base, source: 'agent', body: { agentId: t, state: 'AUX' } },
    { ...base, source: 'agent', body: { agentId: 'a1', state: 'AUX', reason: t } },
    { ...base, source: 'agent', body: { agentId: 'a1', state: 'AUX', skillGroups: ['sales', t] } },
    { ...base, source: 'extension', body: { extension: t, state: 'IDLE' } },
    { ...base, source: 'interval', body: { scope: 'agent', key: t, intervalStart: 0, intervalSec: 900 } },
    { ...base, source: 'interval', body: { scope: 'agent', key: 'a1', intervalStart: 0, intervalSec: 900, [t]: 1 } },
    { ...base, id: t, source: 'extension', body: { extension: '2001', state: 'IDLE' } },
  ]),
  // Times ClickHouse cannot store, counters no contact center reports, too many counters.
  { ...base, ts: 1e300, source: 'agent', body: { agentId: 'a1', state: 'AUX' } },
  { ...base, ts: 2 ** 53, source: 'agent', body: { agentId: 'a1', state: 'AUX' } },
  { ...base, source: 'interval', body: { scope: 'agent', key: 'a1', intervalStart: 1e300, intervalSec: 900 } },
  { ...base, source: 'interval', body: { scope: 'agent', key: 'a1', intervalStart: -1, intervalSec: 900 } },
  { ...base, source: 'interval', body: { scope: 'agent', key: 'a1', intervalStart: 0, intervalSec: 900, offered: 1e300 } },
  { ...base, source: 'interval', body: { scope: 'agent', key: 'a1', intervalStart: 0, intervalSec: 900, offered: 1e12 + 1 } },
  { ...base, source: 'interval', body: { scope: 'agent', key: 'a1', intervalStart: 0, intervalSec: 900, '': 1 } },
  {
    ...base,
    source: 'interval',
    body: {
      scope: 'agent',
      key: 'a1',
      intervalStart: 0,
      intervalSec: 900,
      ...Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`c${i}`, 1])),
    },
  },
  { ...base, source: 'skillgroup', body: { skillGroup: 'sales', callId: 'c1', type: 'ANSWERED', waitMs: 1e300 } },
];

describe('validateEvent', () => {
  it('accepts a valid event of each source', () => {
    for (const e of good) expect(validateEvent(e), JSON.stringify(e)).toEqual({ ok: true, event: e });
  });

  it('refuses exactly what the whole schema refuses, with the same reason naming the field', () => {
    for (const e of bad) {
      const v = validateEvent(e);
      expect(v.ok, JSON.stringify(e)).toBe(false);
      expect(v.ok ? 'ok' : v.reason, JSON.stringify(e)).toBe(wholeVerdict(e));
    }
    expect(validateEvent(bad[0])).toEqual({
      ok: false,
      reason: 'schema: body.state must be one of LOGGED_OUT, AVAILABLE, RINGING, ON_CALL, HOLD, ACW, AUX',
    });
  });

  it('names the field holding a NUL, a control character or a lone surrogate, and the counter name, escaped', () => {
    const why = (e: unknown) => {
      const v = validateEvent(e);
      return v.ok ? 'ok' : v.reason;
    };
    const rule = 'must be text without control characters (NUL, line breaks, …) or lone surrogates';
    expect(why({ ...base, source: 'skillgroup', body: { skillGroup: 'sg\ud800x', callId: 'c1', type: 'OFFERED' } })).toBe(
      `schema: body.skillGroup ${rule}`,
    );
    expect(why({ ...base, source: 'extension', body: { extension: '20\u00001', state: 'IDLE' } })).toBe(`schema: body.extension ${rule}`);
    expect(why({ ...base, source: 'agent', body: { agentId: 'a1', state: 'AUX', skillGroups: ['sales', 'sales\u0000'] } })).toBe(
      `schema: body.skillGroups.1 ${rule}`,
    );
    expect(
      why({ ...base, source: 'interval', body: { scope: 'agent', key: 'a1', intervalStart: 0, intervalSec: 900, 'x\ud800': 1 } }),
    ).toBe(`schema: body property name "x\\ud800" ${rule}`);
    expect(why({ ...base, source: 'interval', body: { scope: 'agent', key: 'a1', intervalStart: 1e300, intervalSec: 900 } })).toBe(
      'schema: body.intervalStart must be <= 10413791999999',
    );
    expect(
      why({ ...base, source: 'interval', body: { scope: 'agent', key: 'a1', intervalStart: 0, intervalSec: 900, talkSec: 1e300 } }),
    ).toBe('schema: body.talkSec must be <= 1000000000000');
  });
});
