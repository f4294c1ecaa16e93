import fc from 'fast-check';

/**
 * Hostile input for `POST /v1/events`: what a careless or malicious collector sends — valid events of
 * every source beside the same events with one field broken (lone surrogates, NUL and control
 * characters, huge and non-finite numbers, deep nesting, very long strings, missing, extra or
 * mistyped fields) and arbitrary JSON — each item tagged with what Sluice must make of it.
 */

/** What must become of an item: stored, dead-lettered, or either (arbitrary JSON: one of the two, exactly). */
export type Verdict = 'valid' | 'invalid' | 'either';

/** A JSON token written as it is (`1e400`, a 10,000-deep array): what JSON.stringify cannot write. */
export class Raw {
  constructor(readonly text: string) {}
}

/** One element of the request's `events`. */
export interface Item {
  value: unknown;
  verdict: Verdict;
  /** Makes the whole request a 400 (another tenant, not an object). */
  refusesRequest?: boolean;
  /** May make the whole request a 400 (a JSON depth limit in front of the route). */
  mayRefuseRequest?: boolean;
}

/** The request body as text, raw tokens in place. */
export function bodyText(items: readonly Item[]): string {
  const raws: string[] = [];
  const nonce = `@@raw${Math.random().toString(36).slice(2)}@@`;
  const text = JSON.stringify({ events: items.map((i) => i.value) }, (_k, v: unknown) =>
    v instanceof Raw ? `${nonce}${raws.push(v.text) - 1}` : v,
  );
  return text.replace(new RegExp(`"${nonce}(\\d+)"`, 'g'), (_m, n: string) => raws[Number(n)]!);
}

const DAY = 86_400_000;
/** Text the schema accepts: well-formed, no control characters, at most `max` code points. */
const text = (max: number) =>
  fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: Math.min(max, 24) })
    .filter((s) => !/[\p{Cc}\p{Cs}]/u.test(s) && [...s].length <= max);
const durationMs = fc.integer({ min: 0, max: 7 * DAY });

/** Bodies of valid events, per source, with the names of their text and integer fields. */
function bodies(now: number) {
  return {
    agent: fc.record(
      {
        agentId: text(128),
        state: fc.constantFrom('LOGGED_OUT', 'AVAILABLE', 'RINGING', 'ON_CALL', 'HOLD', 'ACW', 'AUX'),
        reason: text(64),
        callId: text(128),
        skillGroups: fc.array(text(128), { maxLength: 4 }),
      },
      { requiredKeys: ['agentId', 'state'] },
    ),
    extension: fc.record(
      { extension: text(128), state: fc.constantFrom('IDLE', 'RINGING', 'BUSY', 'UNAVAILABLE', 'DND'), callId: text(128) },
      { requiredKeys: ['extension', 'state'] },
    ),
    skillgroup: fc.record(
      {
        skillGroup: text(128),
        callId: text(128),
        type: fc.constantFrom('OFFERED', 'ANSWERED', 'ABANDONED', 'TRANSFERRED', 'OVERFLOWED', 'COMPLETED'),
        waitMs: durationMs,
        talkMs: durationMs,
        holdMs: durationMs,
        acwMs: durationMs,
        agentId: text(128),
        priority: fc.integer({ min: 0, max: 9 }),
        channel: text(32),
        reason: text(64),
      },
      { requiredKeys: ['skillGroup', 'callId', 'type'] },
    ),
    interval: fc
      .tuple(
        fc.record({
          scope: fc.constantFrom('skillgroup', 'agent'),
          key: text(128),
          intervalStart: fc.integer({ min: now - 30 * DAY, max: now }),
          intervalSec: fc.constantFrom(900, 1800),
        }),
        fc.dictionary(
          text(64).filter((k) => !['scope', 'key', 'intervalStart', 'intervalSec', '__proto__'].includes(k)),
          fc.double({ min: 0, max: 1e12, noNaN: true }),
          { maxKeys: 8 },
        ),
      )
      .map(([fixed, counters]) => ({ ...counters, ...fixed })),
  };
}

type Source = 'agent' | 'extension' | 'skillgroup' | 'interval';
const TEXT_FIELDS: Record<Source, string[]> = {
  agent: ['agentId', 'reason', 'callId'],
  extension: ['extension', 'callId'],
  skillgroup: ['skillGroup', 'callId', 'agentId', 'channel', 'reason'],
  interval: ['key'],
};
/** Text fields the schema allows empty. */
const MAY_BE_EMPTY = new Set(['reason', 'channel']);
const INT_FIELDS: Record<Source, string[]> = {
  agent: [],
  extension: [],
  skillgroup: ['waitMs', 'talkMs', 'holdMs', 'acwMs', 'priority'],
  interval: ['intervalStart'],
};
const REQUIRED: Record<Source, string[]> = {
  agent: ['agentId', 'state'],
  extension: ['extension', 'state'],
  skillgroup: ['skillGroup', 'callId', 'type'],
  interval: ['scope', 'key', 'intervalStart', 'intervalSec'],
};

/** Strings no id or name may be: lone surrogates, NUL, controls, empty, too long. */
const poisonText = fc.oneof(
  fc.constantFrom(
    'sg\ud800x',
    '\udfff',
    'sales\u0000',
    '\u0000',
    'sales\n',
    'a\tb',
    '\u001b[31mred',
    'x\u007f',
    'x\u0085',
    '',
    'sales\r\n',
  ),
  fc.integer({ min: 129, max: 20_000 }).map((n) => 'x'.repeat(n)),
);
/** Integers no time or duration may be: past any bound, fractional, negative, non-finite once parsed. */
const poisonInt = fc.constantFrom('1e400', '-1e400', '1e300', '9007199254740993', '-1', '1.5', '"12"', 'null', 'true');
const deep = fc.integer({ min: 50, max: 12_000 }).map((d) => new Raw(`${'['.repeat(d)}${']'.repeat(d)}`));

/** A valid event of any source with an id of its own, and `now`-relative times. */
export function validEvent(now: number, nextId: () => string) {
  const b = bodies(now);
  return fc
    .oneof(
      ...(Object.keys(b) as Source[]).map((source) => fc.tuple(fc.constant(source), b[source] as fc.Arbitrary<Record<string, unknown>>)),
    )
    .chain(([source, body]) =>
      fc.integer({ min: now - 3_600_000, max: now }).map((ts) => ({ v: 1, tenant: 'acme', source, id: nextId(), ts, body })),
    );
}

type Event = { v: unknown; tenant: unknown; source: Source; id: unknown; ts: unknown; body: Record<string, unknown> };

/** The same event with one field broken: what the schema (or the decode limits) must refuse. */
function broken(now: number, nextId: () => string): fc.Arbitrary<Item> {
  return fc.tuple(validEvent(now, nextId), fc.nat(), fc.nat()).chain(([e0, a, b]) => {
    const e = e0 as Event;
    const texts = TEXT_FIELDS[e.source];
    const ints = INT_FIELDS[e.source];
    const pick = <T>(xs: readonly T[], n: number) => xs[n % xs.length]!;
    const body = (k: string, v: unknown): Item => ({ value: { ...e, body: { ...e.body, [k]: v } }, verdict: 'invalid' });
    const top = (k: string, v: unknown): Item => ({ value: { ...e, [k]: v }, verdict: 'invalid' });
    return fc.oneof(
      // An empty reason or channel is allowed (they are optional text); an empty id or name is not.
      poisonText.filter((t) => t !== '' || !MAY_BE_EMPTY.has(pick(texts, a))).map((t) => body(pick(texts, a), t)),
      poisonText.map((t) => top('id', t)),
      poisonInt.map((t) => top('ts', new Raw(t))),
      fc.constantFrom(now + DAY, now - 500 * DAY, 10_413_792_000_000).map((t) => top('ts', t)),
      ...(ints.length > 0 ? [poisonInt.map((t) => body(pick(ints, b), new Raw(t)))] : []),
      ...(e.source === 'interval'
        ? [
            fc.constantFrom('1e400', '1e300', '-1', '1e13', '"3"').map((t) => body(`c${b % 7}`, new Raw(t))),
            poisonText.filter((t) => t.length > 0 && t.length < 100).map((t) => body(t, 1)),
            fc.constantFrom(now + DAY, now - 500 * DAY, 1e300).map((t) => body('intervalStart', t)),
          ]
        : []),
      deep.map((d): Item => ({ ...body(pick([...texts, 'zz'], a), d), mayRefuseRequest: true })),
      fc.constant(body('zz', 'not allowed')),
      fc.constant(top('v', 2)),
      fc.constant(top('source', 'fax')),
      fc.constant(top('body', [])),
      fc.constant({
        value: { ...e, body: Object.fromEntries(Object.entries(e.body).filter(([k]) => k !== pick(REQUIRED[e.source], a))) },
        verdict: 'invalid' as const,
      }),
    );
  });
}

/** Arbitrary JSON under the key's tenant: stored or dead-lettered, never both, never lost. */
function arbitrary(now: number, nextId: () => string): fc.Arbitrary<Item> {
  const anyJson = fc.jsonValue({ maxDepth: 4 });
  return fc.oneof(
    fc
      .dictionary(
        fc.string({ unit: 'binary', maxLength: 12 }).filter((k) => k !== 'tenant' && k !== '__proto__'),
        anyJson,
        { maxKeys: 6 },
      )
      .map((o) => ({ value: { ...o, tenant: 'acme' }, verdict: 'either' as const })),
    fc
      .tuple(
        fc.constantFrom<Source>('agent', 'extension', 'skillgroup', 'interval'),
        fc.dictionary(
          fc.string({ unit: 'binary', maxLength: 12 }).filter((k) => k !== '__proto__'),
          anyJson,
          { maxKeys: 6 },
        ),
      )
      .map(([source, body]) => ({
        value: { v: 1, tenant: 'acme', source, id: nextId(), ts: now - 1_000, body },
        verdict: 'either' as const,
      })),
    fc.tuple(validEvent(now, nextId), fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), fc.nat()).map(([e, s, a]) => {
      const ev = e as Event;
      const k = TEXT_FIELDS[ev.source][a % TEXT_FIELDS[ev.source].length]!;
      return { value: { ...ev, body: { ...ev.body, [k]: s } }, verdict: 'either' as const };
    }),
  );
}

/** Items that refuse the whole request: another tenant's event, or no object at all. */
const requestBreaker = (nextId: () => string): fc.Arbitrary<Item> =>
  fc.oneof(
    fc.constant({
      value: { v: 1, tenant: 'globex', source: 'agent', id: nextId(), ts: 0, body: {} },
      verdict: 'invalid' as const,
      refusesRequest: true,
    }),
    fc
      .constantFrom<unknown>(7, 'x', null, [], new Raw('1e400'))
      .map((value) => ({ value, verdict: 'invalid' as const, refusesRequest: true })),
  );

/** One request's events: mostly valid and broken events and arbitrary JSON; now and then one that refuses it all. */
export function hostileBatch(now: number, nextId: () => string): fc.Arbitrary<Item[]> {
  const item = fc.oneof(
    { weight: 4, arbitrary: validEvent(now, nextId).map((value): Item => ({ value, verdict: 'valid' })) },
    { weight: 4, arbitrary: broken(now, nextId) },
    { weight: 2, arbitrary: arbitrary(now, nextId) },
  );
  return fc
    .tuple(
      fc.array(item, { minLength: 1, maxLength: 10 }),
      fc.oneof({ weight: 7, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: requestBreaker(nextId) }),
      fc.nat(),
    )
    .map(([items, breaker, at]) => {
      if (!breaker) return items;
      const out = [...items];
      out.splice(at % (out.length + 1), 0, breaker);
      return out;
    });
}

/** The id an item carries, when it is a string. */
export function idOf(item: Item): string | undefined {
  const v = item.value as { id?: unknown } | null;
  return typeof v === 'object' && v !== null && typeof v.id === 'string' ? v.id : undefined;
}
