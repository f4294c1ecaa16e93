/**
 * The app's error codes (the server and its shared plugins): code, HTTP status,
 * message template, and whether a retry may succeed. The codes several rooms share (validation, not
 * found, forbidden, unavailable) are in `core/errors.ts`; every code is documented in docs/errors.md
 * (`app/errors.test.ts` checks it).
 */
import { defineErrors, type ErrorList, type SluiceError } from '../core/errors.js';

/** The app's own codes. */
export const APP_ERRORS = {
  SLUICE_ERR_BODY_TOO_LARGE: { status: 413, retriable: false, message: 'request body exceeds %s bytes' },
  SLUICE_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, retriable: false, message: 'content type %s is not supported' },
  SLUICE_ERR_UNAUTHENTICATED: { status: 401, retriable: false, message: '%s' },
  SLUICE_ERR_TOKEN_INVALID: { status: 401, retriable: false, message: 'bearer token refused: %s' },
  SLUICE_ERR_TOKEN_TENANT: { status: 403, retriable: false, message: 'bearer token refused: %s' },
  SLUICE_ERR_TOKEN_NO_ROLE: { status: 403, retriable: false, message: 'bearer token refused: %s' },
  SLUICE_ERR_IDENTITY_UNAVAILABLE: { status: 503, retriable: true, message: '%s' },
  SLUICE_ERR_UPGRADE_REQUIRED: { status: 426, retriable: false, message: '%s is a WebSocket: send an upgrade request' },
  SLUICE_ERR_TOO_MANY_STREAMS: {
    status: 429,
    retriable: true,
    message: 'this API key already holds %s real-time streams (SLUICE_STREAM_MAX_PER_KEY)',
  },
  SLUICE_ERR_ROLE_ROUTE: {
    status: 404,
    retriable: false,
    message: '%s is served by instances of the %s role (or all); this instance runs the %s role',
  },
  SLUICE_ERR_REPORTS_SLOWED: {
    status: 503,
    retriable: true,
    message: 'reports of tenant %s are slowed while the control loop sheds non-critical work (policy slowNonCritical): %s',
  },
  SLUICE_ERR_NOT_READY: { status: 503, retriable: true, message: 'not ready: %s' },
  SLUICE_ERR_INTERNAL: { status: 500, retriable: true, message: 'internal error (request %s)' },
  SLUICE_ERR_CONFIG: { status: 500, retriable: false, message: 'configuration is invalid: %s' },
} as const satisfies ErrorList;

/** An app error code (the app's own; shared codes are in `core/errors.ts`). */
export type AppErrorCode = keyof typeof APP_ERRORS;

/**
 * An error of the app: `appError('SLUICE_ERR_NOT_READY', ['the bus is down'])`; a shared code takes its
 * message whole (`appError('SLUICE_ERR_UNAVAILABLE', 'the event bus is unavailable')`).
 */
export const appError = defineErrors('app', APP_ERRORS).error;

/**
 * A 400 for a request the schema could not refuse, worded like the schema's own refusals
 * (`request is invalid: querystring.to must be greater than querystring.from`).
 *
 * @param field the bad field (`querystring.to`), sent as `field`
 * @param rule what is wrong, naming the field
 */
export function invalidRequest(field: string, rule: string): SluiceError<'SLUICE_ERR_VALIDATION'> {
  return appError('SLUICE_ERR_VALIDATION', `request is invalid: ${rule}`, { details: { field } });
}
