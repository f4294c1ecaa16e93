import type { SluiceError } from '../../core/errors.js';
import { workflowError } from '../errors.js';
import { WORKFLOW_LIMITS as L } from '../limits.js';

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** `base.key`, or `base["key"]` for a key that is not an identifier (cut at 40 characters). */
function child(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (IDENT.test(key) && key.length <= 40) return `${base}.${key}`;
  return `${base}[${JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key)}]`;
}

function refuse(path: string, why: string): SluiceError {
  return workflowError('SLUICE_ERR_VALIDATION', `${path}: ${why}`, { details: { field: path } });
}

/**
 * Checks a ticket's business fields against the workflow's limits: nesting, keys and items per
 * object or array, string and key lengths, and the values and characters of the whole. Every
 * flow expression's budget is checked at deploy against these bounds, and nothing recursive
 * (cloning, storing, evaluating) sees fields that pass them nested deeper than
 * `maxFieldDepth`. Iterative: a value nested thousands deep is refused, not recursed into.
 *
 * @param fields the fields as received (JSON values; `undefined` values are left out as JSON does)
 * @param path names the fields in the error, e.g. `fields`
 * @throws SluiceError `SLUICE_ERR_VALIDATION` (400) whose `field` names the offending place
 * @example checkFields({ amount: 120, tags: ['vip'] }) // passes
 */
export function checkFields(fields: unknown, path = 'fields'): void {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) throw refuse(path, 'must be an object');
  let values = 0;
  let chars = 0;
  const stack: [value: unknown, at: string, depth: number][] = [[fields, path, 1]];
  while (stack.length > 0) {
    const [value, at, depth] = stack.pop() as [unknown, string, number];
    if (++values > L.maxFieldValues) throw refuse(path, `hold more than ${L.maxFieldValues} values`);
    if (typeof value === 'string') {
      if (value.length > L.maxFieldStringLength) throw refuse(at, `is longer than ${L.maxFieldStringLength} characters`);
      chars += value.length;
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw refuse(at, 'must be a finite number');
    } else if (Array.isArray(value)) {
      if (depth > L.maxFieldDepth) throw refuse(at, `nests objects and arrays more than ${L.maxFieldDepth} deep`);
      if (value.length > L.maxFieldEntries) throw refuse(at, `has more than ${L.maxFieldEntries} items`);
      for (let i = 0; i < value.length; i++) stack.push([value[i], child(at, i), depth + 1]);
    } else if (typeof value === 'object' && value !== null) {
      if (depth > L.maxFieldDepth) throw refuse(at, `nests objects and arrays more than ${L.maxFieldDepth} deep`);
      const keys = Object.keys(value);
      if (keys.length > L.maxFieldEntries) throw refuse(at, `has more than ${L.maxFieldEntries} keys`);
      for (const key of keys) {
        if (key.length > L.maxFieldKeyLength) throw refuse(child(at, key), `key is longer than ${L.maxFieldKeyLength} characters`);
        chars += key.length;
        const v = (value as Record<string, unknown>)[key];
        if (v !== undefined) stack.push([v, child(at, key), depth + 1]);
      }
    } else if (typeof value !== 'boolean' && value !== null) {
      throw refuse(at, 'must be a JSON value (string, number, boolean, null, object or array)');
    }
    if (chars > L.maxFieldChars) throw refuse(path, `hold more than ${L.maxFieldChars} characters`);
  }
}
