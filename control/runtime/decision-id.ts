/**
 * Self-describing, signed decision ids, so that any control instance can take
 * a decision's outcome (issue 16), not only the one that decided.
 *
 * An id reads `<prefix>-<n>.<sec>.<tenant>.<key>.<tag>`:
 * - `prefix`: the deciding process (10 hex digits, random per process), `n`: the
 *   decision's number there in base 36 (it names the tenant's ring and the place
 *   in it, see `decisions.ts`), so the deciding instance finds it without hashing;
 * - `sec`: issue time in epoch seconds (base 36), for expiry anywhere;
 * - `tenant`: the tenant the decision was made for (tenant isolation anywhere);
 * - `key`: the target's breaker key (verbatim when made of `[A-Za-z0-9:_-]`,
 *   else `~` and base64url; empty for `reject`), for the evidence when the
 *   deciding instance is gone;
 * - `tag`: 60 bits (10 base64url characters) binding all of the above.
 *
 * The tag is a Wegman–Carter–Shoup MAC: `tag = E(prefix, n, sec) ⊕ F(tenant, key)`,
 * E being AES-128 on one block (a pseudo-random permutation used as a
 * pseudo-random function on a nonce: a process never signs the same
 * `(prefix, n)` twice) and F the first 64 bits of HMAC-SHA256 over tenant and key
 * (a pseudo-random function, hence almost-XOR-universal). Changing any field of an
 * id changes E or F by an amount unknown without the key; a guess succeeds
 * with probability 2⁻⁶⁰. Both keys derive from one secret (HKDF-SHA256): the
 * instances that share it (`SLUICE_DECISION_KEY`) verify each other's ids.
 *
 * Why not plain HMAC per id: `createHmac` costs about 3.5 µs here, seven times a
 * whole decision. Here F is the same for every decision of a tenant and target
 * and is cached; E is computed for 32 upcoming numbers of a ring in one native
 * call. Signing costs a few array reads, two XORs and a short string. Verifying
 * (only for an id of another instance) costs one AES block and one HMAC.
 */
import { createCipheriv, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Cipher } from 'node:crypto';

/** What an id says, once its tag is verified. */
export interface DecisionIdParts {
  /** The deciding process's prefix (10 hex digits). */
  readonly prefix: string;
  /** The decision's number at the deciding process. */
  readonly n: number;
  /** Issue time, epoch seconds. */
  readonly sec: number;
  readonly tenant: string;
  /** The target's breaker key ('' for reject). */
  readonly breakerKey: string;
}

/** Most decision numbers whose pads one native call computes, per ring (a ring starts at 8 and doubles while it uses them up). */
const BATCH = 128;
const FIRST_BATCH = 8;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Every 12-bit value as two base64url characters. */
const PAIRS: readonly string[] = Array.from({ length: 4096 }, (_, i) => ALPHABET[i & 63]! + ALPHABET[i >> 6]!);
const ID = /^([0-9a-f]{10})-([0-9a-z]{1,11})\.([0-9a-z]{1,7})\.([a-z0-9][a-z0-9_-]{0,62})\.(~?[A-Za-z0-9:_-]{0,128})\.([A-Za-z0-9_-]{10})$/;
const VERBATIM = /^[A-Za-z0-9:_-]*$/;

/** The id text of a breaker key. */
function keyText(key: string): string {
  return VERBATIM.test(key) ? key : `~${Buffer.from(key, 'utf8').toString('base64url')}`;
}

/** The breaker key of an id's key text, or null when it is not the canonical text of one. */
function keyOf(text: string): string | null {
  if (!text.startsWith('~')) return text;
  const key = Buffer.from(text.slice(1), 'base64url').toString('utf8');
  return keyText(key) === text ? key : null;
}

/** The part of an id fixed by tenant and key, with F. */
interface Segment {
  /** `.<tenant>.<key>.` */
  readonly text: string;
  readonly f0: number;
  readonly f1: number;
  /** `.<sec>.<tenant>.<key>.` for second `sec`. */
  mid: string;
  sec: number;
}

/** One ring's pads for decision numbers `from + j·step`, j < size, issued in second `sec`. */
interface Pads {
  from: number;
  sec: number;
  size: number;
  readonly words: Int32Array;
}

/** See the module comment. */
export class DecisionIds {
  /** This process's prefix (10 hex digits). */
  readonly prefix: string;
  /** `<prefix>-` */
  readonly #head: string;
  readonly #aes: Cipher;
  readonly #macKey: Buffer;
  readonly #step: number;
  readonly #pads: (Pads | undefined)[] = [];
  readonly #segments = new Map<string, Map<string, Segment>>();
  readonly #block = Buffer.alloc(16 * BATCH);
  readonly #view = new DataView(this.#block.buffer, this.#block.byteOffset, this.#block.length);
  #sec = -1;
  #sec36 = '';

  /**
   * @param secret the fleet's shared secret (at least 16 bytes)
   * @param prefix this process's prefix, 10 hex digits
   * @param step distance between successive numbers of one ring (`POOLS`)
   */
  constructor(secret: Buffer, prefix: string, step: number) {
    if (!/^[0-9a-f]{10}$/.test(prefix)) throw new Error(`decision id prefix must be 10 hex digits (got ${prefix})`);
    if (secret.length < 16) throw new Error('decision id secret must have at least 16 bytes');
    const keys = Buffer.from(hkdfSync('sha256', secret, 'sluice', 'sluice/decision-id/v1', 48));
    this.prefix = prefix;
    this.#head = `${prefix}-`;
    const bytes = Buffer.from(prefix, 'hex');
    for (let j = 0; j < BATCH; j++) bytes.copy(this.#block, 16 * j);
    this.#aes = createCipheriv('aes-128-ecb', keys.subarray(0, 16), null);
    this.#aes.setAutoPadding(false);
    this.#macKey = keys.subarray(16);
    this.#step = step;
  }

  /**
   * The id of decision `n` of ring `ring`, issued at `nowMs` for `tenant` with target breaker `breakerKey`.
   * Successive calls for one ring must give growing `n`, `step` apart (as the ring hands them out).
   */
  sign(ring: number, n: number, nowMs: number, tenant: string, breakerKey: string): string {
    const sec = Math.floor(nowMs / 1000);
    if (sec !== this.#sec) {
      this.#sec = sec;
      this.#sec36 = sec.toString(36);
    }
    let p = this.#pads[ring];
    if (p === undefined) this.#pads[ring] = p = { from: 0, sec: -1, size: FIRST_BATCH, words: new Int32Array(2 * BATCH) };
    let j = (n - p.from) / this.#step;
    if (p.sec !== sec || !(j >= 0 && j < p.size) || j !== Math.floor(j)) {
      // Used up within one second: a busy ring, give it more next time.
      if (p.sec === sec && j === p.size && p.size < BATCH) p.size *= 2;
      this.#fill(p, n, sec);
      j = 0;
    }
    const s = this.#segment(tenant, breakerKey);
    if (s.sec !== sec) {
      s.sec = sec;
      s.mid = `.${this.#sec36}${s.text}`;
    }
    return this.#head + n.toString(36) + s.mid + tag(p.words[2 * j]! ^ s.f0, p.words[2 * j + 1]! ^ s.f1);
  }

  /** What a well-formed id with a valid tag says, or null (wrong shape, not canonical, or a tag that does not match). */
  verify(id: string): DecisionIdParts | null {
    if (typeof id !== 'string' || id.length > 300) return null;
    const m = ID.exec(id);
    if (m === null) return null;
    const [, prefix, n36, sec36, tenant, text, given] = m as unknown as [string, string, string, string, string, string, string];
    const n = parseInt(n36, 36);
    const sec = parseInt(sec36, 36);
    // Canonical forms only: one decision, one id text (the dedup key would otherwise have twins).
    if (!Number.isSafeInteger(n) || n.toString(36) !== n36 || sec > 0xffffffff || sec.toString(36) !== sec36) return null;
    const breakerKey = keyOf(text);
    if (breakerKey === null) return null;
    const block = Buffer.alloc(16);
    Buffer.from(prefix, 'hex').copy(block, 0);
    writeBlock(block, 0, n, sec);
    const e = this.#aes.update(block);
    const f = createHmac('sha256', this.#macKey).update(`${tenant}\n${breakerKey}`).digest();
    const want = tag(e.readInt32LE(0) ^ f.readInt32LE(0), e.readInt32LE(4) ^ f.readInt32LE(4));
    if (!timingSafeEqual(Buffer.from(want), Buffer.from(given))) return null;
    return { prefix, n, sec, tenant, breakerKey };
  }

  /** Forgets cached pads of ring `ring` (when the ring is reused, e.g. in tests); never needed for correctness. */
  forget(ring: number): void {
    this.#pads[ring] = undefined;
  }

  #fill(p: Pads, n: number, sec: number): void {
    const b = this.#block;
    const size = p.size;
    const v0 = this.#view;
    for (let j = 0; j < size; j++) {
      const nj = n + j * this.#step;
      const at = 16 * j;
      // n in 7 bytes (hi 3, lo 4), sec in 4, after the 5 prefix bytes; as writeBlock, without its checks.
      const hi = Math.floor(nj / 0x1_0000_0000);
      v0.setUint8(at + 5, hi >>> 16);
      v0.setUint16(at + 6, hi & 0xffff);
      v0.setUint32(at + 8, nj >>> 0);
      v0.setUint32(at + 12, sec);
    }
    const out = this.#aes.update(size === BATCH ? b : b.subarray(0, 16 * size));
    const v = new DataView(out.buffer, out.byteOffset, out.length);
    for (let j = 0; j < size; j++) {
      p.words[2 * j] = v.getInt32(16 * j, true);
      p.words[2 * j + 1] = v.getInt32(16 * j + 4, true);
    }
    p.from = n;
    p.sec = sec;
  }

  #segment(tenant: string, key: string): Segment {
    let byKey = this.#segments.get(tenant);
    if (byKey === undefined) {
      // Bounded: unknown tenants' names come from requests. Past the bound the cache starts over.
      if (this.#segments.size >= 8_192) this.#segments.clear();
      this.#segments.set(tenant, (byKey = new Map()));
    }
    let s = byKey.get(key);
    if (s === undefined) {
      const f = createHmac('sha256', this.#macKey).update(`${tenant}\n${key}`).digest();
      s = { text: `.${tenant}.${keyText(key)}.`, f0: f.readInt32LE(0), f1: f.readInt32LE(4), mid: '', sec: -1 };
      if (byKey.size < 64) byKey.set(key, s);
    }
    return s;
  }
}

/** Writes n (7 bytes, big-endian) and sec (4 bytes) after the 5 prefix bytes of the block at `at`. */
function writeBlock(b: Buffer, at: number, n: number, sec: number): void {
  const hi = Math.floor(n / 0x1_0000_0000);
  b.writeUIntBE(hi, at + 5, 3);
  b.writeUInt32BE(n >>> 0, at + 8);
  b.writeUInt32BE(sec, at + 12);
}

/** 60 bits of two words (30 of each) as 10 base64url characters. */
function tag(a: number, b: number): string {
  return (
    PAIRS[a & 4095]! +
    PAIRS[(a >>> 12) & 4095]! +
    PAIRS[b & 4095]! +
    PAIRS[(b >>> 12) & 4095]! +
    PAIRS[((a >>> 24) & 63) | (((b >>> 24) & 63) << 6)]!
  );
}
