/**
 * Randomness as a port, like time: units that draw random numbers (breaker jitter, simulators,
 * traffic models) take a {@link Random}, so tests and simulations are reproducible.
 */

/** Returns a number in [0, 1). */
export type Random = () => number;

/**
 * A small deterministic generator (mulberry32): the same seed gives the same stream.
 * @param seed any 32-bit integer
 */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
