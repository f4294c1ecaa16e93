/**
 * Loader of the "Anonymous Bank" call records: real calls of a bank's call center in Israel,
 * October 1999 (34,625 calls), collected and documented by Ilan Guedj and Avi Mandelbaum (Technion,
 * Faculty of Industrial Engineering and Management) and released free for use with acknowledgement
 * of the source; see `shared/data/README.md` and Brown et al., "Statistical Analysis of a Telephone
 * Call Center: A Queueing-Science Perspective", JASA 2005.
 *
 * Each record is parsed strictly. A record that is malformed (fields shifted, a field out of its
 * format, a duration that disagrees with its start and exit, service that starts before the queue)
 * is reported with its line number and the reason, and skipped: nothing is guessed. Oddities that
 * do not touch the events (a customer id in exponent notation, a VRU exit before the entry, …) are
 * kept and counted as notes. PHANTOM calls are ignored and counted.
 */
import { readFile } from 'node:fs/promises';
import { DAY_MS } from './profile.js';

/** The file in this repository's shared data (resolved from this module, as the repo sits beside `shared/`). */
export const ANONYMOUS_BANK_FILE: URL = new URL('../../shared/data/anonymous-bank/october-1999.tsv', import.meta.url);

/** Field names of the header line, in order. */
export const BANK_FIELDS = [
  'vru+line',
  'call_id',
  'customer_id',
  'priority',
  'type',
  'date',
  'vru_entry',
  'vru_exit',
  'vru_time',
  'q_start',
  'q_exit',
  'q_time',
  'outcome',
  'ser_start',
  'ser_exit',
  'ser_time',
  'server',
] as const;

/** Service types: PS regular, PE regular in English, IN internet support, NE stock exchange, NW prospective customer, TT callback put on hold. */
export const SERVICE_TYPES = ['PS', 'PE', 'IN', 'NE', 'NW', 'TT'] as const;
/** One of {@link SERVICE_TYPES}: the skill group of a replayed call. */
export type ServiceType = (typeof SERVICE_TYPES)[number];

/** A span of a call, epoch ms, with the duration the record states, seconds. */
export interface Span {
  readonly start: number;
  readonly exit: number;
  readonly sec: number;
}

/** One valid, non-phantom call. Times are epoch ms at the record's local UTC offset. */
export interface BankCall {
  /** Line number in the file (the header is line 1). */
  readonly line: number;
  readonly vruLine: string;
  readonly callId: string;
  readonly customerId: string;
  /** 0/1 regular, 2 priority. */
  readonly priority: number;
  readonly type: ServiceType;
  /** YYMMDD as written. */
  readonly date: string;
  readonly vru: Span;
  /** Null when the call never reached the queue (q_start 0:00:00). */
  readonly queue: Span | null;
  readonly outcome: 'AGENT' | 'HANG';
  /** The service of an AGENT call; null for HANG. */
  readonly service: Span | null;
  /** Agent name; null for NO_SERVER. */
  readonly server: string | null;
}

/** Why a record was skipped. */
export type MalformedCode =
  | 'empty-line'
  | 'field-count'
  | 'bad-field'
  | 'out-of-order'
  | 'duration-mismatch'
  | 'no-service-times'
  | 'answered-before-queued'
  | 'hang-with-server';

/** A skipped record: its line, a stable code and the reason in words. */
export interface MalformedRecord {
  readonly line: number;
  readonly code: MalformedCode;
  readonly reason: string;
  /** The service type column when it holds one, else null. */
  readonly type: ServiceType | null;
}

/** Kept records with an oddity that does not change their events. */
export type NoteCode =
  | 'customer-id-exponent'
  | 'vru-exit-before-entry'
  | 'hang-with-service-times'
  | 'served-without-server'
  | 'zero-length-service'
  | 'crosses-midnight';

/** The whole file, parsed. */
export interface DatasetLoad {
  /** Lines read, the header included. */
  readonly lines: number;
  readonly calls: BankCall[];
  readonly malformed: MalformedRecord[];
  readonly phantom: number;
  /** Line numbers of kept records with each oddity. */
  readonly notes: Record<NoteCode, number[]>;
}

/** The file is not this dataset at all (wrong header): nothing can be loaded. */
export class DatasetFormatError extends Error {
  override readonly name = 'DatasetFormatError';
}

/** Options of {@link parseBankDataset}. */
export interface BankParseOptions {
  /** Local time minus UTC, minutes (default 120: Israel Standard Time, in force all of October 1999). */
  readonly utcOffsetMinutes?: number;
}

const TIME = /^(\d{1,2}):([0-5]\d):([0-5]\d)$/;
const FORMATS: readonly [name: string, ok: (v: string) => boolean, expected: string][] = [
  ['vru+line', (v) => /^AA\d{4}$/.test(v), 'AA + 4 digits'],
  ['call_id', (v) => /^\d{1,12}$/.test(v), 'digits'],
  ['customer_id', (v) => /^\d{1,15}$/.test(v) || /^\d(\.\d+)?E\+\d{1,2}$/.test(v), 'digits'],
  ['priority', (v) => /^[012]$/.test(v), '0, 1 or 2'],
  ['type', (v) => (SERVICE_TYPES as readonly string[]).includes(v), SERVICE_TYPES.join(', ')],
  ['date', (v) => /^99(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/.test(v), 'YYMMDD in 1999'],
  ['vru_entry', isTime, 'H:MM:SS'],
  ['vru_exit', isTime, 'H:MM:SS'],
  ['vru_time', (v) => /^-?\d{1,6}$/.test(v), 'whole seconds'],
  ['q_start', isTime, 'H:MM:SS'],
  ['q_exit', isTime, 'H:MM:SS'],
  ['q_time', (v) => /^\d{1,6}$/.test(v), 'whole seconds ≥ 0'],
  ['outcome', (v) => v === 'AGENT' || v === 'HANG' || v === 'PHANTOM', 'AGENT, HANG or PHANTOM'],
  ['ser_start', isTime, 'H:MM:SS'],
  ['ser_exit', isTime, 'H:MM:SS'],
  ['ser_time', (v) => /^\d{1,6}$/.test(v), 'whole seconds ≥ 0'],
  ['server', (v) => /^[A-Z][A-Z0-9_]{0,31}$/.test(v), 'an agent name or NO_SERVER'],
];

function isTime(v: string): boolean {
  const m = TIME.exec(v);
  return m !== null && Number(m[1]) <= 23;
}

/** Seconds after midnight of a valid H:MM:SS. */
function secondsOf(v: string): number {
  const m = TIME.exec(v)!;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

/** The first field (in column order) that does not fit its format, as "name is 'value' (expected …)". */
function firstMisfit(f: readonly string[]): string | undefined {
  for (let i = 0; i < FORMATS.length; i++) {
    const [name, ok, expected] = FORMATS[i]!;
    const v = f[i];
    if (v === undefined) return `${name} is missing`;
    if (!ok(v))
      return `${name} is '${v}', expected ${expected}${name === 'outcome' && isTime(v) ? ' (a time where the outcome should be)' : ''}`;
  }
  return undefined;
}

type Parsed =
  | { kind: 'call'; call: BankCall; notes: NoteCode[] }
  | { kind: 'phantom' }
  | { kind: 'malformed'; code: MalformedCode; reason: string };

/**
 * Parses one record (already split on tabs) strictly.
 * @param line its line number, for the result
 * @param utcOffsetMinutes local time minus UTC, minutes
 */
export function parseBankRecord(f: readonly string[], line: number, utcOffsetMinutes = 120): Parsed {
  const bad = (code: MalformedCode, reason: string): Parsed => ({ kind: 'malformed', code, reason });
  if (f.length !== BANK_FIELDS.length) {
    const misfit = firstMisfit(f);
    return bad('field-count', `${f.length} fields, expected ${BANK_FIELDS.length}${misfit ? `: ${misfit} (fields shifted)` : ''}`);
  }
  const misfit = firstMisfit(f);
  if (misfit) return bad('bad-field', misfit);
  const [
    vruLine,
    callId,
    customerId,
    priority,
    type,
    date,
    vruEntry,
    vruExit,
    vruTime,
    qStart,
    qExit,
    qTime,
    outcome,
    serStart,
    serExit,
    serTime,
    server,
  ] = f as unknown as string[] & { length: 17 };
  if (outcome === 'PHANTOM') return { kind: 'phantom' };
  const month = Number(date!.slice(2, 4));
  const dayOfMonth = Number(date!.slice(4, 6));
  const midnight = Date.UTC(1999, month - 1, dayOfMonth);
  if (new Date(midnight).getUTCDate() !== dayOfMonth) return bad('bad-field', `date '${date}' is not a calendar date`);
  const base = midnight - utcOffsetMinutes * 60_000;
  const notes: NoteCode[] = [];
  /** The time-of-day `v` on the day that puts it within 12 hours of `ref` (epoch ms). */
  const near = (v: string, ref: number) => base + secondsOf(v) * 1000 + Math.round((ref - base - secondsOf(v) * 1000) / DAY_MS) * DAY_MS;
  /** The first `v` at or after `from`. */
  const after = (v: string, from: number) => {
    let t = near(v, from);
    while (t < from) t += DAY_MS;
    return t;
  };
  const hms = (ms: number) => `${Math.trunc(ms / 1000)} s`;

  const ve = base + secondsOf(vruEntry!) * 1000;
  const vx = near(vruExit!, ve);
  if ((vx - ve) / 1000 !== Number(vruTime))
    return bad('duration-mismatch', `vru_time ${vruTime} s disagrees with vru_exit − vru_entry = ${hms(vx - ve)}`);
  if (vx < ve) notes.push('vru-exit-before-entry');
  if (/E\+/.test(customerId!)) notes.push('customer-id-exponent');

  let queue: Span | null = null;
  if (qStart === '0:00:00') {
    if (qExit !== '0:00:00' || qTime !== '0')
      return bad('out-of-order', `q_start is 0:00:00 (never queued) but q_exit is ${qExit} and q_time ${qTime} s`);
  } else {
    const qs = near(qStart!, vx);
    if (qs < vx) return bad('out-of-order', `q_start ${qStart} is before vru_exit ${vruExit}`);
    const qx = after(qExit!, qs);
    if ((qx - qs) / 1000 !== Number(qTime)) {
      const how =
        secondsOf(qExit!) < secondsOf(qStart!)
          ? `q_exit ${qExit} is before q_start ${qStart} and q_time ${qTime} s does not span midnight`
          : `q_time ${qTime} s disagrees with q_exit − q_start = ${hms(qx - qs)}`;
      return bad('duration-mismatch', how);
    }
    queue = { start: qs, exit: qx, sec: Number(qTime) };
  }

  let service: Span | null = null;
  if (outcome === 'AGENT') {
    if (serStart === '0:00:00' && serExit === '0:00:00')
      return bad('no-service-times', `outcome AGENT but ser_start and ser_exit are 0:00:00 (served when is not recorded)`);
    const ss = near(serStart!, queue ? queue.start : vx);
    if (queue && ss < queue.start)
      return bad('answered-before-queued', `ser_start ${serStart} is before q_start ${qStart}: served before it queued`);
    const sx = after(serExit!, ss);
    if ((sx - ss) / 1000 !== Number(serTime))
      return bad('duration-mismatch', `ser_time ${serTime} s disagrees with ser_exit − ser_start = ${hms(sx - ss)}`);
    service = { start: ss, exit: sx, sec: Number(serTime) };
    if (server === 'NO_SERVER') notes.push('served-without-server');
    if (service.sec === 0) notes.push('zero-length-service');
  } else {
    if (server !== 'NO_SERVER') return bad('hang-with-server', `outcome HANG but server is ${server}`);
    if (serStart !== '0:00:00' || serExit !== '0:00:00' || serTime !== '0') notes.push('hang-with-service-times');
  }
  const last = service ? service.exit : queue ? queue.exit : vx;
  if (last >= base + DAY_MS) notes.push('crosses-midnight');

  const call: BankCall = {
    line,
    vruLine: vruLine!,
    callId: callId!,
    customerId: customerId!,
    priority: Number(priority),
    type: type as ServiceType,
    date: date!,
    vru: { start: ve, exit: vx, sec: Number(vruTime) },
    queue,
    outcome: outcome as 'AGENT' | 'HANG',
    service,
    server: server === 'NO_SERVER' ? null : server!,
  };
  return { kind: 'call', call, notes };
}

/**
 * Parses the whole tab-separated text (header line first).
 * @throws DatasetFormatError when the header is not the Anonymous Bank one
 */
export function parseBankDataset(text: string, o: BankParseOptions = {}): DatasetLoad {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const header = (lines[0] ?? '').replace(/\r$/, '');
  if (header !== BANK_FIELDS.join('\t'))
    throw new DatasetFormatError(
      `not the Anonymous Bank format: the header is '${header.slice(0, 200)}', expected ${BANK_FIELDS.join(' ')} separated by tabs`,
    );
  const calls: BankCall[] = [];
  const malformed: MalformedRecord[] = [];
  const notes: Record<NoteCode, number[]> = {
    'customer-id-exponent': [],
    'vru-exit-before-entry': [],
    'hang-with-service-times': [],
    'served-without-server': [],
    'zero-length-service': [],
    'crosses-midnight': [],
  };
  let phantom = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = i + 1;
    const raw = lines[i]!.replace(/\r$/, '');
    const fields = raw.split('\t');
    const type =
      (SERVICE_TYPES as readonly string[]).includes(fields[4] ?? '') && fields.length === BANK_FIELDS.length
        ? (fields[4] as ServiceType)
        : null;
    if (raw.trim() === '') {
      malformed.push({ line, code: 'empty-line', reason: 'empty line', type: null });
      continue;
    }
    const p = parseBankRecord(fields, line, o.utcOffsetMinutes ?? 120);
    if (p.kind === 'phantom') phantom++;
    else if (p.kind === 'malformed') malformed.push({ line, code: p.code, reason: p.reason, type });
    else {
      calls.push(p.call);
      for (const n of p.notes) notes[n].push(line);
    }
  }
  return { lines: lines.length, calls, malformed, phantom, notes };
}

/**
 * Reads and parses the dataset file.
 * @param path the file (default {@link ANONYMOUS_BANK_FILE})
 * @throws DatasetFormatError on a wrong header; an error naming the path when the file is missing
 */
export async function loadBankDataset(path: string | URL = ANONYMOUS_BANK_FILE, o: BankParseOptions = {}): Promise<DatasetLoad> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new Error(
      `the Anonymous Bank dataset is not at ${String(path)}: it ships in shared/data/anonymous-bank/ beside the repository (pass another path with --file)`,
      { cause: err },
    );
  }
  return parseBankDataset(text, o);
}
