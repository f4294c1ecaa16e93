/**
 * The little SQL reading the chDB-over-HTTP test server needs (see `clickhouse-http.ts`): where an
 * `INSERT … FORMAT x` statement's inline data begins, whether a request holds more than one
 * statement, and which format its result is in. A lexer, not a parser: it skips string literals,
 * quoted identifiers and comments, so a `;` or `FORMAT` inside them counts for nothing.
 */

/** A word or punctuation at the top level of a statement, outside literals and comments. */
interface Token {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

const WORD = /[A-Za-z0-9_]/;

/** The end of the quoted run opening at `at` (quote char `q`), ClickHouse escaping: `\x` and doubled quotes. */
function skipQuoted(sql: string, at: number, q: string): number {
  let i = at + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (c === '\\') i += 2;
    else if (c === q) {
      if (sql[i + 1] === q) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

/** Tokens of `sql` from `from` on; `stop` ends the scan early (the token it returned true for is kept). */
function scan(sql: string, from = 0, stop?: (t: Token, all: Token[]) => boolean): Token[] {
  const out: Token[] = [];
  let i = from;
  while (i < sql.length) {
    const c = sql[i]!;
    const before = out.length;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      i++;
    } else if (c === "'" || c === '"' || c === '`') {
      const end = skipQuoted(sql, i, c);
      out.push({ text: c, start: i, end });
      i = end;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (c === '#' && (sql[i + 1] === ' ' || sql[i + 1] === '!')) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      // ClickHouse comments nest.
      let depth = 1;
      i += 2;
      while (i < sql.length && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
    } else if (WORD.test(c)) {
      let j = i + 1;
      while (j < sql.length && WORD.test(sql[j]!)) j++;
      out.push({ text: sql.slice(i, j), start: i, end: j });
      i = j;
    } else {
      out.push({ text: c, start: i, end: i + 1 });
      i++;
    }
    if (stop && out.length > before && stop(out[out.length - 1]!, out)) break;
  }
  return out;
}

/** What a request's SQL is, as far as the server must know before handing it to the engine. */
export type Statement =
  /** `INSERT … FORMAT f` followed by inline data: `prefix` ends after the format name, `data` starts after one separator. */
  | { kind: 'insert-data'; prefix: string; format: string; dataStart: number }
  /** Anything else: one statement, run as it is; `format` is its `FORMAT` clause, if it has one. */
  | { kind: 'query'; format?: string; readOnly: boolean }
  /** More than one statement (a real server refuses these over HTTP). */
  | { kind: 'multi'; at: number };

const READ_ONLY = new Set(['SELECT', 'WITH', 'SHOW', 'DESC', 'DESCRIBE', 'EXISTS', 'EXPLAIN', 'CHECK']);

/**
 * Reads `sql` far enough to tell an insert with inline data (the data is not SQL and is not lexed)
 * from one statement and from several.
 */
export function classify(sql: string): Statement {
  const head = scan(sql, 0, (_t, all) => all.length >= 1);
  const first = head[0]?.text.toUpperCase();
  if (first === 'INSERT') {
    let depth = 0;
    let sawFormat = false;
    let result: Statement | undefined;
    scan(sql, head[0]!.end, (t) => {
      if (t.text === '(') depth++;
      else if (t.text === ')') depth--;
      else if (depth === 0 && sawFormat && WORD.test(t.text[0]!)) {
        const sep = sql[t.end] === '\r' && sql[t.end + 1] === '\n' ? 2 : /\s/.test(sql[t.end] ?? '') ? 1 : 0;
        result = { kind: 'insert-data', prefix: sql.slice(0, t.end), format: t.text, dataStart: t.end + sep };
        return true;
      } else if (depth === 0 && t.text.toUpperCase() === 'FORMAT') sawFormat = true;
      else if (depth === 0 && (t.text.toUpperCase() === 'VALUES' || t.text.toUpperCase() === 'SELECT' || t.text === ';')) return true;
      return false;
    });
    if (result) return result;
  }
  const tokens = scan(sql);
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.text === ';' && tokens.slice(i + 1).some((t) => t.text !== ';')) return { kind: 'multi', at: tokens[i]!.start };
  }
  let format: string | undefined;
  const words = tokens.filter((t) => t.text !== ';');
  const n = words.length;
  if (n >= 2 && words[n - 2]!.text.toUpperCase() === 'FORMAT' && WORD.test(words[n - 1]!.text[0]!)) format = words[n - 1]!.text;
  return { kind: 'query', format, readOnly: first !== undefined && READ_ONLY.has(first) };
}

/** A statement whose every line break run holds an empty line (`\n` then only spaces, tabs, `\r`, then `\n`). */
const BLANK_LINE = /\n[ \t\r]*\n/;

/**
 * The inline data of an insert in the shape chDB can take. chDB ends inline data at an empty line and
 * runs what follows as SQL, where a server reads the whole body as data: so for the line-delimited
 * JSON formats (whose rows a blank line never changes) blank lines are dropped, and for any other
 * format a body with an empty line inside is refused (`undefined`), never passed on.
 */
export function insertData(format: string, data: Buffer): Buffer | undefined {
  if (!data.includes(0x0a)) return data;
  const text = data.toString('latin1');
  if (/^JSON/i.test(format)) {
    if (!BLANK_LINE.test(text) && !/^[ \t\r]*\n/.test(text)) return data;
    const lines = text.split('\n').filter((l) => !/^[ \t\r]*$/.test(l));
    return Buffer.from(lines.length ? `${lines.join('\n')}\n` : '', 'latin1');
  }
  const trimmed = text.replace(/(\n[ \t\r]*)+$/, '\n');
  if (BLANK_LINE.test(trimmed) || /^[ \t\r]*\n/.test(trimmed)) return undefined;
  return Buffer.from(trimmed, 'latin1');
}

/**
 * Table functions and functions through which a query reaches past the database (files, URLs, other servers,
 * programs): a read-only endpoint refuses them, as chDB, the engine in-process, has no user-level file grants.
 */
const OUTSIDE = new Set(
  [
    'file',
    'fileCluster',
    'url',
    'urlCluster',
    's3',
    's3Cluster',
    'gcs',
    'oss',
    'cosn',
    'azureBlobStorage',
    'azureBlobStorageCluster',
    'hdfs',
    'hdfsCluster',
    'input',
    'executable',
    'remote',
    'remoteSecure',
    'cluster',
    'clusterAllReplicas',
    'mysql',
    'postgresql',
    'mongodb',
    'redis',
    'sqlite',
    'jdbc',
    'odbc',
    'iceberg',
    'icebergS3',
    'icebergAzure',
    'icebergHDFS',
    'icebergLocal',
    'deltaLake',
    'deltaLakeLocal',
    'hudi',
    'python',
    'arrowFlight',
    'arrowflight',
    'ytsaurus',
    'paimon',
    'dictionary',
  ].map((n) => n.toLowerCase()),
);

/**
 * Why a read-only endpoint must refuse `sql` although it reads only, or undefined: `INTO OUTFILE` (a SELECT that
 * writes a file), a call of a function reaching outside the database ({@link OUTSIDE}, any case), or a call through
 * a quoted name (which could spell one of those). Lexed as {@link classify} lexes, so text in literals and
 * comments counts for nothing.
 */
export function outsideReach(sql: string): string | undefined {
  const tokens = scan(sql);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = tokens[i + 1]?.text;
    if (t.text.toUpperCase() === 'OUTFILE') return 'INTO OUTFILE';
    if (next !== '(') continue;
    if (t.text === '`' || t.text === '"') return `a call through a quoted name (${sql.slice(t.start, t.end)})`;
    if (OUTSIDE.has(t.text.toLowerCase())) return `${t.text}()`;
  }
  return undefined;
}
