/**
 * Every error Sluice reports to a client, once: code, HTTP status, message template, and whether a
 * retry may succeed. Codes are never reused; `app/errors.test.ts` checks each is documented in
 * docs/errors.md.
 */
export const ERRORS = {
  SLUICE_ERR_VALIDATION: { status: 400, retriable: false, message: 'request is invalid: %s' },
  SLUICE_ERR_BODY_TOO_LARGE: { status: 413, retriable: false, message: 'request body exceeds %s bytes' },
  SLUICE_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, retriable: false, message: 'content type %s is not supported' },
  SLUICE_ERR_UNAUTHENTICATED: { status: 401, retriable: false, message: '%s' },
  SLUICE_ERR_FORBIDDEN: { status: 403, retriable: false, message: 'role %s may not %s' },
  SLUICE_ERR_NOT_FOUND: { status: 404, retriable: false, message: '%s not found' },
  SLUICE_ERR_UPGRADE_REQUIRED: { status: 426, retriable: false, message: '%s is a WebSocket: send an upgrade request' },
  SLUICE_ERR_TOO_MANY_STREAMS: { status: 429, retriable: true, message: 'this API key already holds %s real-time streams (SLUICE_STREAM_MAX_PER_KEY)' },
  SLUICE_ERR_RATE_LIMITED: { status: 429, retriable: true, message: 'rate limit exceeded: %s' },
  SLUICE_ERR_NOT_READY: { status: 503, retriable: true, message: 'not ready: %s' },
  SLUICE_ERR_UNAVAILABLE: { status: 503, retriable: true, message: '%s is unavailable' },
  SLUICE_ERR_INGEST_BACKLOG: { status: 503, retriable: true, message: '%s events accepted are not yet stored, at most %s may wait: nothing of this request was accepted; retry after %s s' },
  SLUICE_ERR_INTERNAL: { status: 500, retriable: true, message: 'internal error (request %s)' },
  SLUICE_ERR_CONFIG: { status: 500, retriable: false, message: 'configuration is invalid: %s' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

const MARK = Symbol.for('sluice.error');

/** An error with a Sluice code. Test with {@link isSluiceError}, not `instanceof`. */
export class SluiceError extends Error {
  readonly [MARK] = true;
  readonly code: ErrorCode;
  readonly status: number;
  readonly retriable: boolean;
  /** Extra fields for the response body (e.g. the bad `field`). */
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, args: string[] = [], details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    const spec = ERRORS[code];
    let i = 0;
    super(spec.message.replace(/%s/g, () => args[i++] ?? ''), options);
    this.name = 'SluiceError';
    this.code = code;
    this.status = spec.status;
    this.retriable = spec.retriable;
    this.details = details;
  }
}

/** True for errors created by {@link SluiceError}, even from another copy of this module. */
export function isSluiceError(err: unknown): err is SluiceError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[MARK] === true;
}
