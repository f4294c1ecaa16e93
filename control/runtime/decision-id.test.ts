import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecisionIds } from './decision-id.js';
import { POOLS } from './decisions.js';

const SECRET = Buffer.from('a shared secret of at least thirty-two bytes');
const T0 = 1_765_000_000_123;
const ids = (prefix = '0123456789', secret = SECRET) => new DecisionIds(secret, prefix, POOLS);
const nOf = (ring: number, seq: number) => seq * POOLS + ring;

describe('DecisionIds', () => {
  it('signs ids that say who decided, which number, when, for which tenant and target, and verifies them', () => {
    const s = ids();
    const id = s.sign(3, nOf(3, 7), T0, 'acme', 'cti:cti-primary');
    expect(id).toMatch(/^0123456789-[0-9a-z]+\.[0-9a-z]+\.acme\.cti:cti-primary\.[A-Za-z0-9_-]{10}$/);
    expect(s.verify(id)).toEqual({
      prefix: '0123456789',
      n: nOf(3, 7),
      sec: Math.floor(T0 / 1000),
      tenant: 'acme',
      breakerKey: 'cti:cti-primary',
    });
    // Another instance with the same secret verifies it too; one with another secret does not.
    expect(ids('fedcba9876').verify(id)?.tenant).toBe('acme');
    expect(ids('fedcba9876', Buffer.from('another secret of at least thirty-two bytes')).verify(id)).toBeNull();
  });

  it('carries breaker keys of any text (base64url past the plain alphabet) and the empty key of reject', () => {
    const s = ids();
    for (const key of ['', 'channel:smart_ivr', 'cti:nœud.2 est', 'cti:a/b']) {
      const id = s.sign(1, nOf(1, 1), T0, 'globex', key);
      expect(s.verify(id)?.breakerKey).toBe(key);
    }
    expect(s.sign(1, nOf(1, 2), T0, 'globex', 'cti:a/b')).toContain('.~');
  });

  it('gives the same id whether its pad came from a batch or alone (batches across seconds and rings)', () => {
    const batched = ids();
    const got: string[] = [];
    for (let seq = 0; seq < 100; seq++) {
      for (const ring of [0, 5]) got.push(batched.sign(ring, nOf(ring, seq), T0 + seq * 97, `t${ring}`, 'cti:a'));
    }
    let i = 0;
    for (let seq = 0; seq < 100; seq++) {
      for (const ring of [0, 5]) {
        const alone = ids();
        expect(alone.sign(ring, nOf(ring, seq), T0 + seq * 97, `t${ring}`, 'cti:a')).toBe(got[i++]);
      }
    }
    for (const id of got) expect(batched.verify(id)).not.toBeNull();
    expect(new Set(got).size).toBe(got.length);
  });

  it('refuses ids that are not canonical, so one decision has one id text (the dedup key)', () => {
    const s = ids();
    const id = s.sign(2, nOf(2, 9), T0, 'acme', 'cti:a');
    const [head, sec, tenant, key, tag] = id.split('.') as [string, string, string, string, string];
    const [prefix, n] = head.split('-') as [string, string];
    expect(s.verify(`${prefix}-0${n}.${sec}.${tenant}.${key}.${tag}`)).toBeNull();
    expect(s.verify(`${prefix}-${n}.0${sec}.${tenant}.${key}.${tag}`)).toBeNull();
    expect(s.verify(`${prefix}-${n}.${sec}.${tenant}.~${Buffer.from(key).toString('base64url')}.${tag}`)).toBeNull();
  });

  it('refuses every tampered id: any field, any character changed, added or removed', () => {
    const s = ids();
    const valid = [s.sign(0, nOf(0, 1), T0, 'acme', 'cti:a'), s.sign(9, nOf(9, 12_345), T0 + 5_000, 'globex', 'channel:callback')];
    const alphabet = 'abcz019AZ-_.:~';
    fc.assert(
      fc.property(
        fc.constantFrom(...valid),
        fc.nat(),
        fc.constantFrom(...alphabet),
        fc.constantFrom('replace', 'insert', 'delete'),
        (id, at, ch, how) => {
          const i = at % id.length;
          const t =
            how === 'replace'
              ? id.slice(0, i) + ch + id.slice(i + 1)
              : how === 'insert'
                ? id.slice(0, i) + ch + id.slice(i)
                : id.slice(0, i) + id.slice(i + 1);
          if (t === id) return;
          expect(s.verify(t)).toBeNull();
        },
      ),
      { numRuns: 2_000 },
    );
    // Swapping whole fields between two valid ids (another tenant's name on my tag, …) fails too.
    const [a, b] = valid.map((v) => v.split('.')) as [string[], string[]];
    for (let f = 0; f < 5; f++) {
      const mixed = a.map((x, i) => (i === f ? b[i] : x)).join('.');
      expect(s.verify(mixed)).toBeNull();
    }
  });

  it('answers null, never throws, for arbitrary text', () => {
    const s = ids();
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 60 })), (x) => {
        expect(s.verify(x)).toBeNull();
      }),
    );
    expect(s.verify(undefined as unknown as string)).toBeNull();
  });

  it('refuses a short secret and a malformed prefix', () => {
    expect(() => ids('0123456789', Buffer.from('short'))).toThrow(/16 bytes/);
    expect(() => ids('xyz')).toThrow(/10 hex digits/);
  });
});
