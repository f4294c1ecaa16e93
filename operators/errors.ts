/**
 * Errors raised by the operators, and the option checks that run once when an operator is built
 * (never per element), bound to `SLUICE_ERR_OPERATOR_OPTION` (`core/options.ts`).
 */
import { defineErrors, type ErrorList, type SluiceError } from '../core/errors.js';
import { optionChecks, type OptionChecks } from '../core/options.js';

/**
 * Every error code raised by this folder, with whether retrying can help. No HTTP status: they are
 * raised inside pipelines, never answered to a client as such.
 */
export const OPERATOR_ERROR_CODES = {
  /** An option is out of range or of the wrong type; fix the configuration. */
  SLUICE_ERR_OPERATOR_OPTION: { retriable: false },
  /** An event carried a timestamp that is not a finite number. */
  SLUICE_ERR_EVENT_TIME: { retriable: false },
} as const satisfies ErrorList;

/** Error codes raised by this folder. */
export type OperatorErrorCode = keyof typeof OPERATOR_ERROR_CODES;

/** An error of an operator: `operatorError('SLUICE_ERR_EVENT_TIME', 'event ts must be …')`. */
export const operatorError = defineErrors('operators', OPERATOR_ERROR_CODES).error;

const checks: OptionChecks = optionChecks((message) => operatorError('SLUICE_ERR_OPERATOR_OPTION', message));

/** Checks a numeric option against a rule, e.g. `checkNumber('sizeMs', o.sizeMs, { int: true, min: 1 })`. */
export const checkNumber: OptionChecks['checkNumber'] = checks.checkNumber;
/** Checks that an option is a function. */
export const checkFunction: OptionChecks['checkFunction'] = checks.checkFunction;
/** Checks a relation between options, e.g. `slideMs ≤ sizeMs`. */
export const checkRule: OptionChecks['checkRule'] = checks.checkRule;

/** The error for an event whose `ts` is not a finite number. */
export function badEventTime(ts: unknown): SluiceError<'SLUICE_ERR_EVENT_TIME'> {
  return operatorError('SLUICE_ERR_EVENT_TIME', `event ts must be a finite epoch-ms number (got ${String(ts)})`);
}
