import { describe, expect, it } from 'vitest';
import { decodeJson, decodeValue, DEFAULT_DECODE_LIMITS } from './decode.js';

const NOW = Date.UTC(2026, 10, 23, 9, 0);
const DAY = 86_400_000;
const report = (intervalStart: number) => ({
  v: 1,
  tenant: 'acme',
  source: 'interval',
  id: 'r1',
  ts: NOW,
  body: { scope: 'skillgroup', key: 'sales', intervalStart, intervalSec: 900, offered: 3 },
});

describe('decode', () => {
  it("bounds an interval report's intervalStart as it bounds ts, naming the field", () => {
    expect(decodeValue(report(NOW - 900_000), NOW).ok).toBe(true);
    expect(decodeValue(report(NOW - 401 * DAY), NOW)).toEqual({
      ok: false,
      code: 'timestamp',
      reason: `body.intervalStart ${NOW - 401 * DAY} is more than ${DEFAULT_DECODE_LIMITS.maxPastMs} ms before now (${NOW})`,
    });
    expect(decodeValue(report(NOW + DAY), NOW)).toEqual({
      ok: false,
      code: 'timestamp',
      reason: `body.intervalStart ${NOW + DAY} is more than ${DEFAULT_DECODE_LIMITS.maxFutureMs} ms after now (${NOW})`,
    });
    expect(decodeValue({ ...report(NOW), ts: NOW - 401 * DAY }, NOW)).toMatchObject({
      ok: false,
      code: 'timestamp',
      reason: expect.stringMatching(/^ts /),
    });
    // A backfill configured with a longer past reaches further back.
    expect(decodeValue(report(NOW - 3_000 * DAY), NOW, { ...DEFAULT_DECODE_LIMITS, maxPastMs: 3_650 * DAY }).ok).toBe(true);
  });

  it('refuses a message of absurd nesting with a reason, wherever the nesting is, without throwing', () => {
    const deep = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    const envelope = (body: string, extra = '') =>
      `{"v":1,"tenant":"acme","source":"interval","id":"x","ts":${NOW}${extra},"body":${body}}`;
    const cases: [string, string][] = [
      [deep, 'schema: event must be object'],
      [envelope(deep), 'schema: body must be object'],
      [
        envelope(`{"scope":"agent","key":"a1","intervalStart":${NOW},"intervalSec":900,"offered":${deep}}`),
        'schema: body.offered must be number',
      ],
      [envelope('{}', `,"x":${deep}`), 'schema: x is not allowed'],
      [
        `{"v":1,"tenant":"acme","source":"skillgroup","id":"x","ts":${NOW},"body":{"skillGroup":${deep},"callId":"c","type":"OFFERED"}}`,
        'schema: body.skillGroup must be string',
      ],
    ];
    for (const [text, reason] of cases)
      expect(decodeJson(Buffer.from(text), NOW, { ...DEFAULT_DECODE_LIMITS, maxBytes: 1 << 20 })).toEqual({
        ok: false,
        code: 'schema',
        reason,
      });
    // Past the default size limit: refused as oversized before it is parsed.
    expect(decodeJson(Buffer.from(`${'['.repeat(40_000)}${']'.repeat(40_000)}`), NOW)).toMatchObject({ ok: false, code: 'oversized' });
  });

  it('refuses text that is not UTF-8 JSON, a lone surrogate escaped in an id, and huge or non-finite numbers, never throwing', () => {
    const sg = (skillGroup: string, waitMs = '1') =>
      Buffer.from(
        `{"v":1,"tenant":"acme","source":"skillgroup","id":"x","ts":${NOW},"body":{"skillGroup":${skillGroup},"callId":"c","type":"ANSWERED","waitMs":${waitMs}}}`,
      );
    expect(decodeJson(sg('"sg\\ud800x"'), NOW)).toMatchObject({
      ok: false,
      code: 'schema',
      reason: expect.stringContaining('body.skillGroup must be text without control characters'),
    });
    expect(decodeJson(sg('"sales\\u0000"'), NOW)).toMatchObject({
      ok: false,
      code: 'schema',
      reason: expect.stringContaining('body.skillGroup'),
    });
    expect(decodeJson(sg('"sales"', '1e400'), NOW)).toMatchObject({
      ok: false,
      code: 'schema',
      reason: 'schema: body.waitMs must be integer',
    });
    expect(decodeJson(sg('"sales"', '1e300'), NOW)).toMatchObject({
      ok: false,
      code: 'schema',
      reason: 'schema: body.waitMs must be <= 604800000',
    });
    expect(decodeJson(sg('"sales"', 'NaN'), NOW)).toMatchObject({ ok: false, code: 'malformed' });
    expect(decodeJson(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), NOW)).toMatchObject({ ok: false, code: 'malformed' });
  });
});
