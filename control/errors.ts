/**
 * The control room's error codes. Each code is listed once, with its message
 * template, HTTP status and whether retrying can help; a test checks that every
 * `SLUICE_ERR_*` literal used under `control/` is documented here.
 */

/** Description of one error code. */
export interface ErrorSpec {
  /** Message template; `{detail}` is replaced by the specific detail. */
  readonly message: string;
  /** HTTP status an API answers with when this error reaches it. */
  readonly status: number;
  /** Whether the same request may succeed if retried unchanged. */
  readonly retriable: boolean;
  /** When the error is thrown, for the documentation. */
  readonly description: string;
}

/** Every error code `control/` throws. */
export const CONTROL_ERRORS = Object.freeze({
  SLUICE_ERR_CONTROL_CONFIG_INVALID: {
    message: 'invalid control configuration: {detail}',
    status: 400,
    retriable: false,
    description: 'An option of a breaker, level controller, limiter, throttle or pressure model fails validation at construction.',
  },
  SLUICE_ERR_CONTROL_STATE_INVALID: {
    message: 'saved control state cannot be restored: {detail}',
    status: 400,
    retriable: false,
    description: 'A toJSON() snapshot handed to restore() is malformed or from an unknown version.',
  },
  SLUICE_ERR_CONTROL_OVERRIDE_INVALID: {
    message: 'invalid override: {detail}',
    status: 400,
    retriable: false,
    description: 'A forced breaker state or a pinned level has a duration outside (0, max] or an unknown level, or a pin names a new skill group of a tenant that already tracks as many as it may (SLUICE_CONTROL_MAX_SKILL_GROUPS).',
  },
  SLUICE_ERR_POLICY_INVALID: {
    message: 'invalid policy: {detail}',
    status: 400,
    retriable: false,
    description: 'A tenant policy table fails its JSON schema; the detail names each offending field.',
  },
  SLUICE_ERR_POLICY_VERSION_CONFLICT: {
    message: 'policy version conflict: {detail}',
    status: 409,
    retriable: true,
    description: 'A policy update named an expected version that is no longer current; re-read and retry.',
  },
  SLUICE_ERR_POLICY_NO_PREVIOUS: {
    message: 'no previous policy version: {detail}',
    status: 409,
    retriable: false,
    description: 'A rollback was asked for a tenant that has no previous policy version.',
  },
  SLUICE_ERR_CONTROL_SHARED_UNAVAILABLE: {
    message: 'shared control state unavailable: {detail}',
    status: 503,
    retriable: true,
    description: 'A change that must reach every control instance (a policy version) could not be made because the shared store (Redis) is unreachable or busy; routing goes on from local state.',
  },
  SLUICE_ERR_CONTROL_REQUEST_INVALID: {
    message: 'invalid request: {detail}',
    status: 400,
    retriable: false,
    description: 'A control API request is well-formed JSON but incomplete in a way the schema cannot state (e.g. a platform key that names no tenant where one is needed).',
  },
  SLUICE_ERR_RATE_LIMITED: {
    message: 'rate limit exceeded: {detail}',
    status: 429,
    retriable: true,
    description: "The same code and status as the API's own: an API key sent more control requests in a window than its limit; `Retry-After` gives the seconds to wait.",
  },
  SLUICE_ERR_NOT_FOUND: {
    message: '{detail} not found',
    status: 404,
    retriable: false,
    description: "The same code and status as the API's own 404: an unknown or expired decision id, an unknown breaker, or another tenant's data (answered as not found so existence does not leak).",
  },
} as const satisfies Record<`SLUICE_ERR_${string}`, ErrorSpec>);

/** A documented control error code. */
export type ControlErrorCode = keyof typeof CONTROL_ERRORS;

const MARKER = Symbol.for('sluice.error');

/** An error carrying a documented `SLUICE_ERR_*` code. */
export class SluiceError extends Error {
  /** The documented code. */
  readonly code: ControlErrorCode;
  /** HTTP status for APIs. */
  readonly status: number;
  /** Whether retrying unchanged may succeed. */
  readonly retriable: boolean;
  /** The specific detail inserted into the template. */
  readonly detail: string;

  /**
   * @param code a code from {@link CONTROL_ERRORS}
   * @param detail what exactly is wrong, naming the field
   */
  constructor(code: ControlErrorCode, detail: string, options?: { cause?: unknown }) {
    const spec: ErrorSpec = CONTROL_ERRORS[code];
    super(spec.message.replace('{detail}', detail), options);
    this.name = 'SluiceError';
    this.code = code;
    this.status = spec.status;
    this.retriable = spec.retriable;
    this.detail = detail;
    Object.defineProperty(this, MARKER, { value: true });
  }
}

/**
 * True when `e` is a Sluice error, even one built by another copy of this
 * module (checks a registered-symbol marker, not `instanceof`).
 */
export function isSluiceError(e: unknown): e is SluiceError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[MARKER] === true;
}
