import { describe, expect, it } from 'vitest';
import { decodeJson } from '../decode.js';
import { asteriskQueueLogDecoder } from './asterisk-queue-log.js';
import { decoderFor, decoderNames } from './index.js';
import { jsonDecoder } from './json.js';

const now = 1_718_100_000_000;
const event = {
  v: 1,
  tenant: 'acme',
  source: 'skillgroup',
  id: 'e1',
  ts: now - 1_000,
  body: { skillGroup: 'sales', callId: 'c1', type: 'OVERFLOWED', waitMs: 60_000, reason: 'timeout' },
};

describe('decoder registry', () => {
  it('registers json and asterisk-queue-log by name', () => {
    expect(decoderNames()).toEqual(['asterisk-queue-log', 'json']);
    expect(decoderFor('json')).toBe(jsonDecoder);
    expect(decoderFor('asterisk-queue-log')).toBe(asteriskQueueLogDecoder);
    expect(decoderFor('avaya-cms')).toBeUndefined();
    expect(decoderFor('toString')).toBeUndefined();
  });
});

describe('json decoder', () => {
  it('gives exactly what decodeJson gives for a good event (the optional skill-group reason included)', () => {
    const bytes = Buffer.from(JSON.stringify(event));
    const d = decodeJson(bytes, now);
    if (!d.ok) throw new Error('fixture should decode');
    expect(jsonDecoder.decode(bytes, { tenant: 'ignored', now })).toEqual([{ ok: true, event: d.event }]);
    expect(jsonDecoder.decode(JSON.stringify(event), { tenant: 'ignored', now })).toEqual([{ ok: true, event }]);
  });

  it.each([
    ['{"v":1', 'malformed'],
    [JSON.stringify({ ...event, body: { ...event.body, reason: 'x'.repeat(65) } }), 'schema'],
    [JSON.stringify({ ...event, ts: now + 3_600_000 }), 'timestamp'],
  ])('refuses %s with decodeJson’s code and reason, keeping the bytes and line number', (text, code) => {
    const expected = decodeJson(Buffer.from(text), now);
    if (expected.ok) throw new Error('fixture should be refused');
    expect(jsonDecoder.decode(text, { tenant: 'acme', now, lineNo: 3 })).toEqual([
      { ok: false, code, reason: expected.reason, payload: Buffer.from(text), lineNo: 3 },
    ]);
  });
});
