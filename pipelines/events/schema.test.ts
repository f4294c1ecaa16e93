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
];
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
    expect(validateEvent(bad[0])).toEqual({ ok: false, reason: 'schema: body.state must be one of LOGGED_OUT, AVAILABLE, RINGING, ON_CALL, HOLD, ACW, AUX' });
  });
});
