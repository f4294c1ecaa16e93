import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { MAX_DATETIME64_MS } from '../../adapters/clickhouse/partitions.js';
import { tenantSchema } from '../../core/access.js';
import type { TelemetryEvent } from './types.js';

/**
 * Text Sluice keeps (ids, names, reasons): no control characters (NUL, line breaks, escapes: an id
 * with a NUL is a second `sales` on a wallboard) and no lone surrogates (not text at all: ClickHouse
 * refuses them). Matched with the `u` flag, so a surrogate pair is one character and passes.
 */
export const TEXT_PATTERN = '^[^\\p{Cc}\\p{Cs}]*$';
const text = (maxLength: number, description: string) => ({ type: 'string', maxLength, pattern: TEXT_PATTERN, description }) as const;
const id = (description: string) => ({ type: 'string', minLength: 1, maxLength: 128, pattern: TEXT_PATTERN, description }) as const;
const ms = (description: string) => ({ type: 'integer', minimum: 0, maximum: 7 * 24 * 3600 * 1000, description }) as const;
/** An epoch-ms time ClickHouse can store (a `DateTime64` ends in 2299); how far from now is checked at decode. */
const epochMs = (description: string) => ({ type: 'integer', minimum: 0, maximum: MAX_DATETIME64_MS, description }) as const;
const CALL_ID = "The call this is about (the PBX's call or channel unique id): every event of one call carries the same.";
/** Largest interval-report counter: 10¹² (seconds, ms or calls in one interval) is more than any contact center reports. */
export const MAX_INTERVAL_COUNTER = 1e12;
/** Most counters one interval report may carry. */
export const MAX_INTERVAL_COUNTERS = 64;

const bodies = {
  agent: {
    type: 'object',
    additionalProperties: false,
    required: ['agentId', 'state'],
    description: 'An agent changed state: send one event per change, at the time of the change.',
    properties: {
      agentId: id('The agent (login name, agent number, queue member name).'),
      state: {
        enum: ['LOGGED_OUT', 'AVAILABLE', 'RINGING', 'ON_CALL', 'HOLD', 'ACW', 'AUX'],
        description:
          'The new state: LOGGED_OUT, AVAILABLE (ready for a call), RINGING (offered a call), ON_CALL, HOLD (caller on hold), ACW (after-call work), AUX (paused; say why in reason).',
      },
      reason: text(64, 'Why, for AUX (a pause reason code such as Lunch); at most 64 characters.'),
      callId: id(CALL_ID),
      skillGroups: {
        type: 'array',
        maxItems: 64,
        items: id('A skill group (queue) the agent serves.'),
        description: 'Skill groups the agent serves, at most 64.',
      },
    },
  },
  extension: {
    type: 'object',
    additionalProperties: false,
    required: ['extension', 'state'],
    description: "A device (extension, queue member's phone) changed state.",
    properties: {
      extension: id('The device (extension number, SIP endpoint, queue member interface).'),
      state: { enum: ['IDLE', 'RINGING', 'BUSY', 'UNAVAILABLE', 'DND'], description: 'The new state; DND is do-not-disturb.' },
      callId: id(CALL_ID),
    },
  },
  skillgroup: {
    type: 'object',
    additionalProperties: false,
    required: ['skillGroup', 'callId', 'type'],
    description:
      "A step of a call's life in a skill group (queue): OFFERED when it enters, then one of ANSWERED, ABANDONED or OVERFLOWED when it leaves the queue, then COMPLETED or TRANSFERRED when an answered call ends.",
    properties: {
      skillGroup: id('The skill group (queue).'),
      callId: id(CALL_ID),
      type: {
        enum: ['OFFERED', 'ANSWERED', 'ABANDONED', 'TRANSFERRED', 'OVERFLOWED', 'COMPLETED'],
        description:
          'OFFERED: entered the queue. ANSWERED: connected to an agent (send waitMs). ABANDONED: the caller hung up while waiting (send waitMs). OVERFLOWED: left the queue otherwise (timeout, key, empty queue; say which in reason, send waitMs). COMPLETED / TRANSFERRED: an answered call ended or was transferred out (send talkMs).',
      },
      waitMs: ms('Time the caller waited in the queue before leaving it, milliseconds (at most 7 days).'),
      talkMs: ms('Time connected to the agent, milliseconds (at most 7 days).'),
      holdMs: ms('Time the agent held the caller, milliseconds (at most 7 days).'),
      acwMs: ms('After-call work, milliseconds (at most 7 days).'),
      agentId: id('The agent who answered, transferred or completed the call.'),
      priority: { type: 'integer', minimum: 0, maximum: 9, description: 'Queue priority of the call, 0 (normal) to 9.' },
      channel: text(32, 'Channel of the contact (voice, chat, …); at most 32 characters.'),
      reason: text(
        64,
        'How the call left the queue or ended, as the source tells it (timeout, key, empty, blind, attended, agent, caller); at most 64 characters.',
      ),
    },
  },
  interval: {
    type: 'object',
    required: ['scope', 'key', 'intervalStart', 'intervalSec'],
    description: `A vendor's interval report row: raw sums over one 15- or 30-minute interval, never ratios. Besides the four fields, up to ${MAX_INTERVAL_COUNTERS} counters (name → number 0 to 10¹²), e.g. offered, answered, abandoned, answeredWithinSl (calls), talkSec, holdSec, acwSec (seconds).`,
    properties: {
      scope: { enum: ['skillgroup', 'agent'], description: 'What key names: a skill group or an agent.' },
      key: id('The skill group or agent.'),
      intervalStart: epochMs('Start of the interval, epoch milliseconds.'),
      intervalSec: { enum: [900, 1800], description: 'Length of the interval, seconds: 900 or 1800.' },
    },
    // Four fields and the counters: names are text, values bounded numbers.
    maxProperties: 4 + MAX_INTERVAL_COUNTERS,
    propertyNames: { minLength: 1, maxLength: 64, pattern: TEXT_PATTERN },
    additionalProperties: { type: 'number', minimum: 0, maximum: MAX_INTERVAL_COUNTER },
  },
} as const;

/** The body schema of each source (with descriptions and units: the API document shows them). */
export const EVENT_BODY_SCHEMAS = bodies;

/** JSON schema of the normalized envelope with its four bodies (docs/architecture.md#normalized-events). */
export const telemetryEventSchema = {
  $id: 'https://sluice.dev/schemas/event.json',
  type: 'object',
  additionalProperties: false,
  required: ['v', 'tenant', 'source', 'id', 'ts', 'body'],
  properties: {
    v: { const: 1, description: 'Schema version: 1.' },
    tenant: { ...tenantSchema, description: "The tenant: the API key's own (a tenant key may send no other)." },
    source: { enum: ['agent', 'extension', 'skillgroup', 'interval'], description: 'Which kind of event, and so which body.' },
    id: id(
      'Unique per event and stable: the same fact sent twice (a retry, a collector restarted) must carry the same id, so it is stored once.',
    ),
    ts: epochMs('Event time, epoch milliseconds (not seconds): at most 400 days before now and 5 minutes after it on live ingest.'),
    body: { type: 'object', description: 'The fields of the source: see the schema of each source.' },
  },
  allOf: (Object.keys(bodies) as (keyof typeof bodies)[]).map((source) => ({
    if: { properties: { source: { const: source } }, required: ['source'] },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, not a thenable
    then: { properties: { body: bodies[source] } },
  })),
} as const;

const ajv = new Ajv({ allErrors: false, strict: true, strictRequired: false });
const validate: ValidateFunction = ajv.compile(telemetryEventSchema);
/**
 * The same schema for one source at a time (the envelope with that source's body), picked by the event's
 * `source`: the whole schema tries every source's `if`, and each branch that does not apply leaves error
 * objects behind, hundreds of bytes of garbage per event. Anything else (no source, an unknown one) goes
 * through the whole schema, which names the fault.
 */
const bySource = new Map<string, ValidateFunction>(
  (Object.keys(bodies) as (keyof typeof bodies)[]).map((source) => {
    const { allOf: _, $id, ...envelope } = telemetryEventSchema;
    return [
      source,
      ajv.compile({
        ...envelope,
        $id: `${$id}#${source}`,
        properties: { ...envelope.properties, source: { const: source }, body: bodies[source] },
      }),
    ];
  }),
);

/** Turns the first ajv error into "body.waitMs must be integer"-style text naming the field. */
export function describeAjvError(err: ErrorObject | undefined, root = ''): string {
  if (!err) return 'invalid';
  let path = (root + err.instancePath).replace(/^\//, '').replaceAll('/', '.');
  // A property name broke a rule (an interval counter's): name it, escaped, so the reason itself stays plain text.
  if (err.propertyName !== undefined) path = `${path ? `${path} ` : ''}property name ${JSON.stringify(err.propertyName.slice(0, 64))}`;
  if (err.keyword === 'required') return `${path ? `${path}.` : ''}${String(err.params.missingProperty)} is required`;
  if (err.keyword === 'additionalProperties') return `${path ? `${path}.` : ''}${String(err.params.additionalProperty)} is not allowed`;
  if (err.keyword === 'enum') return `${path || 'value'} must be one of ${(err.params.allowedValues as unknown[]).join(', ')}`;
  if (err.keyword === 'pattern' && err.params.pattern === TEXT_PATTERN)
    return `${path || 'value'} must be text without control characters (NUL, line breaks, …) or lone surrogates`;
  return `${path || 'event'} ${err.message ?? 'is invalid'}`;
}

/** Result of {@link validateEvent}. */
export type Validation = { ok: true; event: TelemetryEvent } | { ok: false; reason: string };

/** Validates a parsed value against the normalized event schema (compiled once). */
export function validateEvent(value: unknown): Validation {
  const source = typeof value === 'object' && value !== null ? (value as { source?: unknown }).source : undefined;
  const v = (typeof source === 'string' && bySource.get(source)) || validate;
  if (v(value)) return { ok: true, event: value as TelemetryEvent };
  return { ok: false, reason: `schema: ${describeAjvError(v.errors?.[0])}` };
}
