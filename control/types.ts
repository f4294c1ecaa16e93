/**
 * The control loop's shared vocabulary: levels, priorities, channels and the
 * random-source port. Kept in one file so every room of `control/` spells them
 * the same way.
 */
import type { Priority } from '../core/messages.js';

/** Degradation level: 0 normal, 1 light pressure, 2 heavy pressure, 3 overload or CTI failure. */
export type Level = 0 | 1 | 2 | 3;

/** Every level, lowest first. */
export const LEVELS: readonly Level[] = Object.freeze([0, 1, 2, 3] as const);

/** Caller priority class (declared with the messages that carry it, in `core/messages.ts`). */
export type { Priority } from '../core/messages.js';

/** Priority classes, highest first; the index is the class's rank (0 = shed last). */
export const PRIORITIES: readonly Priority[] = Object.freeze(['vip', 'high', 'normal', 'low'] as const);

/** Where a call can go: an agent queue or one of the diversion channels. */
export type Channel = 'agent' | 'smart_ivr' | 'chat' | 'keypad_ivr' | 'callback';

/**
 * Channels from the richest to the safest. When every target a level allows is
 * open, routing walks on along this order. Keypad IVR comes last because it runs
 * on the IVR platform alone (no agents, no NLU, no Sluice workflow service), so it
 * is the answer that depends on the fewest moving parts; a callback ticket still
 * needs the workflow service and is therefore one step earlier.
 */
export const SAFETY_ORDER: readonly Channel[] = Object.freeze(['agent', 'smart_ivr', 'chat', 'callback', 'keypad_ivr'] as const);

/** A source of uniform random numbers in [0, 1) (the `adapters/random.ts` port). */
export type { Random } from '../adapters/random.js';

/** Type guard for {@link Priority}. */
export function isPriority(v: unknown): v is Priority {
  return v === 'vip' || v === 'high' || v === 'normal' || v === 'low';
}

/** Type guard for {@link Level}. */
export function isLevel(v: unknown): v is Level {
  return v === 0 || v === 1 || v === 2 || v === 3;
}

/** The deterministic generator of `adapters/random.ts`, for tests and simulations. */
export { seededRandom } from '../adapters/random.js';
