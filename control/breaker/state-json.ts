/**
 * Validation of a breaker state read back from storage.
 */
import { controlError } from '../errors.js';
import type { BreakerState } from './machine.js';

const NAMES = new Set(['closed', 'open', 'half-open', 'forced-open', 'forced-closed']);

/**
 * Checks that `x` is a {@link BreakerState} and returns a frozen copy.
 * @throws SluiceError `SLUICE_ERR_CONTROL_STATE_INVALID` naming the first bad field
 */
export function parseBreakerState(x: unknown): BreakerState {
  const o = x as Record<string, unknown> | null;
  const bad = (field: string): never => {
    throw controlError('SLUICE_ERR_CONTROL_STATE_INVALID', `breaker state.${field} is missing or malformed`);
  };
  const count = (field: string): number => {
    const v = o![field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) bad(field);
    return v as number;
  };
  const time = (field: string): number => {
    const v = o![field];
    if (typeof v !== 'number' || !Number.isFinite(v)) bad(field);
    return v as number;
  };
  if (typeof o !== 'object' || o === null) return bad('(root)');
  if (typeof o.name !== 'string' || !NAMES.has(o.name)) bad('name');
  if (typeof o.reason !== 'string') bad('reason');
  const common = { gen: count('gen'), k: count('k'), since: time('since'), reason: o.reason as string };
  switch (o.name) {
    case 'closed':
      return Object.freeze({ name: 'closed', ...common });
    case 'open':
      return Object.freeze({ name: 'open', ...common, until: time('until') });
    case 'forced-open':
    case 'forced-closed':
      return Object.freeze({ name: o.name, ...common, until: time('until') });
    default: {
      const admitted = count('admitted');
      const successes = count('successes');
      if (successes > admitted) bad('successes');
      return Object.freeze({ name: 'half-open', ...common, trial: time('trial'), admitted, successes });
    }
  }
}
