import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../adapters/bus/memory.js';
import { DEAD_LETTER_CODES, sanitizeDeadLetter, storeDeadLetters, topicDeadLetters } from './dead-letters.js';
import { MemoryTelemetryStore } from './store/memory.js';
import type { DeadLetter, TelemetryStore } from './store/types.js';

const T = Date.UTC(2026, 10, 23, 9, 0);
const letter = (over: Partial<DeadLetter> = {}): DeadLetter => ({
  tenant: 'acme',
  source: 'http',
  code: 'schema',
  reason: 'r',
  payload: Buffer.from('{"a":"\\ud800"}'),
  origin: 'http:1:0',
  receivedAt: T,
  ...over,
});

describe('dead letters', () => {
  it('are made well-formed, bounded and timed within what ClickHouse stores, their bytes untouched', () => {
    const d = sanitizeDeadLetter(
      letter({
        tenant: `a\ud800${'t'.repeat(100)}`,
        source: '\udfff',
        reason: `x\ud83d\ude00\ud800${'r'.repeat(2_000)}`,
        origin: `o\ud800${'o'.repeat(500)}`,
        receivedAt: 1e300,
      }),
    );
    expect(d.tenant).toBe(`a\uFFFD${'t'.repeat(62)}`);
    expect(d.source).toBe('\uFFFD');
    expect(d.reason.startsWith('x\ud83d\ude00\uFFFDr')).toBe(true);
    expect(d.reason).toHaveLength(1_000);
    expect(d.origin).toHaveLength(256);
    expect(d.receivedAt).toBe(Date.UTC(2299, 11, 31, 23, 59, 59, 999));
    expect(d.payload.toString()).toBe('{"a":"\\ud800"}');
    expect(sanitizeDeadLetter(letter({ receivedAt: Number.NaN })).receivedAt).toBe(0);
    expect(sanitizeDeadLetter(letter({ receivedAt: -5.5 })).receivedAt).toBe(0);
    expect(sanitizeDeadLetter(letter())).toEqual(letter());
  });

  it('in the store: sanitized, and one the store still refuses is reported, the others stored', async () => {
    const inner = new MemoryTelemetryStore();
    const refusing = new Proxy(inner, {
      get: (t, p) =>
        p === 'insertDeadLetters'
          ? async (rows: DeadLetter[], token: string) => {
              if (rows.some((r) => r.origin === 'bad'))
                throw Object.assign(new Error('Code: 27. DB::Exception: Cannot parse input'), { clickhouseCode: 27 });
              return t.insertDeadLetters(rows, token);
            }
          : Reflect.get(t, p),
    }) as TelemetryStore;
    const lost: [string, string][] = [];
    await storeDeadLetters(refusing, (row, reason) => lost.push([row.origin, reason])).write(
      [letter({ tenant: 'x\ud800' }), letter({ origin: 'bad' }), letter({ origin: 'http:1:2' })],
      't',
    );
    expect(lost).toEqual([['bad', 'ClickHouse code 27 (CANNOT_PARSE_INPUT_ASSERTION_FAILED): Cannot parse input']]);
    expect((await inner.deadLetters(10)).map((d) => [d.tenant, d.origin]).sort()).toEqual([
      ['acme', 'http:1:2'],
      ['x\uFFFD', 'http:1:0'],
    ]);
  });

  it('on a topic: headers sanitized, the value the original bytes', async () => {
    const bus = new MemoryBus();
    await bus.ensureTopics([{ topic: 'dl', partitions: 1 }]);
    await topicDeadLetters(await bus.producer(), 'dl').write([letter({ reason: 'r\ud800' })], 't');
    const [m] = bus.log('dl', 0);
    expect(m!.headers).toMatchObject({ reason: 'r\uFFFD', code: 'schema', origin: 'http:1:0' });
    expect(m!.value.toString()).toBe('{"a":"\\ud800"}');
  });

  it('has every code documented in docs/errors.md', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    for (const code of DEAD_LETTER_CODES) expect(doc, code).toMatch(new RegExp(`^\\| \`${code}\` \\|`, 'm'));
  });
});
