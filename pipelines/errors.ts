/**
 * The pipelines' error codes (their HTTP face: ingest, real-time and reports routes): code, HTTP status,
 * message template, and whether a retry may succeed. The codes several rooms share (validation, not
 * found, forbidden, unavailable, rate limited) are in `core/errors.ts`; every code is documented in
 * docs/errors.md (`app/errors.test.ts` checks it).
 */
import { defineErrors, type ErrorList, type SluiceError } from '../core/errors.js';

/** The pipelines' own codes. */
export const PIPELINES_ERRORS = {
  SLUICE_ERR_INGEST_BACKLOG: {
    status: 503,
    retriable: true,
    message: '%s events accepted are not yet stored, at most %s may wait: nothing of this request was accepted; retry after %s s',
  },
  SLUICE_ERR_EVENTS_REJECTED: {
    status: 422,
    retriable: false,
    message: 'none of the %s events was accepted: %s',
  },
} as const satisfies ErrorList;

/**
 * An error of the pipelines' routes: `pipelinesError('SLUICE_ERR_INGEST_BACKLOG', ['12', '10', '3'])`; a
 * shared code takes its message whole (`pipelinesError('SLUICE_ERR_UNAVAILABLE', 'the event bus is unavailable')`).
 */
export const pipelinesError = defineErrors('pipelines', PIPELINES_ERRORS).error;

/**
 * A 400 for a request the schema could not refuse, worded like the schema's own refusals
 * (`request is invalid: querystring.to must be greater than querystring.from`).
 *
 * @param field the bad field (`querystring.to`), sent as `field`
 * @param rule what is wrong, naming the field
 */
export function invalidRequest(field: string, rule: string): SluiceError<'SLUICE_ERR_VALIDATION'> {
  return pipelinesError('SLUICE_ERR_VALIDATION', `request is invalid: ${rule}`, { details: { field } });
}
