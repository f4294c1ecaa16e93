/**
 * Runs the centre-alert rules on a control instance after each tick, off the routing path: facts from the
 * instance's own state (levels, breakers) and the real-time view (service levels), alerts into the shared outbox
 * (the workflow instances deliver them). Every control instance runs it; the outbox's dedupe by id within the
 * rule's cooldown makes the fleet alert once (see `rules.ts`).
 */
import type { Clock } from '../../adapters/clock.js';
import type { AlertSink } from '../../core/alerts.js';
import type { Logger } from '../../core/logger.js';
import { DEPENDENCY_BREAKERS } from '../runtime/breakers.js';
import type { ControlService } from '../service.js';
import type { RealtimeView } from '../signals/snapshot.js';
import { type CentreFacts, CentreAlertRules } from './rules.js';

const DEPENDENCIES = new Set<string>(Object.values(DEPENDENCY_BREAKERS));
const OPEN = new Set(['open', 'forced-open']);

/** What the runner reads of the control service. */
export type CentreAlertSource = Pick<ControlService, 'on' | 'state' | 'alertRules'>;

/** Options of {@link CentreAlertRunner}. */
export interface CentreAlertRunnerOptions {
  readonly service: CentreAlertSource;
  readonly realtime: RealtimeView;
  readonly sink: AlertSink;
  readonly clock: Clock;
  readonly log: Logger;
  /** Told of every alert raised (true) or found a duplicate (false), e.g. for metrics. */
  readonly onRaised?: (kind: string, stored: boolean) => void;
}

/** The facts of one tenant from the control state and the real-time snapshots. Pure. */
export function centreFacts(
  tenant: string,
  state: ReturnType<ControlService['state']>,
  snapshots: ReturnType<RealtimeView['snapshots']>,
): CentreFacts {
  return {
    tenant,
    levels: state.levels
      .filter((l) => l.tenant === tenant)
      .map((l) => ({ scope: l.skillGroup ?? tenant, level: l.level, reason: l.reason })),
    openBreakers: [
      ...state.tenantBreakers.filter((b) => b.tenant === tenant && OPEN.has(b.state)),
      ...state.breakers.filter((b) => OPEN.has(b.state) && !DEPENDENCIES.has(b.id)),
    ].map((b) => ({ id: b.id, reason: b.reason })),
    queues: snapshots.filter((s) => s.tenant === tenant).map((s) => ({ skillGroup: s.skillGroup, serviceLevel: s.serviceLevel ?? null })),
  };
}

/** See the module comment. */
export class CentreAlertRunner {
  readonly #o: CentreAlertRunnerOptions;
  readonly #rules = new CentreAlertRules();
  #off: (() => void) | undefined;
  #running: Promise<void> | undefined;

  constructor(options: CentreAlertRunnerOptions) {
    this.#o = options;
  }

  /** Evaluates after every tick (a run still in flight makes the next tick skip). */
  start(): void {
    this.#off ??= this.#o.service.on('tick', () => {
      this.#running ??= this.run().finally(() => {
        this.#running = undefined;
      });
    });
  }

  /** Stops evaluating and waits for the run in flight. */
  async stop(): Promise<void> {
    this.#off?.();
    this.#off = undefined;
    await this.#running;
  }

  /** One evaluation of every tenant with rules; never throws. */
  async run(): Promise<void> {
    const rules = this.#o.service.alertRules();
    this.#rules.retain(new Set(rules.keys()));
    if (rules.size === 0) return;
    const now = this.#o.clock.now();
    const snapshots = this.#o.realtime.snapshots();
    for (const [tenant, r] of rules) {
      const alerts = this.#rules.evaluate(now, r, centreFacts(tenant, this.#o.service.state(tenant), snapshots));
      for (const { alert, dedupeMs } of alerts) {
        try {
          const stored = await this.#o.sink.raise(alert, { dedupeMs });
          this.#rules.confirm(tenant, alert.id);
          this.#o.onRaised?.(alert.kind, stored);
          if (stored) this.#o.log.info({ tenant, alert: alert.id, kind: alert.kind }, 'centre alert raised');
        } catch (err) {
          this.#o.log.warn({ tenant, alert: alert.id, err: (err as Error).message }, 'centre alert not stored; tried again next tick');
        }
      }
    }
  }
}
