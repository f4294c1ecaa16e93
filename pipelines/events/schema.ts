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
const text = (maxLength: number) => ({ type: 'string', maxLength, pattern: TEXT_PATTERN }) as const;
const id = { type: 'string', minLength: 1, maxLength: 128, pattern: TEXT_PATTERN } as const;
const ms = { type: 'integer', minimum: 0, maximum: 7 * 24 * 3600 * 1000 } as const;
/** An epoch-ms time ClickHouse can store (a `DateTime64` ends in 2299); how far from now is checked at decode. */
const epochMs = { type: 'integer', minimum: 0, maximum: MAX_DATETIME64_MS } as const;
/** Largest interval-report counter: 10¹² (seconds, ms or calls in one interval) is more than any contact center reports. */
export const MAX_INTERVAL_COUNTER = 1e12;
/** Most counters one interval report may carry. */
export const MAX_INTERVAL_COUNTERS = 64;

const bodies = {
  agent: {
    type: 'object',
    additionalProperties: false,
    required: ['agentId', 'state'],
    properties: {
      agentId: id,
      state: { enum: ['LOGGED_OUT', 'AVAILABLE', 'RINGING', 'ON_CALL', 'HOLD', 'ACW', 'AUX'] },
      reason: text(64),
      callId: id,
      skillGroups: { type: 'array', maxItems: 64, items: id },
    },
  },
  extension: {
    type: 'object',
    additionalProperties: false,
    required: ['extension', 'state'],
    properties: { extension: id, state: { enum: ['IDLE', 'RINGING', 'BUSY', 'UNAVAILABLE', 'DND'] }, callId: id },
  },
  skillgroup: {
    type: 'object',
    additionalProperties: false,
    required: ['skillGroup', 'callId', 'type'],
    properties: {
      skillGroup: id,
      callId: id,
      type: { enum: ['OFFERED', 'ANSWERED', 'ABANDONED', 'TRANSFERRED', 'OVERFLOWED', 'COMPLETED'] },
      waitMs: ms,
      talkMs: ms,
      holdMs: ms,
      acwMs: ms,
      agentId: id,
      priority: { type: 'integer', minimum: 0, maximum: 9 },
      channel: text(32),
      reason: text(64),
    },
  },
  interval: {
    type: 'object',
    required: ['scope', 'key', 'intervalStart', 'intervalSec'],
    properties: {
      scope: { enum: ['skillgroup', 'agent'] },
      key: id,
      intervalStart: epochMs,
      intervalSec: { enum: [900, 1800] },
    },
    // Four fields and the counters: names are text, values bounded numbers.
    maxProperties: 4 + MAX_INTERVAL_COUNTERS,
    propertyNames: { minLength: 1, maxLength: 64, pattern: TEXT_PATTERN },
    additionalProperties: { type: 'number', minimum: 0, maximum: MAX_INTERVAL_COUNTER },
  },
} as const;

/** JSON schema of the normalized envelope with its four bodies (docs/architecture.md#normalized-events). */
export const telemetryEventSchema = {
  $id: 'https://sluice.dev/schemas/event.json',
  type: 'object',
  additionalProperties: false,
  required: ['v', 'tenant', 'source', 'id', 'ts', 'body'],
  properties: {
    v: { const: 1 },
    tenant: tenantSchema,
    source: { enum: ['agent', 'extension', 'skillgroup', 'interval'] },
    id,
    ts: epochMs,
    body: { type: 'object' },
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
