import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { CHANNELS } from '../sla/policy.js';
import type { IssueList } from './issues.js';

/** One Ajv instance for every workflow schema, each compiled once. */
export const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });

const name = { type: 'string', minLength: 1, maxLength: 200 } as const;
const identifier = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' } as const;
const duration = { type: ['number', 'string'], minimum: 0, minLength: 1 } as const;
const principal = { type: 'string', pattern: '^(\\*|system|(user|group|role|organisation):.+)$' } as const;
/** Warning recipients: principal refs, or `assignees` (whoever holds the node's open todos). */
const recipient = { type: 'string', pattern: '^(assignees|(user|group|role|organisation):.+)$' } as const;
const oneOrMany = { type: ['string', 'array'], minLength: 1, items: name, minItems: 1 } as const;

const calendarProperties = {
  utcOffset: { type: 'string' },
  workingHours: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
  holidays: { type: 'array', items: { type: 'string' } },
} as const;

/** Shape of a business calendar (hours and dates are checked by `BusinessCalendar`). */
export const calendarSchema = { type: 'object', additionalProperties: false, required: ['workingHours'], properties: calendarProperties } as const;

/** Shape of a node's `sla`. */
export const slaSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['duration'],
  properties: {
    duration,
    calendar: { type: ['string', 'object'], minLength: 1, additionalProperties: false, required: ['workingHours'], properties: calendarProperties },
    pauseOn: { type: 'array', items: name },
    breachChannel: { enum: CHANNELS },
    warnings: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['delay', 'channel'],
        properties: {
          delay: duration,
          channel: { enum: CHANNELS },
          repeat: { type: 'integer', minimum: 0, maximum: 100 },
          interval: duration,
          notify: { type: 'array', items: recipient },
        },
      },
    },
  },
} as const;

/** Shape of an assignee spec (the one-of rule is checked in code for a clearer message). */
export const assigneesSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    user: name,
    group: name,
    organisation: name,
    expression: name,
    strategy: { enum: ['round-robin', 'least-loaded', 'skill-match'] },
    capacity: { type: 'integer', minimum: 1 },
    skills: { type: 'array', items: name },
  },
} as const;

/** Properties every node has; node types add theirs next to these. */
export const baseNodeProperties = {
  id: identifier,
  type: name,
  name,
  description: { type: 'string' },
  sla: slaSchema,
} as const;

/** Shape of the whole document; node bodies are checked by their type's schema. */
export const flowSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'version', 'tenant', 'name', 'nodes', 'controls'],
  properties: {
    id: identifier,
    version: { type: 'integer', minimum: 1 },
    tenant: identifier,
    name,
    description: { type: 'string' },
    permissions: {
      type: 'object',
      additionalProperties: false,
      properties: { start: { type: 'array', items: principal }, view: { type: 'array', items: principal }, admin: { type: 'array', items: principal } },
    },
    separationOfDuties: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'nodes'],
        properties: { name: identifier, nodes: { type: 'array', minItems: 2, items: identifier }, description: { type: 'string' } },
      },
    },
    triggers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: {
          intent: oneOrMany,
          trajectory: { type: 'array', items: name, minItems: 1 },
          diversion: oneOrMany,
          when: name,
          priority: { type: 'integer' },
        },
      },
    },
    calendars: { type: 'object', additionalProperties: calendarSchema },
    nodes: {
      type: 'array',
      minItems: 1,
      items: { type: 'object', required: ['id', 'type'], properties: { id: identifier, type: name } },
    },
    controls: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['from', 'to'],
        properties: { id: identifier, from: identifier, to: identifier, on: name, when: name },
      },
    },
  },
} as const;

/** `/nodes/2/sla/duration` → `nodes[2].sla.duration`, prefixed by `base`. */
function toPath(base: string, pointer: string): string {
  let out = base;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(seg) ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  }
  return out;
}

function describe(e: ErrorObject): { at: string; message: string } {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return { at: e.instancePath, message: `unknown property "${String(p.additionalProperty)}"` };
    case 'required':
      return { at: e.instancePath, message: `missing required property "${String(p.missingProperty)}"` };
    case 'enum':
      return { at: e.instancePath, message: `must be one of ${(p.allowedValues as unknown[]).join(', ')}` };
    case 'type':
      return { at: e.instancePath, message: `must be ${String(p.type).split(',').join(' or ')}` };
    case 'pattern':
      return { at: e.instancePath, message: `"${String(e.data)}" does not match ${String(p.pattern)}` };
    default:
      return { at: e.instancePath, message: e.message ?? e.keyword };
  }
}

/**
 * Validates `data` with `validate`, adding one issue per distinct failure under `base`.
 *
 * @param label prefix of every message (e.g. `node "manager": `)
 * @returns true when valid
 */
export function checkShape(validate: ValidateFunction, data: unknown, base: string, issues: IssueList, label = ''): boolean {
  if (validate(data)) return true;
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
    const d = describe(e);
    const path = toPath(base, d.at);
    const message = d.message;
    const key = `${path}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.add(path, label ? `${label}${message}` : message);
  }
  return false;
}

/** The compiled top-level flow schema. */
export const validateFlowShape: ValidateFunction = ajv.compile(flowSchema);
