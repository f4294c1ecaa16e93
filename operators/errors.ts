/**
 * Errors raised by the operators, and the option checks that run once when an
 * operator is built (never per element).
 */

const MARK = Symbol.for('sluice.operators.error');

/**
 * Every error code raised by this folder, with whether retrying can help.
 * Not HTTP-facing: a service mapping them to responses picks the status.
 */
export const OPERATOR_ERROR_CODES = {
  /** An option is out of range or of the wrong type; fix the configuration. */
  SLUICE_ERR_OPERATOR_OPTION: { retriable: false },
  /** An event carried a timestamp that is not a finite number. */
  SLUICE_ERR_EVENT_TIME: { retriable: false },
} as const;

/** Error codes raised by this folder. */
export type OperatorErrorCode = keyof typeof OPERATOR_ERROR_CODES;

/** An error from an operator, with a stable code and whether retrying can help. */
export class OperatorError extends Error {
  readonly code: OperatorErrorCode;
  readonly retriable: boolean;
  readonly [MARK] = true;

  constructor(code: OperatorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OperatorError';
    this.code = code;
    this.retriable = OPERATOR_ERROR_CODES[code].retriable;
  }
}

/** Recognises an {@link OperatorError} by marker, so duplicate package copies still match. */
export function isOperatorError(e: unknown): e is OperatorError {
  return typeof e === 'object' && e !== null && (e as { [MARK]?: unknown })[MARK] === true;
}

function optionError(name: string, rule: string, value: unknown): OperatorError {
  return new OperatorError('SLUICE_ERR_OPERATOR_OPTION', `${name} must be ${rule} (got ${String(value)})`);
}

/** Checks a duration or size: finite and `>= min`. Returns it for chaining. */
export function checkNumber(name: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) throw optionError(name, `a finite number ≥ ${min}`, value);
  return value;
}

/** Checks an integer `>= min` (Infinity is refused). */
export function checkInteger(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw optionError(name, `an integer ≥ ${min}`, value);
  return value;
}

/** Checks that a value is a function. */
export function checkFunction(name: string, value: unknown): void {
  if (typeof value !== 'function') throw optionError(name, 'a function', value);
}

/** Checks a relation between two options, e.g. `slideMs ≤ sizeMs`. */
export function checkRule(ok: boolean, name: string, rule: string, value: unknown): void {
  if (!ok) throw optionError(name, rule, value);
}

/** The error for an event whose `ts` is not a finite number. */
export function badEventTime(ts: unknown): OperatorError {
  return new OperatorError('SLUICE_ERR_EVENT_TIME', `event ts must be a finite epoch-ms number (got ${String(ts)})`);
}
