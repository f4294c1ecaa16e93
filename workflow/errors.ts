/**
 * The workflow service's error codes: one list (code, message template, HTTP status,
 * whether a retry can help), so routes map errors to responses without guessing and a
 * test can check that every code thrown is documented here.
 */

/** Documentation of one error code. */
export interface ErrorCodeInfo {
  /** HTTP status the route layer answers with. */
  readonly status: number;
  /** Whether repeating the same request later may succeed. */
  readonly retriable: boolean;
  /** Human description of when the code is used. */
  readonly description: string;
}

/** Every error code raised by `workflow/`, with its HTTP status and retry hint. */
export const WORKFLOW_ERROR_CODES = {
  SLUICE_ERR_FLOW_PARSE: { status: 400, retriable: false, description: 'flow source is not valid JSON or YAML' },
  SLUICE_ERR_FLOW_INVALID: { status: 400, retriable: false, description: 'flow definition fails shape, expression or graph validation' },
  SLUICE_ERR_FLOW_NOT_FOUND: { status: 404, retriable: false, description: 'no flow with that tenant, id and version' },
  SLUICE_ERR_FLOW_VERSION_EXISTS: { status: 409, retriable: false, description: 'a flow version can be deployed only once and must be newer than the latest' },
  SLUICE_ERR_NO_MATCHING_FLOW: { status: 422, retriable: false, description: 'no flow trigger matches the intent, IVR trajectory or diversion' },
  SLUICE_ERR_NODE_TYPE_EXISTS: { status: 500, retriable: false, description: 'a node type with that name is already registered' },
  SLUICE_ERR_DURATION_INVALID: { status: 400, retriable: false, description: 'a duration is neither a non-negative number of ms nor a string like "1h30m", or is longer than 365 days' },
  SLUICE_ERR_CALENDAR_INVALID: { status: 400, retriable: false, description: 'business calendar has bad hours, offset or holidays, or no working time' },
  SLUICE_ERR_EXPRESSION_FAILED: { status: 422, retriable: false, description: 'a CEL expression failed at evaluation time or returned the wrong type' },
  SLUICE_ERR_TICKET_NOT_FOUND: { status: 404, retriable: false, description: 'no ticket with that tenant and id' },
  SLUICE_ERR_TICKET_EXISTS: { status: 409, retriable: false, description: 'a ticket with that tenant and id already exists' },
  SLUICE_ERR_TICKET_CONFLICT: { status: 409, retriable: true, description: 'the ticket changed since it was read (stale revision); re-read and retry' },
  SLUICE_ERR_TICKET_CLOSED: { status: 409, retriable: false, description: 'the ticket is closed and takes no more actions' },
  SLUICE_ERR_ACTION_INVALID: { status: 422, retriable: false, description: 'the action does not apply to the ticket in its current node or state' },
  SLUICE_ERR_ASSIGNMENT_NOT_FOUND: { status: 404, retriable: false, description: 'no open todo matches the action' },
  SLUICE_ERR_FORBIDDEN: { status: 403, retriable: false, description: 'the actor lacks the permission the action needs' },
  SLUICE_ERR_SEPARATION_OF_DUTIES: { status: 403, retriable: false, description: 'the actor already decided another node of a separation-of-duties rule (or another approval of this node) on this ticket; someone else must decide' },
  SLUICE_ERR_NO_TRANSITION: { status: 422, retriable: false, description: 'no control leaving the node matches the outcome and ticket fields' },
  SLUICE_ERR_FLOW_LOOP: { status: 500, retriable: false, description: 'automatic nodes moved the ticket too many times without waiting (a loop)' },
  SLUICE_ERR_PAUSE_NOT_ALLOWED: { status: 422, retriable: false, description: 'the SLA policy of the node does not pause on that status' },
  SLUICE_ERR_MIGRATION_REFUSED: { status: 422, retriable: false, description: 'the ticket cannot move to the requested flow version' },
  SLUICE_ERR_CURSOR_INVALID: { status: 400, retriable: false, description: 'a list cursor is malformed or belongs to another tenant' },
  SLUICE_ERR_UNKNOWN_CHANNEL: { status: 500, retriable: false, description: 'no notification channel registered under that name and no fallback' },
  SLUICE_ERR_WEBHOOK_FAILED: { status: 502, retriable: true, description: 'the webhook answered with an error status, timed out or was unreachable' },
  SLUICE_ERR_VALIDATION: { status: 400, retriable: false, description: 'a request to a workflow route is malformed; `field` names the bad field (shared with the app)' },
  SLUICE_ERR_NOT_FOUND: { status: 404, retriable: false, description: 'the tenant asked for is not visible to the key (shared with the app: never 403 across tenants)' },
  SLUICE_ERR_UNAVAILABLE: { status: 503, retriable: true, description: 'the workflow store (Redis) or history store (ClickHouse) is unreachable right now (shared with the app)' },
} as const satisfies Record<string, ErrorCodeInfo>;

/** A workflow error code. */
export type WorkflowErrorCode = keyof typeof WORKFLOW_ERROR_CODES;

const MARK = Symbol.for('sluice.error');

/** Extra fields an error may carry. */
export interface WorkflowErrorOptions {
  /** The underlying error, if any. */
  readonly cause?: unknown;
  /** Structured details (e.g. validation issues) for the API response. */
  readonly details?: unknown;
  /** Overrides the code's retry hint when this instance knows better (e.g. a 4xx from a webhook). */
  readonly retriable?: boolean;
}

/**
 * An error raised by the workflow service. Check with {@link isWorkflowError} (a marker,
 * not `instanceof`, so duplicate package copies still match).
 */
export class WorkflowError extends Error {
  /** Stable code, documented in {@link WORKFLOW_ERROR_CODES}. */
  readonly code: WorkflowErrorCode;
  /** HTTP status the route layer should answer with. */
  readonly status: number;
  /** Whether repeating the same request later may succeed. */
  readonly retriable: boolean;
  /** Structured details for the API response. */
  readonly details: unknown;

  /**
   * @param code a documented code
   * @param message says what is wrong, naming the field, id or path
   */
  constructor(code: WorkflowErrorCode, message: string, options: WorkflowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WorkflowError';
    this.code = code;
    this.status = WORKFLOW_ERROR_CODES[code].status;
    this.retriable = options.retriable ?? WORKFLOW_ERROR_CODES[code].retriable;
    this.details = options.details;
    Object.defineProperty(this, MARK, { value: true });
  }
}

/**
 * True when `err` is a workflow error, optionally with the given code.
 *
 * @example
 * if (isWorkflowError(err, 'SLUICE_ERR_TICKET_CONFLICT')) retry();
 */
export function isWorkflowError(err: unknown, code?: WorkflowErrorCode): err is WorkflowError {
  if (typeof err !== 'object' || err === null || (err as Record<symbol, unknown>)[MARK] !== true) return false;
  return code === undefined || (err as WorkflowError).code === code;
}
