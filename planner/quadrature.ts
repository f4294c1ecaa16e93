/**
 * Numerical integration for the Erlang A service levels (`erlang.ts`):
 * adaptive Simpson quadrature, narrowed first to where a log-concave
 * integrand carries its mass.
 */

/** Adaptive Simpson quadrature: absolute tolerance `tol` (or float round-off), at least 16 panels. */
function integrate(f: (x: number) => number, lo: number, hi: number, tol = 1e-13): number {
  const step = (a: number, b: number, fa: number, fm: number, fb: number, whole: number, eps: number, depth: number): number => {
    const m = (a + b) / 2;
    const flm = f((a + m) / 2);
    const frm = f((m + b) / 2);
    const left = ((m - a) / 6) * (fa + 4 * flm + fm);
    const right = ((b - m) / 6) * (fm + 4 * frm + fb);
    const delta = left + right - whole;
    const settled = Math.abs(delta) <= Math.max(15 * eps, 1e-14 * Math.abs(left + right));
    if (depth >= 40 || (depth >= 4 && settled)) return left + right + delta / 15;
    return step(a, m, fa, flm, fm, left, eps / 2, depth + 1) + step(m, b, fm, frm, fb, right, eps / 2, depth + 1);
  };
  if (hi <= lo) return 0;
  const fa = f(lo);
  const fm = f((lo + hi) / 2);
  const fb = f(hi);
  return step(lo, hi, fa, fm, fb, ((hi - lo) / 6) * (fa + 4 * fm + fb), tol, 0);
}

/**
 * ∫₀ᵗ exp(φ(x)) dx for a concave φ that peaks at `peak` ∈ [0, t], to an
 * absolute accuracy of about 1e-13. The range is first narrowed, by bisection,
 * to where φ is within `cutoff` of its peak, so the panels go where the mass
 * is however long t is (a density spiking at 0 over a one-day t, say).
 * @param phi the log of the integrand, concave on [0, t]
 * @param peak where φ is largest on [0, t]
 * @param t upper limit (the lower is 0), in the units of x
 * @param cutoff drop the parts where φ < φ(peak) − cutoff (46 drops below e^-46 ≈ 1e-20 of the peak)
 */
export function integrateExpConcave(phi: (x: number) => number, peak: number, t: number, cutoff = 46): number {
  const floor = phi(peak) - cutoff;
  const edge = (inside: number, outside: number): number => {
    if (phi(outside) >= floor) return outside;
    let keep = inside;
    let drop = outside;
    for (let k = 0; k < 200; k++) {
      const mid = (keep + drop) / 2;
      if (mid === keep || mid === drop) break;
      if (phi(mid) >= floor) keep = mid;
      else drop = mid;
    }
    return drop;
  };
  return integrate((x) => Math.exp(phi(x)), edge(peak, 0), edge(peak, t));
}
