/**
 * What every panel declares beside its queries: the unit its values are in, the range a true value lies in,
 * what it means and whether it belongs to a tenant. The SDK's panel helpers require one (a type error
 * without), set Grafana's unit (and min/max where the range is the quantity's own bound) from it and show it
 * as the panel's description; `dashboards/check/` evaluates every query of a run and holds each value to it.
 */
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';

/** Inclusive bounds of a true value; `Infinity` for no upper bound. */
export type Range = readonly [min: number, max: number];

/** What a single number of a query means (a table column, or every value of a panel). */
export interface ValueSpec {
  /** Grafana unit id: `short`, `s`, `percentunit`, `reqps`, `ops`, `bytes`… */
  readonly unit: string;
  /** Where every value must lie. NaN and ±Inf never do unless {@link nonFinite} says so. */
  readonly range: Range;
  /** Values outside the reals the panel may show on purpose (e.g. NaN for "no calls yet"); none by default. */
  readonly nonFinite?: readonly ('NaN' | '+Inf' | '-Inf')[];
}

/** A panel's declaration. */
export interface PanelSpec extends ValueSpec {
  /** What the figure is, in a sentence a supervisor understands: shown as the panel's description. */
  readonly meaning: string;
  /**
   * `tenant`: every query is filtered by `$tenant` (the figure belongs to the selected tenant); `platform`: no
   * query is (the figure is the whole deployment's, said so in the description).
   */
  readonly scope: 'tenant' | 'platform';
  /**
   * The range is the quantity's own bound (a ratio 0..1, a level 0..3), not just what is plausible: the
   * panel's axis is fixed to it. A range starting at 0 always sets the axis minimum.
   */
  readonly bounded?: boolean;
  /** Table columns whose values have another unit or range than the panel's (by column name). */
  readonly columns?: Readonly<Record<string, ValueSpec>>;
  /**
   * A panel that is empty by nature for a while after Sluice starts, and why: e.g. the vendor's first interval report
   * comes at the end of its first quarter hour. Shown in the description; the check accepts it empty only in a run
   * shorter than `afterMs`, and reports it like any other empty panel afterwards.
   */
  readonly firstData?: { readonly afterMs: number; readonly because: string };
}

const declared = new WeakMap<object, PanelSpec>();

/** Records `spec` for the panel object a builder builds (the SDK's builders return the same object from every `build()`). */
export function declare(panel: Panel | object, spec: PanelSpec): void {
  declared.set(panel, spec);
}

/** The declaration of a built panel, undefined for a panel built without the SDK's helpers. */
export function declarationOf(panel: object): PanelSpec | undefined {
  return declared.get(panel);
}

const num = (n: number) =>
  n === Infinity ? '∞' : Math.abs(n) > 0 && (Math.abs(n) < 1e-3 || Math.abs(n) >= 1e6) ? n.toExponential(0) : String(n);

/** `0..1`, `1e-5..10`, `0..∞`. */
export const rangeText = (r: Range) => `${num(r[0])}..${num(r[1])}`;

const UNIT_NAMES: Readonly<Record<string, string>> = {
  short: 'count',
  s: 'seconds',
  ms: 'milliseconds',
  percentunit: 'ratio',
  reqps: 'per second',
  ops: 'per second',
  bytes: 'bytes',
};

/** The panel's description: its meaning, then unit, expected range and scope. */
export function describeSpec(spec: PanelSpec): string {
  const unit = (s: ValueSpec) =>
    `${UNIT_NAMES[s.unit] ?? s.unit}, ${rangeText(s.range)}${s.nonFinite?.length ? ` or ${s.nonFinite.join(', ')}` : ''}`;
  const columns = Object.entries(spec.columns ?? {}).map(([c, s]) => `${c}: ${unit(s)}`);
  const scope = spec.scope === 'tenant' ? 'Per tenant (the selected one).' : 'Platform-wide: not filtered by tenant.';
  const first = spec.firstData
    ? ` Empty for up to ${Math.round(spec.firstData.afterMs / 60_000)} min after Sluice starts: ${spec.firstData.because}.`
    : '';
  return `${spec.meaning.trim()} Unit: ${unit(spec)}${columns.length ? ` (${columns.join('; ')})` : ''}. ${scope}${first}`;
}
