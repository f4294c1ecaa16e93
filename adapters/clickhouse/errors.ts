/**
 * What a failed ClickHouse insert means for its rows, decided by ClickHouse's error code: either the
 * rows themselves are refused (they will be refused however often they are sent: split the insert,
 * dead-letter the rows that fail, store the rest) or the store is unavailable (wait and retry, keep
 * the rows). Anything not known to be a refusal counts as unavailability: a retry never loses a row,
 * a wrong refusal would.
 */

/** Codes raised by an insert's data itself: parsing, types, ranges. Same rows, same error, every time. */
export const REFUSED_CODES: ReadonlyMap<number, string> = new Map([
  [6, 'CANNOT_PARSE_TEXT'],
  [25, 'CANNOT_PARSE_ESCAPE_SEQUENCE'],
  [26, 'CANNOT_PARSE_QUOTED_STRING'],
  [27, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'],
  [38, 'CANNOT_PARSE_DATE'],
  [41, 'CANNOT_PARSE_DATETIME'],
  [53, 'TYPE_MISMATCH'],
  [69, 'ARGUMENT_OUT_OF_BOUND'],
  [70, 'CANNOT_CONVERT_TYPE'],
  [72, 'CANNOT_PARSE_NUMBER'],
  [117, 'INCORRECT_DATA'],
  [130, 'CANNOT_READ_ARRAY_FROM_TEXT'],
  [131, 'TOO_LARGE_STRING_SIZE'],
  [190, 'SIZES_OF_ARRAYS_DONT_MATCH'],
  [248, 'INVALID_PARTITION_VALUE'],
  [321, 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE'],
  [349, 'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN'],
  [376, 'CANNOT_PARSE_UUID'],
  [407, 'DECIMAL_OVERFLOW'],
]);

/**
 * Codes that say the store cannot take an insert right now (or not yet: a table or column this
 * version expects is missing until its migration runs). Listed for the reader and the test: every
 * code not in {@link REFUSED_CODES}, and every failure without a code (a refused connection, a
 * timeout of the client), is treated the same way.
 */
export const UNAVAILABLE_CODES: ReadonlyMap<number, string> = new Map([
  [16, 'NO_SUCH_COLUMN_IN_TABLE'],
  [60, 'UNKNOWN_TABLE'],
  [81, 'UNKNOWN_DATABASE'],
  [159, 'TIMEOUT_EXCEEDED'],
  [164, 'READONLY'],
  [173, 'CANNOT_ALLOCATE_MEMORY'],
  [202, 'TOO_MANY_SIMULTANEOUS_QUERIES'],
  [203, 'NO_FREE_CONNECTION'],
  [209, 'SOCKET_TIMEOUT'],
  [210, 'NETWORK_ERROR'],
  [225, 'NO_ZOOKEEPER'],
  [241, 'MEMORY_LIMIT_EXCEEDED'],
  [242, 'TABLE_IS_READ_ONLY'],
  [243, 'NOT_ENOUGH_SPACE'],
  [252, 'TOO_MANY_PARTS'],
  [285, 'TOO_FEW_LIVE_REPLICAS'],
  [319, 'UNKNOWN_STATUS_OF_INSERT'],
  [394, 'QUERY_WAS_CANCELLED'],
  [497, 'ACCESS_DENIED'],
  [516, 'AUTHENTICATION_FAILED'],
  [999, 'KEEPER_EXCEPTION'],
]);

/**
 * Code 252 is TOO_MANY_PARTS for both "merges are behind" (wait) and "one insert block spans more
 * partitions than `max_partitions_per_insert_block`" (the same rows fail again; a smaller insert
 * succeeds): told apart by the message.
 */
const TOO_MANY_PARTITIONS = /too many partitions for single insert block/i;

/**
 * The ClickHouse error code of a failure, if it carries one: chDB's `clickhouseCode`, the server
 * client's `code` (digits, as a string), or the `Code: N.` a message starts with.
 */
export function clickHouseCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { clickhouseCode?: unknown; code?: unknown; message?: unknown };
  if (typeof e.clickhouseCode === 'number') return e.clickhouseCode;
  if (typeof e.code === 'string' && /^\d{1,6}$/.test(e.code)) return Number(e.code);
  if (typeof e.message === 'string') {
    const m = /^Code: (\d{1,6})\./.exec(e.message);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** Whether an insert failed because of its rows (true) rather than because the store is unavailable. */
export function isInsertRefused(err: unknown): boolean {
  const code = clickHouseCode(err);
  if (code === undefined) return false;
  if (code === 252) return TOO_MANY_PARTITIONS.test(String((err as { message?: unknown }).message ?? ''));
  return REFUSED_CODES.has(code);
}

/** Longest refusal reason kept, characters: ClickHouse quotes the row it failed on, which may be long. */
const MAX_REASON = 1_000;

/**
 * ClickHouse's own account of a refusal, for a dead letter: `ClickHouse code 25 (CANNOT_PARSE_ESCAPE_SEQUENCE):
 * Cannot parse escape sequence…`, the repeated `Code: N. DB::Exception:` prefixes chDB adds taken off,
 * at most 1000 characters.
 */
export function refusalReason(err: unknown): string {
  const code = clickHouseCode(err);
  const message = String((err as { message?: unknown })?.message ?? err)
    .replace(/^(\s*Code: \d+\. DB::Exception: )+/, '')
    .trim();
  const name = code === undefined ? undefined : (REFUSED_CODES.get(code) ?? UNAVAILABLE_CODES.get(code));
  const head = code === undefined ? 'ClickHouse' : `ClickHouse code ${code}${name ? ` (${name})` : ''}`;
  const text = `${head}: ${message}`;
  // Well-formed: a reason quoting a lone surrogate must not make its own dead letter refusable.
  return (text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text).replace(/\p{Cs}/gu, '\uFFFD');
}
