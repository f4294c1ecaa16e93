import { describe, expect, it } from 'vitest';
import { clickHouseCode, isInsertRefused, refusalReason, REFUSED_CODES, UNAVAILABLE_CODES } from './errors.js';

/** A failure as chDB raises it (`clickhouseCode`, the code repeated in the message). */
const chdb = (code: number, text: string) =>
  Object.assign(new Error(`Code: ${code}. DB::Exception: Code: ${code}. DB::Exception: ${text}`), {
    clickhouseCode: code,
    code: 'CHDB_INSERT',
  });
/** A failure as `@clickhouse/client` raises it for a server (`code` as digits). */
const server = (code: number, text: string) => Object.assign(new Error(text), { code: String(code), type: 'X' });

describe('ClickHouse insert failures', () => {
  it('refuses the rows for the parse, type and range codes, from chDB and from a server alike', () => {
    expect([...REFUSED_CODES.keys()]).toEqual([6, 25, 26, 27, 38, 41, 53, 69, 70, 72, 117, 130, 131, 190, 248, 321, 349, 376, 407]);
    for (const code of REFUSED_CODES.keys()) {
      expect(isInsertRefused(chdb(code, 'bad row')), `chDB ${code}`).toBe(true);
      expect(isInsertRefused(server(code, 'bad row')), `server ${code}`).toBe(true);
    }
  });

  it('waits out unavailability: network, timeouts, memory, too many parts, read-only, missing tables, and anything without a code', () => {
    expect([...UNAVAILABLE_CODES.keys()]).toEqual([
      16, 60, 81, 159, 164, 173, 202, 203, 209, 210, 225, 241, 242, 243, 252, 285, 319, 394, 497, 516, 999,
    ]);
    for (const code of UNAVAILABLE_CODES.keys()) {
      expect(
        isInsertRefused(chdb(code, 'Too many parts (3001). Merges are processing significantly slower than inserts')),
        `chDB ${code}`,
      ).toBe(false);
      expect(isInsertRefused(server(code, 'down')), `server ${code}`).toBe(false);
    }
    expect(isInsertRefused(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isInsertRefused(new Error('Timeout error.'))).toBe(false);
    expect(isInsertRefused(chdb(49, 'Logical error'))).toBe(false); // unknown to the lists: retried, never dropped
    expect(isInsertRefused(undefined)).toBe(false);
    expect(isInsertRefused('Code: 27.')).toBe(false);
  });

  it('tells "too many partitions in one insert" (the rows: split them) from "too many parts" (the store: wait), both code 252', () => {
    expect(isInsertRefused(chdb(252, 'Too many partitions for single INSERT block (more than 100).'))).toBe(true);
    expect(isInsertRefused(server(252, 'Too many partitions for single INSERT block (more than 100).'))).toBe(true);
    expect(isInsertRefused(server(252, 'Too many parts (600). Merges are processing significantly slower than inserts'))).toBe(false);
  });

  it('reads the code from chDB, a server error or the message', () => {
    expect(clickHouseCode(chdb(25, 'x'))).toBe(25);
    expect(clickHouseCode(server(27, 'x'))).toBe(27);
    expect(clickHouseCode(new Error("Code: 72. DB::Exception: Unsigned type must not contain '-' symbol"))).toBe(72);
    expect(clickHouseCode(new Error('socket hang up'))).toBeUndefined();
  });

  it("gives ClickHouse's own reason once, named, bounded and well-formed", () => {
    const reason = refusalReason(chdb(25, 'Cannot parse escape sequence: missing second part of surrogate pair: (at row 1)'));
    expect(reason).toBe(
      'ClickHouse code 25 (CANNOT_PARSE_ESCAPE_SEQUENCE): Cannot parse escape sequence: missing second part of surrogate pair: (at row 1)',
    );
    const long = refusalReason(chdb(27, `parsed text: "sg\ud800${'x'.repeat(5_000)}"`));
    expect(long.length).toBe(1_000);
    expect(long).not.toMatch(/\p{Cs}/u);
    expect(long).toContain('sg\uFFFD');
  });
});
