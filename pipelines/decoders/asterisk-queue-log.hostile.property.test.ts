import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateEvent } from '../events/schema.js';
import { replay } from '../replay/replay.js';
import { ASTERISK_KNOWN_EVENTS, asteriskQueueLogDecoder } from './asterisk-queue-log.js';

/*
 * Hostile input for the queue_log decoder (the collector's and the replay's write path): whatever a file
 * holds — lines of any generation with fields dropped, added, swapped or garbled, control characters and
 * bytes that are not UTF-8, thousands of pipes, lines far longer than the limit — every non-blank line is
 * accounted for exactly once: as events that pass the schema, as ignored with a reason, or as a failure
 * with a known code and a reason naming the problem. The decoder never throws and never yields both.
 */
const now = 1_718_100_000_000;
const ctx = { tenant: 'acme', now };
const FAILURE_CODES = ['oversized', 'malformed', 'truncated', 'schema', 'timestamp'];

const field = fc.oneof(
  fc.constantFrom(
    '',
    'NONE',
    '0',
    '17',
    '-1',
    '1.5',
    '1718000037',
    '1718000010.1',
    'sales',
    'PJSIP/101',
    'PAUSED',
    'BRIDGE',
    'APP',
    'LINK',
  ),
  fc.string({ maxLength: 16 }),
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.integer({ min: -1e6, max: 1e16 }).map(String),
);
const event = fc.oneof(
  fc.constantFrom(...ASTERISK_KNOWN_EVENTS),
  fc.stringMatching(/^[A-Z][A-Z0-9_]{0,40}$/),
  fc.string({ maxLength: 12 }),
);
const epoch = fc.oneof(
  fc.constantFrom('1718000037', '1150000000', '946684799', '99999999999999', '', 'x'),
  fc.integer({ min: 0, max: 2 ** 40 }).map(String),
);
/** A line shaped like queue_log: epoch|uniqueid|queue|agent|EVENT|data… with 0–12 data fields. */
const shaped = fc
  .tuple(epoch, field, field, field, event, fc.array(field, { maxLength: 12 }))
  .map(([t, u, q, a, e, d]) => [t, u, q, a, e, ...d].join('|'));
const hostileLine = fc.oneof(
  { weight: 6, arbitrary: shaped },
  { weight: 1, arbitrary: fc.string({ maxLength: 120 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 120 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 20_000 }).map((n) => `1718000037|1.1|sales|NONE|ENTERQUEUE${'|'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 8_000, max: 40_000 }).map((n) => `1718000037|1.1|sales|NONE|PAUSE|${'x'.repeat(n)}`) },
);

describe('asterisk queue_log decoder under hostile lines (property)', () => {
  it('accounts for every non-blank line exactly once: valid events, ignored with a reason, or a failure naming the problem', () => {
    fc.assert(
      fc.property(hostileLine, (line) => {
        const items = asteriskQueueLogDecoder.decode(line, { ...ctx, lineNo: 1 });
        if (line.trim() === '') {
          expect(items).toEqual([]);
          return;
        }
        expect(items.length).toBeGreaterThan(0);
        const kinds = new Set(items.map((i) => i.ok));
        expect(kinds.size, `one kind of outcome per line: ${line.slice(0, 200)}`).toBe(1);
        for (const item of items) {
          if (item.ok === true) expect(validateEvent(item.event).ok).toBe(true);
          else if (item.ok === 'ignored') {
            expect(['informational', 'not-a-queue-event']).toContain(item.code);
            expect(item.reason).toMatch(/^[A-Z][A-Z0-9_]* is (informational|not a queue event)$/);
          } else {
            expect(FAILURE_CODES).toContain(item.code);
            expect(item.reason.trim().length).toBeGreaterThan(0);
            expect(item.reason.length).toBeLessThan(400);
          }
        }
        if (items[0]?.ok !== true) expect(items).toHaveLength(1);
      }),
      { numRuns: 3000 },
    );
  });

  it('a replay of a hostile file reads it to the end, the lines adding up (events + ignored + failures + blank)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(hostileLine, fc.constant('')), { maxLength: 60 }), async (lines) => {
        const text = lines.flatMap((l) => l.split(/\r\n|\r|\n/));
        let withEvents = 0;
        let blank = 0;
        for (const [i, l] of text.entries()) {
          if (l.trim() === '') blank++;
          else if (asteriskQueueLogDecoder.decode(l, { ...ctx, lineNo: i + 1 })[0]?.ok === true) withEvents++;
        }
        const r = await replay(text, { format: 'asterisk-queue-log', tenant: 'acme', now });
        expect(r.lines).toBe(text.length);
        expect(withEvents + r.ignored + r.errorCount + blank).toBe(text.length);
      }),
      { numRuns: 300 },
    );
  });
});
