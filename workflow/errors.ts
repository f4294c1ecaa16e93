/**
 * The workflow service's error codes: one list (code, HTTP status, whether a retry can help), so routes
 * map errors to responses without guessing and a test can check that every code thrown is listed here
 * or among the shared codes of `core/errors.ts` (validation, not found, forbidden, unavailable).
 * Messages are given whole at the throw, naming the field, id or path.
 */
import { defineErrors, type ErrorList } from '../core/errors.js';

/** The workflow service's own codes, with their HTTP status and retry hint. */
export const WORKFLOW_ERROR_CODES = {
  SLUICE_ERR_FLOW_PARSE: { status: 400, retriable: false, description: 'flow source is not valid JSON or YAML' },
  SLUICE_ERR_FLOW_INVALID: { status: 400, retriable: false, description: 'flow definition fails shape, expression or graph validation' },
  SLUICE_ERR_FLOW_NOT_FOUND: { status: 404, retriable: false, description: 'no flow with that tenant, id and version' },
  SLUICE_ERR_FLOW_VERSION_EXISTS: {
    status: 409,
    retriable: false,
    description: 'a flow version can be deployed only once and must be newer than the latest',
  },
  SLUICE_ERR_NO_MATCHING_FLOW: {
    status: 422,
    retriable: false,
    description: 'no flow trigger matches the intent, IVR trajectory or diversion',
  },
  SLUICE_ERR_NODE_TYPE_EXISTS: { status: 500, retriable: false, description: 'a node type with that name is already registered' },
  SLUICE_ERR_DURATION_INVALID: {
    status: 400,
    retriable: false,
    description: 'a duration is neither a non-negative number of ms nor a string like "1h30m", or is longer than 365 days',
  },
  SLUICE_ERR_CALENDAR_INVALID: {
    status: 400,
    retriable: false,
    description: 'business calendar has bad hours, offset or holidays, or no working time',
  },
  SLUICE_ERR_EXPRESSION_FAILED: {
    status: 422,
    retriable: false,
    description: 'a CEL expression failed at evaluation time or returned the wrong type',
  },
  SLUICE_ERR_TICKET_NOT_FOUND: { status: 404, retriable: false, description: 'no ticket with that tenant and id' },
  SLUICE_ERR_TICKET_EXISTS: { status: 409, retriable: false, description: 'a ticket with that tenant and id already exists' },
  SLUICE_ERR_TICKET_CONFLICT: {
    status: 409,
    retriable: true,
    description: 'the ticket changed since it was read (stale revision); re-read and retry',
  },
  SLUICE_ERR_TICKET_CLOSED: { status: 409, retriable: false, description: 'the ticket is closed and takes no more actions' },
  SLUICE_ERR_ACTION_INVALID: {
    status: 422,
    retriable: false,
    description: 'the action does not apply to the ticket in its current node or state',
  },
  SLUICE_ERR_ASSIGNMENT_NOT_FOUND: { status: 404, retriable: false, description: 'no open todo matches the action' },
  SLUICE_ERR_SEPARATION_OF_DUTIES: {
    status: 403,
    retriable: false,
    description:
      'the actor already decided another node of a separation-of-duties rule (or another approval of this node) on this ticket; someone else must decide',
  },
  SLUICE_ERR_NO_TRANSITION: {
    status: 422,
    retriable: false,
    description: 'no control leaving the node matches the outcome and ticket fields',
  },
  SLUICE_ERR_FLOW_LOOP: {
    status: 500,
    retriable: false,
    description: 'automatic nodes moved the ticket too many times without waiting (a loop)',
  },
  SLUICE_ERR_PAUSE_NOT_ALLOWED: { status: 422, retriable: false, description: 'the SLA policy of the node does not pause on that status' },
  SLUICE_ERR_MIGRATION_REFUSED: { status: 422, retriable: false, description: 'the ticket cannot move to the requested flow version' },
  SLUICE_ERR_CURSOR_INVALID: { status: 400, retriable: false, description: 'a list cursor is malformed or belongs to another tenant' },
  SLUICE_ERR_UNKNOWN_CHANNEL: {
    status: 500,
    retriable: false,
    description: 'no notification channel registered under that name and no fallback',
  },
  SLUICE_ERR_WEBHOOK_FAILED: {
    status: 502,
    retriable: true,
    description: 'the webhook answered with an error status, timed out or was unreachable',
  },
  SLUICE_ERR_ALERT_SEND_FAILED: {
    status: 502,
    retriable: true,
    description:
      'an alert channel (SMTP, the SMS/voice provider, WeChat Work, a webhook) refused, failed or timed out; retriable unless the provider refused the message for good',
  },
  SLUICE_ERR_ALERT_INVALID: {
    status: 400,
    retriable: false,
    description: 'an alert request breaks its shape or bounds (the field is named); it is refused before it is stored',
  },
  SLUICE_ERR_ALERT_CHANNEL_CONFIG: {
    status: 500,
    retriable: false,
    description: 'an alert channel is configured wrongly (the setting is named); Sluice does not start',
  },
  SLUICE_ERR_DIRECTORY_NOT_FOUND: {
    status: 404,
    retriable: false,
    description: 'no person, group or organisation with that id in the tenant',
  },
  SLUICE_ERR_DIRECTORY_CONFLICT: {
    status: 409,
    retriable: false,
    description:
      'the directory write clashes with what is stored: the id or userName is taken, or an organisation still has members or sub-organisations',
  },
  SLUICE_ERR_DIRECTORY_FULL: {
    status: 409,
    retriable: false,
    description: 'the tenant holds the most persons, groups or organisations allowed, or a person the most groups',
  },
} as const satisfies ErrorList;

/** A workflow error code (the room's own; shared codes are in `core/errors.ts`). */
export type WorkflowErrorCode = keyof typeof WORKFLOW_ERROR_CODES;

/**
 * An error of the workflow service. Check with `isSluiceError(err, code)` (`core/errors.ts`).
 *
 * @example throw workflowError('SLUICE_ERR_TICKET_CONFLICT', `ticket "${id}" is at revision 3, not 2`);
 */
export const workflowError = defineErrors('workflow', WORKFLOW_ERROR_CODES).error;
