/**
 * A ClickHouse server for tests: chDB (the ClickHouse engine as a library) behind the part of
 * ClickHouse's HTTP interface that `@clickhouse/client` uses, so several processes share one engine
 * through the real client's HTTP path. No ClickHouse server package can be installed here; this is
 * the stand-in, for tests, benchmarks and `npm run clickhouse` — and, read-only with a key (`readOnly`), for
 * `sluice demo`'s chDB, so Grafana can read it (`cli/demo-clickhouse.ts`).
 *
 * What it speaks: `GET|HEAD /ping` and `/` → `Ok.`; `POST /` (and `GET /` for read-only statements)
 * with the SQL in `query`, in the body, or both (concatenated, as a server does); `INSERT … FORMAT f`
 * with the rows as the body; `param_<name>` values for `{name:Type}` placeholders, bound by the
 * engine (never spliced into the SQL); settings as URL parameters, for that request only;
 * `default_format`, `database`, `query_id`; basic auth, `X-ClickHouse-User`/`-Key` or
 * `user`/`password`; gzip/deflate/br bodies and gzip answers; multipart/form-data parameters.
 * Answers carry `X-ClickHouse-Query-Id`, `-Format`, `-Timezone`, `-Summary`; errors are ClickHouse's
 * own (`Code: N. DB::Exception: … (NAME) (version …)`, `X-ClickHouse-Exception-Code`, the HTTP status
 * ClickHouse maps the code to). One chDB session over one data folder serves every request, one at
 * a time. Sessions (`session_id`) are accepted and not kept: each request stands alone.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, brotliDecompressSync, deflateSync, gzipSync, gunzipSync, inflateSync } from 'node:zlib';
import { classify, insertData, outsideReach } from './clickhouse-sql.js';

/** Options of {@link serveClickHouseHttp}. */
export interface ClickHouseHttpOptions {
  /** The engine's data folder (created if missing); it holds every database and outlives the server. */
  dataDir: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port the OS picks. */
  port?: number;
  /** The one user; default `default`. */
  user?: string;
  /** Its password; default empty (as a fresh ClickHouse's `default` user). */
  password?: string;
  /** Largest request body taken, bytes, after decompression; default 256 MiB. */
  maxBodyBytes?: number;
  /** Where failures of the server itself (not of queries) are told. */
  log?: (line: string) => void;
  /**
   * Serve reads only (`sluice demo`'s endpoint for Grafana): every statement but SELECT, WITH, SHOW, DESCRIBE,
   * EXISTS, EXPLAIN and CHECK is refused (`READONLY`), the engine session runs with `readonly = 2` (settings may
   * change, `readonly` itself not), and queries that reach past the database (`file()`, `url()`, `INTO OUTFILE`,
   * …, see `outsideReach`) are refused (`ACCESS_DENIED`).
   */
  readOnly?: boolean;
}

/** A running server. */
export interface ClickHouseHttp {
  /** `http://host:port`, for `CLICKHOUSE_URL`. */
  readonly url: string;
  /** Stops taking requests, finishes the one running, closes the engine. */
  stop(): Promise<void>;
}

/** What this server needs of chDB's native addon (`chdb/dist/loader.js`). */
interface ChdbNative {
  QueryAsyncConnection(conn: unknown, sql: string, format: string, params?: Record<string, string>): Promise<QueryResult>;
  InsertRawAsyncConnection(conn: unknown, prefix: string, data: Buffer, countLines: boolean): Promise<InsertResult>;
}
interface QueryResult {
  bytes: Buffer;
  elapsed?: number;
  rowsRead?: number;
  bytesRead?: number;
}
interface InsertResult {
  elapsed?: number;
  rowsWritten?: number;
  bytesWritten?: number;
}
interface ChdbSession {
  readonly connection: unknown;
  close(): void;
}

/**
 * chDB's public `queryBindAsync` takes JavaScript values and escapes them itself; over HTTP a
 * parameter arrives already in ClickHouse's escaped text form (what the server's binder reads), so
 * the server hands it to the same native binder unchanged, through the addon chDB's own modules use.
 */
function loadChdb(): { Session: new (path: string) => ChdbSession; native: ChdbNative } {
  const require = createRequire(import.meta.url);
  const main = require.resolve('chdb');
  const { Session } = require(main) as { Session: new (path: string) => ChdbSession };
  const native = (require(join(dirname(main), 'dist', 'loader.js')) as { loadNative(): ChdbNative }).loadNative();
  if (typeof native.QueryAsyncConnection !== 'function' || typeof native.InsertRawAsyncConnection !== 'function')
    throw new Error('this chdb version lacks QueryAsyncConnection/InsertRawAsyncConnection, which the ClickHouse HTTP test server needs');
  return { Session, native };
}

/** ClickHouse's HTTP status for an error, by the error's name (ClickHouse's `exceptionCodeToHTTPStatus`). */
const STATUS_BY_NAME: ReadonlyMap<string, number> = new Map([
  ['REQUIRED_PASSWORD', 401],
  ...['UNKNOWN_USER', 'WRONG_PASSWORD', 'AUTHENTICATION_FAILED', 'SET_NON_GRANTED_ROLE', 'ACCESS_DENIED'].map((n) => [n, 403] as const),
  ...[
    'BAD_ARGUMENTS',
    'CANNOT_COMPILE_REGEXP',
    'CANNOT_PARSE_TEXT',
    'CANNOT_PARSE_ESCAPE_SEQUENCE',
    'CANNOT_PARSE_QUOTED_STRING',
    'CANNOT_PARSE_DATE',
    'CANNOT_PARSE_DATETIME',
    'CANNOT_PARSE_NUMBER',
    'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING',
    'CANNOT_PARSE_IPV4',
    'CANNOT_PARSE_IPV6',
    'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
    'CANNOT_PARSE_UUID',
    'DUPLICATE_COLUMN',
    'ILLEGAL_COLUMN',
    'UNKNOWN_ELEMENT_IN_AST',
    'UNKNOWN_TYPE_OF_AST_NODE',
    'THERE_IS_NO_COLUMN',
    'TOO_DEEP_AST',
    'TOO_BIG_AST',
    'UNEXPECTED_AST_STRUCTURE',
    'SYNTAX_ERROR',
    'INCORRECT_DATA',
    'TYPE_MISMATCH',
    'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
  ].map((n) => [n, 400] as const),
  ...[
    'UNKNOWN_TABLE',
    'UNKNOWN_FUNCTION',
    'UNKNOWN_IDENTIFIER',
    'UNKNOWN_TYPE',
    'UNKNOWN_STORAGE',
    'UNKNOWN_DATABASE',
    'UNKNOWN_SETTING',
    'UNKNOWN_DIRECTION_OF_SORTING',
    'UNKNOWN_AGGREGATE_FUNCTION',
    'UNKNOWN_FORMAT',
    'UNKNOWN_DATABASE_ENGINE',
    'UNKNOWN_TYPE_OF_QUERY',
    'UNKNOWN_ROLE',
  ].map((n) => [n, 404] as const),
  ['QUERY_IS_TOO_LARGE', 413],
  ['NOT_IMPLEMENTED', 501],
  ['SOCKET_TIMEOUT', 503],
  ['CANNOT_OPEN_FILE', 503],
  ['HTTP_LENGTH_REQUIRED', 411],
  ['TIMEOUT_EXCEEDED', 408],
  ['CANNOT_SCHEDULE_TASK', 503],
  ['UNSUPPORTED_MEDIA_TYPE', 415],
]);

/**
 * URL parameters that are the HTTP interface's own, not settings for the engine: read here or
 * accepted and ignored (the engine has no HTTP layer to apply them to).
 */
const HTTP_PARAMS = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'session_id',
  'session_timeout',
  'session_check',
  'close_session',
  'user',
  'password',
  'quota_key',
  'role',
  'compress',
  'decompress',
  'buffer_size',
  'wait_end_of_query',
  'stacktrace',
  'client_protocol_version',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_response_compression_method',
  'http_native_compression_disable_checksumming_on_decompress',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'http_send_progress_interval_ms',
  'http_response_buffer_size',
  'http_wait_end_of_query',
  'readonly',
]);

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A failure with ClickHouse's code and name, answered as ClickHouse answers it. */
class ClickHouseFailure extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
  ) {
    super(message);
  }
}

/** `'…'` literal of a string, ClickHouse escaping (backslash and quote escaped). */
function literal(s: string): string {
  return `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

function contentType(format: string): string {
  const f = format.toLowerCase();
  if (f === 'jsoneachrow' || f === 'jsonlines' || f === 'ndjson' || f === 'jsoncompacteachrow')
    return 'application/x-ndjson; charset=UTF-8';
  if (f.startsWith('json')) return 'application/json; charset=UTF-8';
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8';
  if (f.startsWith('csv')) return 'text/csv; charset=UTF-8; header=absent';
  return 'text/plain; charset=UTF-8';
}

const LINE_FORMATS = /^(JSONEachRow|JSONLines|NDJSON|JSONCompactEachRow|JSONStringsEachRow|TabSeparated|TSV|CSV|TSVRaw|TabSeparatedRaw)$/i;

/** Reads a request body, refusing more than `max` bytes; decompresses gzip/deflate/br bodies. */
async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new ClickHouseFailure(-1, 'QUERY_IS_TOO_LARGE', `Request body is larger than ${max} bytes`);
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks);
  const encoding = String(req.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  if (encoding === '' || encoding === 'identity') return raw;
  const opts = { maxOutputLength: max };
  try {
    if (encoding === 'gzip') return gunzipSync(raw, opts);
    if (encoding === 'deflate') return inflateSync(raw, opts);
    if (encoding === 'br') return brotliDecompressSync(raw, opts);
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new ClickHouseFailure(-1, 'QUERY_IS_TOO_LARGE', `Request body is larger than ${max} bytes once decompressed`);
    throw new ClickHouseFailure(-1, 'CANNOT_DECOMPRESS', `Cannot decompress the ${encoding} request body: ${(err as Error).message}`);
  }
  throw new ClickHouseFailure(-1, 'UNKNOWN_COMPRESSION_METHOD', `Unknown Content-Encoding: ${encoding}`);
}

/** The named text fields of a multipart/form-data body (the client's `use_multipart_params`). */
function multipartFields(body: Buffer, contentTypeHeader: string): Map<string, string> {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentTypeHeader);
  if (!m) throw new ClickHouseFailure(-1, 'BAD_ARGUMENTS', 'multipart/form-data without a boundary');
  const boundary = `--${m[1] ?? m[2]}`;
  const out = new Map<string, string>();
  const text = body.toString('utf8');
  for (const part of text.split(boundary).slice(1)) {
    if (part.startsWith('--')) break;
    const headEnd = part.indexOf('\r\n\r\n');
    if (headEnd < 0) continue;
    const name = /name="([^"]*)"/i.exec(part.slice(0, headEnd))?.[1];
    if (name === undefined) continue;
    out.set(name, part.slice(headEnd + 4).replace(/\r\n$/, ''));
  }
  return out;
}

/** Starts the server in this process over chDB at `opts.dataDir`. */
export async function serveClickHouseHttp(opts: ClickHouseHttpOptions): Promise<ClickHouseHttp> {
  const user = opts.user ?? 'default';
  const password = opts.password ?? '';
  const maxBody = opts.maxBodyBytes ?? 256 * 1024 * 1024;
  const log = opts.log ?? ((l: string) => console.error(l));
  mkdirSync(opts.dataDir, { recursive: true });
  const { Session, native } = loadChdb();
  const session = new Session(opts.dataDir);
  const conn = session.connection;

  // One request at a time on the one session: its settings are set for a request and reset after.
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => {});
    return run;
  };

  // The engine refuses writes too (its own check, beneath the statement classification above); readonly = 2 still
  // lets a client set its query settings, as Grafana's plugin does, but never `readonly` itself.
  if (opts.readOnly) await native.QueryAsyncConnection(conn, 'SET readonly = 2', 'TabSeparated');
  const meta = await native.QueryAsyncConnection(conn, 'SELECT version(), timezone()', 'TabSeparated');
  const [version, timezone] = meta.bytes.toString('utf8').trim().split('\t') as [string, string];
  const codes = await native.QueryAsyncConnection(
    conn,
    "SELECT number, errorCodeToName(number) AS n FROM numbers(2000) WHERE n != ''",
    'TabSeparated',
  );
  const codeOf = new Map<string, number>();
  for (const line of codes.bytes.toString('utf8').trim().split('\n')) {
    const [n, name] = line.split('\t');
    if (name) codeOf.set(name, Number(n));
  }
  const failure = (name: string, message: string) => new ClickHouseFailure(codeOf.get(name) ?? 1001, name, message);

  const passwordDigest = createHash('sha256').update(password).digest();
  const authenticate = (req: IncomingMessage, params: URLSearchParams): void => {
    let u = params.get('user') ?? undefined;
    let p = params.get('password') ?? undefined;
    const header = req.headers.authorization;
    if (header?.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      u = colon < 0 ? decoded : decoded.slice(0, colon);
      p = colon < 0 ? '' : decoded.slice(colon + 1);
    } else if (header !== undefined) {
      throw failure('AUTHENTICATION_FAILED', 'Only basic authentication is supported by this server');
    }
    const hu = req.headers['x-clickhouse-user'];
    const hk = req.headers['x-clickhouse-key'];
    if (typeof hu === 'string') u = hu;
    if (typeof hk === 'string') p = hk;
    const name = u ?? 'default';
    const given = createHash('sha256')
      .update(p ?? '')
      .digest();
    if (name !== user || !timingSafeEqual(given, passwordDigest))
      throw failure('AUTHENTICATION_FAILED', `${name}: Authentication failed: password is incorrect, or there is no user with such name`);
  };

  /** Runs one request's SQL with its settings, database and parameters; answers the engine's bytes. */
  const execute = async (
    sql: string,
    data: Buffer | undefined,
    params: URLSearchParams,
    readOnly: boolean,
  ): Promise<{ bytes: Buffer; format: string; summary: Record<string, string> }> => {
    const settings: [string, string][] = [];
    const bind: Record<string, string> = {};
    for (const [k, v] of params) {
      if (k.startsWith('param_')) bind[k.slice(6)] = v;
      else if (!HTTP_PARAMS.has(k)) {
        if (!IDENT.test(k)) throw failure('UNKNOWN_SETTING', `Unknown setting '${k}'`);
        settings.push([k, v]);
      }
    }
    const defaultFormat = params.get('default_format') || 'TabSeparated';
    if (!IDENT.test(defaultFormat)) throw failure('UNKNOWN_FORMAT', `Unknown format ${defaultFormat}`);
    const database = params.get('database');
    if (database && !IDENT.test(database)) throw failure('UNKNOWN_DATABASE', `Database ${database} does not exist`);
    const ro = readOnly || opts.readOnly === true || Number(params.get('readonly') ?? 0) > 0;

    // The SQL is the `query` parameter followed by the body, as a server reads it; an insert's data is not SQL.
    let text = sql;
    let rest = data;
    if (text.length === 0 && rest) {
      text = rest.toString('utf8');
      rest = undefined;
    }
    let stmt = classify(text);
    if (stmt.kind !== 'insert-data' && rest) {
      text += rest.toString('utf8');
      rest = undefined;
      stmt = classify(text);
    }
    let insert: { prefix: string; format: string; data: Buffer } | undefined;
    if (stmt.kind === 'insert-data') {
      const inline = Buffer.from(text.slice(stmt.dataStart), 'utf8');
      const all = rest ? (inline.length ? Buffer.concat([inline, rest]) : rest) : inline;
      const cleaned = insertData(stmt.format, all);
      if (!cleaned)
        throw failure(
          'NOT_IMPLEMENTED',
          `An empty line inside ${stmt.format} data: chDB, behind this test server, would end the data there and run the rest as SQL`,
        );
      insert = { prefix: stmt.prefix, format: stmt.format, data: cleaned };
    }
    if (stmt.kind === 'multi')
      throw failure('SYNTAX_ERROR', `Syntax error (Multi-statements are not allowed): failed at position ${stmt.at + 1}`);
    if (ro && (stmt.kind !== 'query' || !stmt.readOnly))
      throw failure(
        'READONLY',
        opts.readOnly
          ? 'Cannot execute query in readonly mode: this endpoint serves reads only'
          : 'Cannot execute query in readonly mode. For queries over HTTP, method GET implies readonly',
      );
    if (opts.readOnly) {
      const reach = outsideReach(text);
      if (reach !== undefined) throw failure('ACCESS_DENIED', `${reach} is not allowed on this read-only endpoint`);
    }

    return serial(async () => {
      const started = process.hrtime.bigint();
      const applied: string[] = [];
      try {
        for (const [k, v] of settings) {
          await native.QueryAsyncConnection(conn, `SET ${k} = ${literal(v)}`, 'TabSeparated');
          applied.push(k);
        }
        if (database) await native.QueryAsyncConnection(conn, `USE ${database}`, 'TabSeparated');
        if (insert) {
          const r = insert.data.length
            ? await native.InsertRawAsyncConnection(conn, insert.prefix, insert.data, false)
            : { rowsWritten: 0, bytesWritten: 0 };
          const elapsed = String(process.hrtime.bigint() - started);
          return {
            bytes: Buffer.alloc(0),
            format: defaultFormat,
            summary: summary(0, 0, r.rowsWritten ?? 0, r.bytesWritten ?? 0, 0, 0, elapsed),
          };
        }
        const format = stmt.kind === 'query' && stmt.format ? stmt.format : defaultFormat;
        const r =
          Object.keys(bind).length > 0
            ? await native.QueryAsyncConnection(conn, text, defaultFormat, bind)
            : await native.QueryAsyncConnection(conn, text, defaultFormat);
        const rows = LINE_FORMATS.test(format) ? r.bytes.reduce((n, b) => (b === 0x0a ? n + 1 : n), 0) : 0;
        const elapsed = String(process.hrtime.bigint() - started);
        return { bytes: r.bytes, format, summary: summary(r.rowsRead ?? 0, r.bytesRead ?? 0, 0, 0, rows, r.bytes.length, elapsed) };
      } finally {
        for (const k of applied)
          await native
            .QueryAsyncConnection(conn, `SET ${k} = DEFAULT`, 'TabSeparated')
            .catch((err: Error) => log(`resetting ${k}: ${err.message}`));
        if (database)
          await native.QueryAsyncConnection(conn, 'USE default', 'TabSeparated').catch((err: Error) => log(`USE default: ${err.message}`));
      }
    });
  };

  const answerError = (res: ServerResponse, queryId: string, err: unknown) => {
    let code: number;
    let name: string;
    let message: string;
    if (err instanceof ClickHouseFailure) {
      code = err.code < 0 ? (codeOf.get(err.codeName) ?? 1001) : err.code;
      name = err.codeName;
      message = `Code: ${code}. DB::Exception: ${err.message}. (${name})`;
    } else {
      const text = err instanceof Error ? err.message : String(err);
      const m = /^Code: (\d+)\./.exec(text);
      const named = /\(([A-Z0-9_]{3,})\)\s*$/.exec(text);
      code = m ? Number(m[1]) : 1001;
      name = named?.[1] ?? 'STD_EXCEPTION';
      message = m ? text.trim() : `Code: 1001. DB::Exception: ${text}. (STD_EXCEPTION)`;
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = Buffer.from(`${message} (version ${version} (chDB))\n`, 'utf8');
    res.writeHead(STATUS_BY_NAME.get(name) ?? 500, {
      'Content-Type': 'text/plain; charset=UTF-8',
      'Content-Length': body.length,
      'X-ClickHouse-Query-Id': queryId,
      'X-ClickHouse-Timezone': timezone,
      'X-ClickHouse-Server-Display-Name': hostname(),
      'X-ClickHouse-Exception-Code': String(code),
    });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const params = new URLSearchParams(url.search);
    let queryId = params.get('query_id') || randomUUID();
    try {
      const method = req.method ?? 'GET';
      if (url.pathname === '/ping' || (url.pathname === '/' && (method === 'GET' || method === 'HEAD') && !params.has('query'))) {
        req.resume();
        res.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8', 'Content-Length': 4 });
        res.end(method === 'HEAD' ? undefined : 'Ok.\n');
        return;
      }
      if (url.pathname !== '/') {
        req.resume();
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=UTF-8' });
        res.end(`There is no handle ${url.pathname}\n\nUse / or /ping for health checks.\n`);
        return;
      }
      if (method !== 'GET' && method !== 'POST') throw failure('BAD_ARGUMENTS', `HTTP method ${method} is not supported`);
      let body = method === 'POST' ? await readBody(req, maxBody) : Buffer.alloc(0);
      const type = String(req.headers['content-type'] ?? '');
      if (/^multipart\/form-data/i.test(type)) {
        const fields = multipartFields(body, type);
        for (const [k, v] of fields) if (k === 'query' || k.startsWith('param_')) params.set(k, v);
        body = Buffer.alloc(0);
        queryId = params.get('query_id') || queryId;
      }
      authenticate(req, params);
      if (params.get('decompress') === '1')
        throw failure('NOT_IMPLEMENTED', 'ClickHouse-native compressed bodies (decompress=1) are not supported');
      const sql = params.get('query') ?? '';
      if (sql.length === 0 && body.length === 0) throw failure('SYNTAX_ERROR', 'Empty query');
      const out = await execute(sql, body.length ? body : undefined, params, method === 'GET');
      let payload = out.bytes;
      const headers: Record<string, string | number> = {
        'Content-Type': contentType(out.format),
        'X-ClickHouse-Query-Id': queryId,
        'X-ClickHouse-Format': out.format,
        'X-ClickHouse-Timezone': timezone,
        'X-ClickHouse-Server-Display-Name': hostname(),
        'X-ClickHouse-Summary': JSON.stringify(out.summary),
      };
      const accept = String(req.headers['accept-encoding'] ?? '');
      if (params.get('enable_http_compression') === '1' && payload.length > 0) {
        if (/\bgzip\b/.test(accept)) {
          payload = gzipSync(payload);
          headers['Content-Encoding'] = 'gzip';
        } else if (/\bdeflate\b/.test(accept)) {
          payload = deflateSync(payload);
          headers['Content-Encoding'] = 'deflate';
        } else if (/\bbr\b/.test(accept)) {
          payload = brotliCompressSync(payload);
          headers['Content-Encoding'] = 'br';
        }
      }
      headers['Content-Length'] = payload.length;
      res.writeHead(200, headers);
      res.end(payload);
    } catch (err) {
      const tooLarge = err instanceof ClickHouseFailure && err.codeName === 'QUERY_IS_TOO_LARGE';
      if (tooLarge) res.setHeader('Connection', 'close');
      answerError(res, queryId, err);
      if (tooLarge) res.once('finish', () => req.socket.destroy());
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      log(`request failed: ${err.message}`);
      res.destroy();
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  }).catch((err: unknown) => {
    // Port taken, address not local: the engine session goes with the server that never served.
    session.close();
    throw err;
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('the ClickHouse HTTP server has no TCP address');
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let stopped: Promise<void> | undefined;
  return {
    url: `http://${host}:${addr.port}`,
    stop() {
      stopped ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await serial(async () => {});
        session.close();
      })();
      return stopped;
    },
  };
}

function summary(
  readRows: number,
  readBytes: number,
  writtenRows: number,
  writtenBytes: number,
  resultRows: number,
  resultBytes: number,
  elapsedNs: string,
): Record<string, string> {
  return {
    read_rows: String(readRows),
    read_bytes: String(readBytes),
    written_rows: String(writtenRows),
    written_bytes: String(writtenBytes),
    total_rows_to_read: String(readRows),
    result_rows: String(resultRows),
    result_bytes: String(resultBytes),
    elapsed_ns: elapsedNs,
  };
}

/** Options of {@link startClickHouseHttp}. */
export interface StartClickHouseHttpOptions {
  /** Data folder; default a new temporary one, deleted by `stop()`. */
  dataDir?: string;
  port?: number;
  user?: string;
  password?: string;
  maxBodyBytes?: number;
  /** Lines the server writes to stderr. */
  log?: (line: string) => void;
}

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'clickhouse-http-main.ts');

/**
 * Starts the server in a child process (`services/clickhouse-http-main.ts` under tsx), so the
 * processes of a test — the test itself among them — share one engine without its queries running in
 * any of them. Resolves once it serves; the child stops with `stop()`, or when this process exits.
 */
export async function startClickHouseHttp(opts: StartClickHouseHttpOptions = {}): Promise<ClickHouseHttp> {
  const own = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'sluice-chdb-http-'));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    CLICKHOUSE_HTTP_DATA_DIR: dataDir,
    CLICKHOUSE_HTTP_PORT: String(opts.port ?? 0),
    CLICKHOUSE_HTTP_USER: opts.user ?? 'default',
    CLICKHOUSE_HTTP_PASSWORD: opts.password ?? '',
    CLICKHOUSE_HTTP_WATCH_STDIN: '1',
  };
  if (opts.maxBodyBytes !== undefined) env.CLICKHOUSE_HTTP_MAX_BODY_BYTES = String(opts.maxBodyBytes);
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    const text = b.toString();
    stderr = (stderr + text).slice(-4000);
    for (const line of text.split('\n')) if (line.trim()) opts.log?.(line);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the ClickHouse HTTP server did not start within 60 s: ${stderr}`)), 60_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /^(http:\/\/\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the ClickHouse HTTP server exited while starting (code ${code}, signal ${signal}): ${stderr}`));
    });
  }).catch((err: Error) => {
    child.kill('SIGKILL');
    process.removeListener('exit', killOnExit);
    if (own) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  child.stdout.resume();
  let stopped: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopped ??= (async () => {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
        process.removeListener('exit', killOnExit);
        if (own) rmSync(dataDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/** A password for a test server: 24 random characters. */
export function testPassword(): string {
  return randomBytes(18).toString('base64url');
}
