/**
 * Validation at the door for numeric options: every check names the field and
 * the rule, and resolved configs are copied and frozen.
 */
import { SluiceError } from './errors.js';

/** A rule for one numeric option. */
export interface NumberRule {
  /** Must be an integer. */
  readonly int?: boolean;
  /** Inclusive lower bound. */
  readonly min?: number;
  /** Exclusive lower bound. */
  readonly gt?: number;
  /** Inclusive upper bound. */
  readonly max?: number;
  /** Exclusive upper bound. */
  readonly lt?: number;
}

function describe(rule: NumberRule): string {
  const parts = [rule.int ? 'an integer' : 'a finite number'];
  if (rule.min !== undefined) parts.push(`≥ ${rule.min}`);
  if (rule.gt !== undefined) parts.push(`> ${rule.gt}`);
  if (rule.max !== undefined) parts.push(`≤ ${rule.max}`);
  if (rule.lt !== undefined) parts.push(`< ${rule.lt}`);
  return parts.join(' ');
}

/** Throws `SLUICE_ERR_CONTROL_CONFIG_INVALID` naming `field`. */
export function configError(field: string, rule: string, got: unknown): never {
  const shown = typeof got === 'number' ? String(got) : (JSON.stringify(got) ?? String(got));
  throw new SluiceError('SLUICE_ERR_CONTROL_CONFIG_INVALID', `${field} must be ${rule} (got ${shown})`);
}

/**
 * Checks one number against `rule`.
 * @returns the number
 * @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` naming the field and the rule
 */
export function checkNumber(field: string, value: unknown, rule: NumberRule): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!rule.int || Number.isInteger(value)) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.gt === undefined || value > rule.gt) &&
    (rule.max === undefined || value <= rule.max) &&
    (rule.lt === undefined || value < rule.lt);
  if (!ok) configError(field, describe(rule), value);
  return value as number;
}

/** Rules for the numeric fields of a config object. */
export type NumberRules<T> = { readonly [K in keyof T]?: NumberRule };

/**
 * Merges `partial` over `defaults`, rejects unknown keys (typos), checks every
 * numeric field that has a rule, and returns a frozen copy.
 * @param section prefix for field names in messages, e.g. `breaker`
 */
export function resolveConfig<T extends object>(
  section: string,
  defaults: T,
  partial: Partial<T> | undefined,
  rules: NumberRules<T>,
): Readonly<T> {
  if (partial !== undefined && (typeof partial !== 'object' || partial === null)) configError(section, 'an object', partial);
  for (const key of Object.keys(partial ?? {})) {
    if (!(key in defaults)) configError(`${section}.${key}`, 'a known option', key);
  }
  const merged = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(partial ?? {})) {
    if (value !== undefined) merged[key] = value;
  }
  for (const [key, rule] of Object.entries(rules) as [string, NumberRule | undefined][]) {
    if (rule !== undefined) checkNumber(`${section}.${key}`, merged[key], rule);
  }
  return Object.freeze(merged) as Readonly<T>;
}
