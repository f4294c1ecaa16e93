/**
 * The contract of `POST /v1/events` as the API document (`GET /openapi.json`) shows it: the schema of each
 * kind of event — the same schema every event is validated against (`events/schema.ts`), with its units and
 * descriptions — and every status the route answers with. docs/integration/events.md is the guide.
 */
import { EVENT_BODY_SCHEMAS, telemetryEventSchema } from '../events/schema.js';
import { SOURCES } from '../events/types.js';

/** Largest number of events in one `POST /v1/events`. */
export const MAX_EVENTS_PER_REQUEST = 5000;

const { $id: _id, allOf: _allOf, ...envelope } = telemetryEventSchema;

const TITLES: Record<(typeof SOURCES)[number], string> = {
  agent: 'Agent state event',
  extension: 'Extension (device) state event',
  skillgroup: 'Skill-group (queue) call event',
  interval: 'Interval report event',
};

/** One schema per source: the envelope with that source's body. */
export const EVENT_SCHEMAS_BY_SOURCE = Object.fromEntries(
  SOURCES.map((source) => [
    source,
    {
      ...envelope,
      title: TITLES[source],
      description: EVENT_BODY_SCHEMAS[source].description,
      properties: { ...envelope.properties, source: { const: source, description: `Always ${source}.` }, body: EVENT_BODY_SCHEMAS[source] },
    },
  ]),
);

/** The request body as documented. */
export const INGEST_BODY_DOC = {
  type: 'object',
  additionalProperties: false,
  required: ['events'],
  properties: {
    events: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_EVENTS_PER_REQUEST,
      description: `1 to ${MAX_EVENTS_PER_REQUEST} events, each of one of the four kinds (by its source). Each is checked on its own: a bad one is rejected with its reason while the others are stored.`,
      items: { oneOf: SOURCES.map((s) => EVENT_SCHEMAS_BY_SOURCE[s]) },
    },
  },
} as const;

/** `{error: {...}}`: the body of every refusal; `additionalProperties` keeps the details a code adds. */
const errorBody = (description: string) => ({
  description,
  type: 'object',
  properties: {
    error: {
      type: 'object',
      additionalProperties: true,
      required: ['code', 'message', 'retriable'],
      properties: {
        code: { type: 'string', description: 'A SLUICE_ERR_* code (docs/errors.md).' },
        message: { type: 'string', description: 'What is wrong, naming the field and what was expected.' },
        retriable: { type: 'boolean', description: 'Whether the same request may succeed if sent again unchanged.' },
        field: { type: 'string', description: 'The bad field, when one is to blame (body.events.3.tenant).' },
      },
    },
  },
});

const rejectedList = {
  type: 'array',
  description: 'Each event refused: its index in `events` and the reason (field, expectation, unit). Each is dead-lettered.',
  items: {
    type: 'object',
    required: ['index', 'reason'],
    properties: {
      index: { type: 'integer', description: 'Position in the request’s `events`, from 0.' },
      reason: {
        type: 'string',
        description: 'Why, e.g. "schema: body.waitMs must be integer" or "ts … is not epoch milliseconds (looks like seconds …)".',
      },
    },
  },
} as const;

/** Every status the route answers with. */
export const INGEST_RESPONSES = {
  202: {
    description: 'Accepted: at least one event was accepted, and each accepted event will be stored. `rejected` lists the others.',
    type: 'object',
    required: ['accepted', 'rejected'],
    properties: { accepted: { type: 'integer', description: 'Events accepted.' }, rejected: rejectedList },
  },
  400: errorBody(
    'SLUICE_ERR_VALIDATION: the request itself is wrong (not JSON, no `events`, more than 5,000 events, an event that is not an object, an event of another tenant than the key’s: `field` names it). Nothing was accepted.',
  ),
  401: errorBody('No API key, or an unknown one.'),
  403: errorBody('SLUICE_ERR_FORBIDDEN: the key’s role may not send events (an admin key of the tenant is needed).'),
  413: errorBody('The body is larger than SLUICE_BODY_LIMIT_BYTES (or nested deeper than the JSON depth limit). Send smaller batches.'),
  415: errorBody('The body is not `application/json`.'),
  422: errorBody(
    'SLUICE_ERR_EVENTS_REJECTED: none of the events was accepted. The message names the first reasons; `rejected` lists every event with its reason (the same shape as in a 202), and each was dead-lettered.',
  ),
  429: errorBody(
    'SLUICE_ERR_RATE_LIMITED: the key sent more events a second than SLUICE_INGEST_EVENTS_PER_SEC. Nothing was accepted; send the same request again after `Retry-After` seconds.',
  ),
  503: errorBody(
    'SLUICE_ERR_INGEST_BACKLOG (as many accepted events wait to be stored as may) or SLUICE_ERR_UNAVAILABLE (the bus or dead-letter store is down). Nothing was accepted; send the same request again after `Retry-After` seconds.',
  ),
} as const;
