import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';

/** Row formats an {@link EncodedInsert} body may be in: line-delimited JSON, one row per line. */
export type EncodedFormat = 'JSONEachRow' | 'JSONCompactEachRow';

/** An insert whose rows are already encoded: the engine parses them, JavaScript never builds them again. */
export interface EncodedInsert {
  /** Database-qualified table, e.g. `sluice.events_raw`. */
  readonly table: string;
  readonly format: EncodedFormat;
  /** Column names, in the order of a JSONCompactEachRow row (omit for JSONEachRow). */
  readonly columns?: readonly string[];
  /** The rows, each ending with a newline. */
  readonly body: Buffer;
  /** Settings of this insert alone (e.g. `insert_deduplication_token`). */
  readonly settings: Readonly<Record<string, string | number>>;
}

/** Runs an {@link EncodedInsert}; resolves once the engine acknowledged it. */
export type EncodedInserter = (insert: EncodedInsert) => Promise<void>;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

function checkNames(insert: EncodedInsert): void {
  if (!IDENT.test(insert.table)) throw new Error(`insert table must be an identifier (db.table), got "${insert.table}"`);
  for (const c of insert.columns ?? []) if (!IDENT.test(c)) throw new Error(`insert column must be an identifier, got "${c}"`);
}

/**
 * For a ClickHouse server: `INSERT INTO t (cols) FORMAT f` with the body streamed as the request body
 * (`client.exec`), settings as per-request parameters. `client.insert` cannot do this: for JSON formats
 * it serialises JavaScript values itself.
 */
export function execInserter(client: ClickHouseClient): EncodedInserter {
  return async (insert) => {
    checkNames(insert);
    const cols = insert.columns ? ` (${insert.columns.join(', ')})` : '';
    const res = await client.exec({
      query: `INSERT INTO ${insert.table}${cols} FORMAT ${insert.format}`,
      values: Readable.from([insert.body], { objectMode: false }),
      clickhouse_settings: { ...insert.settings },
    });
    res.stream.resume();
    await new Promise<void>((resolve, reject) => {
      res.stream.once('end', resolve);
      res.stream.once('close', resolve);
      res.stream.once('error', reject);
    });
  };
}

/** What {@link chdbInserter} needs of `chdb/connection`'s `.chdb` extension. */
export interface ChdbRawInsert {
  rawInsert(params: {
    table: string;
    values: Buffer;
    format: EncodedFormat;
    columns?: readonly string[];
    settings?: Record<string, string | number>;
  }): Promise<unknown>;
}

/**
 * For chDB: the body is handed to the engine as bytes, without copying it into an SQL string, and
 * parsed on chDB's own threads; settings go into the statement's `SETTINGS` clause, so they apply to
 * this insert only (the `@clickhouse/client` path turns them into session-wide `SET`s).
 */
export function chdbInserter(chdb: ChdbRawInsert): EncodedInserter {
  return async (insert) => {
    checkNames(insert);
    if (insert.body.length === 0) return;
    await chdb.rawInsert({
      table: insert.table,
      values: insert.body,
      format: insert.format,
      columns: insert.columns,
      settings: { ...insert.settings },
    });
  };
}

/**
 * JSONEachRow body of objects already encoded as JSON (bytes as received), one per line. A line break
 * in JSON text lies between tokens (inside a string it must be escaped), so making it a space changes
 * nothing a parser reads — and a row must not span lines: chDB ends an insert's data at an empty line.
 */
export function jsonLines(texts: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const t of texts) size += t.length + 1;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const t of texts) {
    out.set(t, at);
    if (t.includes(0x0a) || t.includes(0x0d))
      for (let i = at; i < at + t.length; i++) if (out[i] === 0x0a || out[i] === 0x0d) out[i] = 0x20;
    at += t.length;
    out[at++] = 0x0a;
  }
  return out;
}

/** JSONCompactEachRow body of `rows` (arrays of values in column order). */
export function compactRows(rows: readonly (readonly unknown[])[]): Buffer {
  let text = '';
  for (const r of rows) text += `${JSON.stringify(r)}\n`;
  return Buffer.from(text, 'utf8');
}
