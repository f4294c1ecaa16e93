import { workflowError } from '../errors.js';
import { WORKFLOW_LIMITS } from '../limits.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const TOKEN = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;

/**
 * Parses a duration into milliseconds. Accepts a non-negative number (already ms) or a
 * string of number+unit pairs: `ms`, `s`, `m`, `h`, `d` (24 h), `w` (7 d).
 * Under a business calendar the result is counted in working time, so `"1d"` is 24
 * working hours, not one working day. At most {@link WORKFLOW_LIMITS.maxDurationMs} (365
 * days): SLA arithmetic stays cheap and every due date stays a real date.
 *
 * @param value the raw duration
 * @param path where the value sits in the definition, named in the error
 * @returns milliseconds
 * @throws SluiceError `SLUICE_ERR_DURATION_INVALID`
 * @example parseDuration('1h30m') // 5_400_000
 */
export function parseDuration(value: unknown, path = 'duration'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return bounded(value, value, path);
    throw workflowError('SLUICE_ERR_DURATION_INVALID', `${path}: ${value} is not a non-negative number of ms`);
  }
  if (typeof value !== 'string' || value.trim() === '') {
    throw workflowError('SLUICE_ERR_DURATION_INVALID', `${path}: expected a duration like "1h30m" or a number of ms`);
  }
  const text = value.replace(/\s+/g, '');
  let total = 0;
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) {
      throw workflowError(
        'SLUICE_ERR_DURATION_INVALID',
        `${path}: ${quote(value)} is not a duration (bad part at ${quote(text.slice(at))}; units ms, s, m, h, d, w)`,
      );
    }
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  return bounded(Math.round(total), value, path);
}

/** The text in quotes, cut at 40 characters: messages echo what was sent, not all of it. */
function quote(text: string): string {
  return `"${text.length > 40 ? `${text.slice(0, 40)}…` : text}"`;
}

function bounded(ms: number, value: unknown, path: string): number {
  if (ms <= WORKFLOW_LIMITS.maxDurationMs) return ms;
  throw workflowError(
    'SLUICE_ERR_DURATION_INVALID',
    `${path}: ${typeof value === 'string' ? quote(value) : String(value)} is longer than the maximum of ${formatDuration(WORKFLOW_LIMITS.maxDurationMs)}`,
  );
}

/**
 * Formats milliseconds as a compact duration (`"1h30m"`), for messages and audit entries.
 *
 * @param ms milliseconds, non-negative
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit] as number;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
