/**
 * Seedable random streams and the distributions of the traffic model. Every purpose (one skill
 * group's arrivals, its call attributes, …) draws from its own stream, derived from the run's seed and
 * a label, so adding a tenant or an agent does not reshuffle the draws of the others.
 */
import { seededRandom } from '../adapters/random.js';

/** A uniform random source on [0, 1). */
export type Rng = () => number;

/** A positive duration distribution; every parameter in seconds. */
export type Duration =
  | { readonly kind: 'fixed'; readonly sec: number }
  | { readonly kind: 'exponential'; readonly meanSec: number }
  /** Lognormal given by its mean and coefficient of variation (standard deviation / mean). */
  | { readonly kind: 'lognormal'; readonly meanSec: number; readonly cv: number };

/**
 * A 32-bit seed for the stream named `label` of run `seed`: FNV-1a over the label, mixed with the seed
 * by murmur3's finaliser so nearby seeds and labels give unrelated streams.
 * @param seed the run's seed (any integer; taken modulo 2³²)
 * @param label the stream's name, e.g. `acme/sales/arrivals`
 */
export function streamSeed(seed: number, label: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The random stream `label` of run `seed` (mulberry32 from the demo simulator). */
export function rngFor(seed: number, label: string): Rng {
  return seededRandom(streamSeed(seed, label));
}

/** A uniform draw on (0, 1], safe to take the logarithm of. */
function open(rng: Rng): number {
  return 1 - rng();
}

/** An exponential draw with the given mean (same unit as the mean). */
export function exponential(rng: Rng, mean: number): number {
  return -Math.log(open(rng)) * mean;
}

/** A standard normal draw (Box–Muller; two uniforms per draw, nothing cached, so streams stay simple to reason about). */
export function standardNormal(rng: Rng): number {
  const u = open(rng);
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * Parameters (μ, σ) of the underlying normal of a lognormal with mean `mean` and coefficient of
 * variation `cv`: σ² = ln(1 + cv²), μ = ln(mean) − σ²/2.
 */
export function lognormalParams(mean: number, cv: number): { mu: number; sigma: number } {
  const s2 = Math.log(1 + cv * cv);
  return { mu: Math.log(mean) - s2 / 2, sigma: Math.sqrt(s2) };
}

/** A lognormal draw with the given mean (any unit) and coefficient of variation (cv = 0 gives the mean). */
export function lognormal(rng: Rng, mean: number, cv: number): number {
  if (cv === 0) return mean;
  const { mu, sigma } = lognormalParams(mean, cv);
  return Math.exp(mu + sigma * standardNormal(rng));
}

/** Mean of a {@link Duration}, seconds. */
export function meanSec(d: Duration): number {
  return d.kind === 'fixed' ? d.sec : d.meanSec;
}

/** A draw from `d` in whole milliseconds (≥ 0). */
export function sampleMs(rng: Rng, d: Duration): number {
  switch (d.kind) {
    case 'fixed':
      return Math.round(d.sec * 1000);
    case 'exponential':
      return Math.round(exponential(rng, d.meanSec * 1000));
    case 'lognormal':
      return Math.round(lognormal(rng, d.meanSec * 1000, d.cv));
  }
}
