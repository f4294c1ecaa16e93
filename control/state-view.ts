/**
 * Builds the state view of `GET /v1/control/state` from the runtime parts:
 * levels (with the last pressure reading), breakers, signals and admission.
 * Tenant-scoped views keep only that tenant's scopes, buckets, own breakers and
 * concurrency limits; the fleet breakers guard shared targets and are shown to
 * every tenant.
 */
import { scopeKey } from './levels/controller.js';
import type { Admission } from './runtime/admission.js';
import type { BreakerRegistry } from './runtime/breakers.js';
import type { LevelRuntime } from './runtime/levels.js';
import type { ControlStateView } from './service-types.js';
import type { SharedStatus } from './fleet/coordinator.js';
import type { SnapshotSignalSource } from './signals/source.js';

/** What {@link buildStateView} reads. */
export interface StateParts {
  readonly at: number;
  readonly instance: string;
  readonly shared: SharedStatus;
  readonly levels: LevelRuntime;
  readonly breakers: BreakerRegistry;
  readonly source: SnapshotSignalSource;
  readonly admission: Admission;
  /** Pressure readings older than this are left out (a follower does not compute them), ms. */
  readonly freshMs: number;
}

/** The view; `tenant` limits scopes and buckets to one tenant. */
export function buildStateView(p: StateParts, tenant?: string): ControlStateView {
  const mine = (t: string) => tenant === undefined || t === tenant;
  const readings = new Map(
    p.levels
      .readings()
      .filter((r) => p.at - r.at <= p.freshMs)
      .map((r) => [scopeKey(r.scope), r.pressure]),
  );
  const levels = p.levels
    .states()
    .filter((s) => mine(s.scope.tenant))
    .map(({ scope, state }) => {
      const r = readings.get(scopeKey(scope));
      return {
        ...scope,
        level: state.level,
        since: state.since,
        reason: state.reason,
        override: state.override,
        ...(r === undefined ? {} : { pressure: Math.round(r.score * 1000) / 1000, top: r.top }),
      };
    });
  const signals = p.source
    .latest()
    .filter((s) => mine(s.scope.tenant))
    .map((s) => ({ ...s.scope, asOf: s.asOf, signals: s.signals }));
  const buckets = p.admission
    .slots()
    .map((s) => {
      const cut = s.id.lastIndexOf('|L');
      return {
        tenant: s.id.slice(0, cut),
        level: Number(s.id.slice(cut + 2)),
        ratePerSec: s.config.ratePerSec,
        burst: s.config.burst,
        share: s.share,
        tokens: Math.floor(s.bucket.available()),
        refused: s.refused,
      };
    })
    .filter((b) => mine(b.tenant));
  return {
    at: p.at,
    instance: p.instance,
    shared: p.shared,
    levels,
    breakers: p.breakers.snapshots(),
    tenantBreakers: p.breakers.tenantSnapshots(tenant),
    signals,
    admission: { buckets, limits: p.admission.limits(tenant) },
  };
}
