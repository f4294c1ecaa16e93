/**
 * A depth limit on every JSON request body. Deep nesting costs nothing to send and breaks
 * whatever walks the value recursively later (`JSON.stringify` of a 10,000-deep array throws a
 * RangeError, which answered 500 and dropped a whole batch): such a body is refused with 400
 * before schema validation, and nothing of it is accepted.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { SluiceError } from '../../core/errors.js';
import { invalidRequest } from '../errors.js';

/** Options of {@link jsonDepthPlugin}. */
export interface JsonDepthOptions {
  /** Deepest nesting of arrays and objects allowed (the body's own object is depth 1). */
  maxDepth: number;
  /** Called when a body is refused (for the metric). */
  onRefused?: () => void;
}

const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * True when JSON text nests arrays/objects deeper than `maxDepth`. One pass over the characters,
 * skipping strings; no recursion and no allocation, so it is safe on any input (valid or not).
 */
export function nestsDeeper(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
  }
  return false;
}

interface Step {
  readonly key: string | number;
  readonly up: Step | undefined;
}

/**
 * The path to the first array or object of `value` that lies deeper than `maxDepth` (depth-first),
 * e.g. `['events', 0, 'body', 'x', 0, …]`, or undefined. Iterative: an explicit stack, never the
 * call stack, whatever the nesting.
 */
export function pathTooDeep(value: unknown, maxDepth: number): (string | number)[] | undefined {
  const stack: { value: unknown; depth: number; at: Step | undefined }[] = [{ value, depth: 1, at: undefined }];
  while (stack.length > 0) {
    const { value: v, depth, at } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > maxDepth) {
      const path: (string | number)[] = [];
      for (let s = at; s !== undefined; s = s.up) path.push(s.key);
      return path.reverse();
    }
    // Pushed last-first, so the first child is looked at first (the path named is the first one).
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth: depth + 1, at: { key: i, up: at } });
    } else {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--)
        stack.push({ value: (v as Record<string, unknown>)[keys[i]!], depth: depth + 1, at: { key: keys[i]!, up: at } });
    }
  }
  return undefined;
}

/** `body.events.0.body.x.0.0.…`: the first segments of a path, each cut short, for a message. */
function describe(path: readonly (string | number)[] | undefined): string {
  if (path === undefined) return 'body';
  const shown = path.slice(0, 12).map((k) => (typeof k === 'string' && k.length > 40 ? `${k.slice(0, 40)}…` : String(k)));
  return ['body', ...shown, ...(path.length > 12 ? ['…'] : [])].join('.');
}

/** The error for a body nested deeper than `maxDepth`; `text` is parsed (iteratively, by V8) only to name where. */
export function tooDeepError(text: string, maxDepth: number): SluiceError {
  let path: (string | number)[] | undefined;
  try {
    path = pathTooDeep(JSON.parse(text), maxDepth);
  } catch {
    path = undefined; // not JSON either: say so without a path
  }
  const field = describe(path);
  return invalidRequest(field, `${field} nests arrays/objects deeper than ${maxDepth} levels (SLUICE_JSON_MAX_DEPTH)`);
}

/**
 * Replaces the `application/json` parser with fastify's own (same proto-poisoning protection) behind
 * a depth check. Register at the root, before the routes.
 */
export const jsonDepthPlugin = fp(async (app: FastifyInstance, opts: JsonDepthOptions) => {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (nestsDeeper(text, opts.maxDepth)) {
      opts.onRefused?.();
      done(tooDeepError(text, opts.maxDepth), undefined);
      return;
    }
    parse(req, text, done);
  });
});
