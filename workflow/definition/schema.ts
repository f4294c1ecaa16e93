import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { WORKFLOW_LIMITS as L } from '../limits.js';
import { CHANNELS } from '../sla/policy.js';
import type { IssueList } from './issues.js';

/** One Ajv instance for every workflow schema, each compiled once. */
export const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });

const name = { type: 'string', minLength: 1, maxLength: 200 } as const;
const identifier = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' } as const;
/** A flow id: it travels in `/v1/flows/{id}`, so it fits fastify's 100-character path parameters. */
const flowIdentifier = { type: 'string', pattern: `^[A-Za-z0-9][A-Za-z0-9._-]{0,${L.maxIdLength - 1}}$` } as const;
const duration = { type: ['number', 'string'], minimum: 0, minLength: 1, maxLength: 64 } as const;
const principal = { type: 'string', maxLength: 200, pattern: '^(\\*|system|(user|group|role|organisation):.+)$' } as const;
/** Warning recipients: principal refs, or `assignees` (whoever holds the node's open todos). */
const recipient = { type: 'string', maxLength: 200, pattern: '^(assignees|(user|group|role|organisation|head|manager):.+)$' } as const;
const oneOrMany = { type: ['string', 'array'], minLength: 1, items: name, minItems: 1, maxItems: 100 } as const;
const principals = { type: 'array', maxItems: 100, items: principal } as const;

const calendarProperties = {
  utcOffset: { type: 'string', maxLength: 6 },
  workingHours: {
    type: 'object',
    maxProperties: 7,
    additionalProperties: { type: 'array', maxItems: L.maxWindowsPerDay, items: { type: 'string', maxLength: 16 } },
  },
  holidays: { type: 'array', maxItems: L.maxHolidays, items: { type: 'string', maxLength: 10 } },
} as const;

/** Shape of a business calendar (hours and dates are checked by `BusinessCalendar`). */
export const calendarSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['workingHours'],
  properties: calendarProperties,
} as const;

/** Shape of a node's `sla`. */
export const slaSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['duration'],
  properties: {
    duration,
    calendar: {
      type: ['string', 'object'],
      minLength: 1,
      maxLength: 200,
      additionalProperties: false,
      required: ['workingHours'],
      properties: calendarProperties,
    },
    pauseOn: { type: 'array', maxItems: 50, items: name },
    breachChannel: { enum: CHANNELS },
    warnings: {
      type: 'array',
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['delay', 'channel'],
        properties: {
          delay: duration,
          channel: { enum: CHANNELS },
          repeat: { type: 'integer', minimum: 0, maximum: 100 },
          interval: duration,
          notify: { type: 'array', maxItems: 100, items: recipient },
        },
      },
    },
  },
} as const;

const assigneeProperties = {
  user: name,
  group: name,
  organisation: name,
  head: name,
  manager: name,
  expression: name,
  strategy: { enum: ['round-robin', 'least-loaded', 'skill-match'] },
  capacity: { type: 'integer', minimum: 1, maximum: 100_000 },
  skills: { type: 'array', maxItems: 100, items: name },
  attributes: { type: 'object', maxProperties: 32, additionalProperties: { type: 'string', minLength: 1, maxLength: 256 } },
  remind: { type: 'array', minItems: 1, maxItems: 6, items: { enum: ['preferred', 'email', 'sms', 'voice', 'wecom', 'webhook'] } },
} as const;

/** Shape of an assignee spec (the one-of rule is checked in code for a clearer message). */
export const assigneesSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...assigneeProperties,
    fallback: { type: 'object', additionalProperties: false, properties: assigneeProperties },
  },
} as const;

/** Properties every node has; node types add theirs next to these. */
export const baseNodeProperties = {
  id: identifier,
  type: name,
  name,
  description: { type: 'string', maxLength: 10_000 },
  sla: slaSchema,
} as const;

/** Shape of the whole document; node bodies are checked by their type's schema. */
export const flowSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'version', 'tenant', 'name', 'nodes', 'controls'],
  properties: {
    id: flowIdentifier,
    version: { type: 'integer', minimum: 1, maximum: L.maxFlowVersion },
    tenant: identifier,
    name,
    description: { type: 'string', maxLength: 10_000 },
    permissions: {
      type: 'object',
      additionalProperties: false,
      properties: { start: principals, view: principals, admin: principals },
    },
    separationOfDuties: {
      type: 'array',
      maxItems: 100,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'nodes'],
        properties: {
          name: identifier,
          nodes: { type: 'array', minItems: 2, maxItems: L.maxNodes, items: identifier },
          description: { type: 'string', maxLength: 1_000 },
        },
      },
    },
    triggers: {
      type: 'array',
      maxItems: L.maxTriggers,
      items: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: {
          intent: oneOrMany,
          trajectory: { type: 'array', items: name, minItems: 1, maxItems: 64 },
          diversion: oneOrMany,
          when: name,
          priority: { type: 'integer', minimum: -1_000_000, maximum: 1_000_000 },
        },
      },
    },
    calendars: { type: 'object', maxProperties: L.maxCalendars, additionalProperties: calendarSchema },
    nodes: {
      type: 'array',
      minItems: 1,
      maxItems: L.maxNodes,
      items: { type: 'object', required: ['id', 'type'], properties: { id: identifier, type: name } },
    },
    controls: {
      type: 'array',
      maxItems: L.maxControls,
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

/** The value at JSON pointer `pointer` inside `data` (Ajv reports where, not what, without `verbose`). */
function valueAt(data: unknown, pointer: string): unknown {
  let v = data;
  for (const raw of pointer.split('/').slice(1))
    v = (v as Record<string, unknown> | undefined)?.[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  return v;
}

function describe(e: ErrorObject, data: unknown): { at: string; message: string } {
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
    case 'pattern': {
      const text = String(valueAt(data, e.instancePath));
      return { at: e.instancePath, message: `"${text.length > 40 ? `${text.slice(0, 40)}…` : text}" does not match ${String(p.pattern)}` };
    }
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
    const d = describe(e, data);
    const path = toPath(base, d.at);
    const message = d.message;
    const key = `${path}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.add(path, label ? `${label}${message}` : message);
  }
  return false;
}

/**
 * Records an issue when `doc` nests objects and arrays more than `maxDepth` deep, before
 * anything recursive (cloning, freezing) touches it. Iterative: the depth it checks cannot
 * overflow the check itself.
 *
 * @param base path prefix of the issue
 * @returns true when within the limit
 */
export function checkDepth(doc: unknown, maxDepth: number, base: string, issues: IssueList): boolean {
  interface Entry {
    readonly value: unknown;
    readonly depth: number;
    readonly parent?: Entry;
    readonly key?: string | number;
  }
  const stack: Entry[] = [{ value: doc, depth: 0 }];
  while (stack.length > 0) {
    const entry = stack.pop() as Entry;
    const { value, depth } = entry;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= maxDepth) {
      const keys: (string | number)[] = [];
      for (let e: Entry | undefined = entry; e?.key !== undefined; e = e.parent) keys.push(e.key);
      const path = keys
        .reverse()
        .reduce<string>((out, k) => (typeof k === 'number' ? `${out}[${k}]` : out === '' ? k : `${out}.${k}`), base);
      issues.add(path, `nests objects and arrays more than ${maxDepth} deep`);
      return false;
    }
    if (Array.isArray(value))
      value.forEach((v: unknown, i) => {
        stack.push({ value: v, depth: depth + 1, parent: entry, key: i });
      });
    else for (const [k, v] of Object.entries(value)) stack.push({ value: v, depth: depth + 1, parent: entry, key: k });
  }
  return true;
}

/** The compiled top-level flow schema. */
export const validateFlowShape: ValidateFunction = ajv.compile(flowSchema);
