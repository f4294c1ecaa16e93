/**
 * Forecast files for `sluice plan --forecast`: a CSV with the header
 * `interval,calls,aht` (columns in any order), one row per interval:
 * `interval` is a label or an ISO timestamp (kept verbatim), `calls` the
 * calls offered in the interval, `aht` the average handle time in seconds.
 * A bad row is an error naming its line and field; nothing is guessed.
 */
import { PlanUsageError, runPlan } from './plan.js';
import type { PlanInput, PlanResult } from './plan.js';

/** One parsed forecast row. */
export interface ForecastRow {
  /** 1-based line number in the file (the header is line 1). */
  readonly line: number;
  /** Interval label or ISO timestamp, verbatim (surrounding blanks trimmed). */
  readonly interval: string;
  /** Calls offered in the interval (≥ 0, may be fractional). */
  readonly calls: number;
  /** Average handle time, seconds (> 0; 0 is accepted only with 0 calls). */
  readonly ahtSeconds: number;
}

/** A malformed forecast file: `line` is 1-based, `field` the column at fault when there is one. */
export class ForecastError extends Error {
  override readonly name = 'ForecastError';
  /**
   * @param line 1-based line number
   * @param field column name, or undefined for a whole-line problem
   * @param problem what is wrong
   */
  constructor(
    readonly line: number,
    readonly field: string | undefined,
    problem: string,
  ) {
    super(`forecast line ${line}${field === undefined ? '' : `, field "${field}"`}: ${problem}`);
  }
}

const COLUMNS = ['interval', 'calls', 'aht'] as const;
type Column = (typeof COLUMNS)[number];
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Splits one CSV line (RFC 4180 quoting, no embedded newlines). */
function splitCsvLine(text: string, line: number): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new ForecastError(line, undefined, 'unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (i < text.length && text[i] !== ',') throw new ForecastError(line, undefined, 'unexpected text after a closing quote');
    } else {
      const end = text.indexOf(',', i);
      field = (end < 0 ? text.slice(i) : text.slice(i, end)).trim();
      i = end < 0 ? text.length : end;
    }
    fields.push(field);
    if (i >= text.length) return fields;
    i++; // the comma
  }
}

function parseNumber(raw: string, line: number, field: Column, positive: boolean): number {
  const value = DECIMAL.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(value)) throw new ForecastError(line, field, `expected a number, got ${JSON.stringify(raw)}`);
  if (value < 0 || (positive && value === 0))
    throw new ForecastError(line, field, `must be ${positive ? '> 0' : '≥ 0'}, got ${JSON.stringify(raw)}`);
  return value;
}

/**
 * Parses a forecast CSV. Blank lines are skipped; a UTF-8 BOM and CRLF line
 * ends are accepted.
 * @param text the whole file
 * @returns rows in file order
 * @throws ForecastError on a bad header, a row with the wrong number of fields,
 *   a non-numeric or out-of-range `calls`/`aht`, an empty or duplicate `interval`, or no data rows
 */
export function parseForecastCsv(text: string): ForecastRow[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.trim() !== '');
  if (headerIndex < 0) throw new ForecastError(1, undefined, 'empty file: expected the header interval,calls,aht');
  const headerLine = headerIndex + 1;
  const header = splitCsvLine(lines[headerIndex] as string, headerLine).map((h) => h.toLowerCase());
  const sameSet = header.length === COLUMNS.length && COLUMNS.every((c) => header.includes(c));
  if (!sameSet) {
    const got = JSON.stringify(header.join(','));
    throw new ForecastError(headerLine, undefined, `header must name exactly the columns interval,calls,aht, got ${got}`);
  }
  const at = (c: Column): number => header.indexOf(c);

  const rows: ForecastRow[] = [];
  const seen = new Map<string, number>();
  for (let k = headerIndex + 1; k < lines.length; k++) {
    const raw = lines[k] as string;
    if (raw.trim() === '') continue;
    const line = k + 1;
    const fields = splitCsvLine(raw, line);
    if (fields.length !== COLUMNS.length) {
      throw new ForecastError(line, undefined, `expected 3 fields (${header.join(',')}), got ${fields.length}`);
    }
    const get = (c: Column): string => fields[at(c)] as string;
    const interval = get('interval');
    if (interval === '') throw new ForecastError(line, 'interval', 'is empty');
    const first = seen.get(interval);
    if (first !== undefined) throw new ForecastError(line, 'interval', `duplicate of line ${first}: ${JSON.stringify(interval)}`);
    seen.set(interval, line);
    const calls = parseNumber(get('calls'), line, 'calls', false);
    const ahtSeconds = parseNumber(get('aht'), line, 'aht', calls > 0);
    rows.push({ line, interval, calls, ahtSeconds });
  }
  if (rows.length === 0) throw new ForecastError(headerLine, undefined, 'no data rows after the header');
  return rows;
}

/** Plan options for a forecast: those of {@link PlanInput} less rate and AHT, which come from each row. */
export interface ForecastPlanInput extends Omit<PlanInput, 'rate' | 'aht'> {
  /** Length of one forecast interval, minutes (> 0): calls per interval × 60 / this = calls per hour. */
  readonly intervalMinutes: number;
}

/** The plan of one forecast interval. */
export interface IntervalPlan extends PlanResult {
  /** The row's interval label, verbatim. */
  interval: string;
  /** Calls offered in the interval. */
  calls: number;
  /** Average handle time, seconds. */
  aht: number;
}

/**
 * Staffs every interval of a forecast with {@link runPlan}. A row with 0 calls
 * needs 0 agents whatever its AHT (an AHT of 0 is allowed there).
 * @param rows parsed forecast rows
 * @param input targets, model options and the interval length in minutes
 * @throws PlanUsageError on an invalid option
 */
export function planForecast(rows: readonly ForecastRow[], input: ForecastPlanInput): IntervalPlan[] {
  if (!(Number.isFinite(input.intervalMinutes) && input.intervalMinutes > 0)) {
    throw new PlanUsageError('--interval-minutes must be a number > 0');
  }
  return rows.map((row) => {
    const rate = (row.calls * 60) / input.intervalMinutes;
    // With no calls the AHT plays no part; 1 s stands in for an AHT of 0 so the model's AHT > 0 check holds.
    const aht = row.ahtSeconds > 0 ? row.ahtSeconds : 1;
    return { interval: row.interval, calls: row.calls, aht: row.ahtSeconds, ...runPlan({ ...input, rate, aht }) };
  });
}

/**
 * A fixed-width text table of interval plans, one line per interval.
 * @param plans interval plans
 */
export function formatForecastTable(plans: readonly IntervalPlan[]): string {
  const withAbandon = plans.some((p) => p.probabilityOfAbandon !== undefined);
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const head = ['interval', 'calls', 'aht s', 'agents', 'scheduled', 'SL', 'ASA s', 'occupancy', 'P(wait)'];
  if (withAbandon) head.push('P(abandon)');
  const body = plans.map((p) => {
    const cells = [p.interval, String(p.calls), String(p.aht), String(p.agents), String(p.scheduledAgents)];
    cells.push(pct(p.serviceLevel), p.asa.toFixed(1), pct(p.occupancy), pct(p.probabilityOfWait));
    if (withAbandon) cells.push(pct(p.probabilityOfAbandon ?? 0));
    return cells;
  });
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((r) => (r[c] as string).length)));
  const render = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number)))
      .join('  ')
      .trimEnd();
  return [render(head), ...body.map(render)].join('\n');
}
