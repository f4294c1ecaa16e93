/**
 * Validation at the door for options: checked once when a component is built (never per element),
 * every refusal naming the field, the rule and the value ("maxOutOfOrdernessMs must be a finite
 * number ≥ 0 (got -1)"), resolved configs copied and frozen. Each room binds the kit to its own
 * error code with {@link optionChecks}.
 */

/** A rule for one numeric option. */
export interface NumberRule {
  /** Must be a (safe) integer. */
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

/** Rules for the numeric fields of a config object. */
export type NumberRules<T> = { readonly [K in keyof T]?: NumberRule };

/** The checks, bound to a room's error. */
export interface OptionChecks {
  /** Throws the room's error saying `${field} must be ${rule} (got …)`. */
  refuse(field: string, rule: string, got: unknown): never;
  /**
   * Checks one number against `rule`.
   * @returns the number
   */
  checkNumber(field: string, value: unknown, rule?: NumberRule): number;
  /** Checks that `value` is a function. */
  checkFunction(field: string, value: unknown): void;
  /** Checks a rule the caller evaluated, e.g. `slideMs ≤ sizeMs`: refuses `field` when `ok` is false. */
  checkRule(ok: boolean, field: string, rule: string, got: unknown): void;
  /**
   * Merges `partial` over `defaults`, refuses unknown keys (typos), checks every numeric field that has
   * a rule, and returns a frozen copy.
   * @param section prefix for field names in messages, e.g. `breaker`
   */
  resolveConfig<T extends object>(section: string, defaults: T, partial: Partial<T> | undefined, rules: NumberRules<T>): Readonly<T>;
}

const SHOWN_MAX = 120;

/** The refused value as the message shows it: numbers as written, the rest as JSON, never very long. */
function shown(got: unknown): string {
  if (typeof got === 'number') return String(got);
  let text: string;
  try {
    text = JSON.stringify(got) ?? String(got);
  } catch {
    text = Object.prototype.toString.call(got);
  }
  return text.length > SHOWN_MAX ? `${text.slice(0, SHOWN_MAX)}…` : text;
}

/** "an integer ≥ 1 ≤ 10" */
export function describeRule(rule: NumberRule): string {
  const parts = [rule.int ? 'an integer' : 'a finite number'];
  if (rule.min !== undefined) parts.push(`≥ ${rule.min}`);
  if (rule.gt !== undefined) parts.push(`> ${rule.gt}`);
  if (rule.max !== undefined) parts.push(`≤ ${rule.max}`);
  if (rule.lt !== undefined) parts.push(`< ${rule.lt}`);
  return parts.join(' ');
}

function satisfies(value: unknown, rule: NumberRule): value is number {
  return (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!rule.int || Number.isSafeInteger(value)) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.gt === undefined || value > rule.gt) &&
    (rule.max === undefined || value <= rule.max) &&
    (rule.lt === undefined || value < rule.lt)
  );
}

/**
 * The option checks of one room.
 *
 * @param error builds the room's error from the whole message (e.g. its `…_CONFIG_INVALID` code)
 * @example
 * const { checkNumber } = optionChecks((m) => operatorError('SLUICE_ERR_OPERATOR_OPTION', m));
 * const size = checkNumber('sizeMs', options.sizeMs, { int: true, min: 1 });
 */
export function optionChecks(error: (message: string) => Error): OptionChecks {
  const refuse = (field: string, rule: string, got: unknown): never => {
    throw error(`${field} must be ${rule} (got ${shown(got)})`);
  };
  const checkNumber = (field: string, value: unknown, rule: NumberRule = {}): number => {
    if (!satisfies(value, rule)) refuse(field, describeRule(rule), value);
    return value as number;
  };
  return Object.freeze({
    refuse,
    checkNumber,
    checkFunction(field: string, value: unknown): void {
      if (typeof value !== 'function') refuse(field, 'a function', value);
    },
    checkRule(ok: boolean, field: string, rule: string, got: unknown): void {
      if (!ok) refuse(field, rule, got);
    },
    resolveConfig<T extends object>(section: string, defaults: T, partial: Partial<T> | undefined, rules: NumberRules<T>): Readonly<T> {
      if (partial !== undefined && (typeof partial !== 'object' || partial === null)) refuse(section, 'an object', partial);
      for (const key of Object.keys(partial ?? {})) {
        if (!Object.hasOwn(defaults, key)) refuse(`${section}.${key}`, 'a known option', key);
      }
      const merged = { ...defaults } as Record<string, unknown>;
      for (const [key, value] of Object.entries(partial ?? {})) {
        if (value !== undefined) merged[key] = value;
      }
      for (const [key, rule] of Object.entries(rules) as [string, NumberRule | undefined][]) {
        if (rule !== undefined) checkNumber(`${section}.${key}`, merged[key], rule);
      }
      return Object.freeze(merged) as Readonly<T>;
    },
  });
}
