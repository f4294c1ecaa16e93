/**
 * (a) In-process cost, side by side in one run: a full routing decision of the
 * control service (`route()`: admission, throttle, limiter, breaker permit,
 * decision log, pending map) and its breakers, against opossum 9 and
 * cockatiel 3 guarding the same no-op call. opossum and cockatiel only offer an
 * async API, so each of their calls is awaited; the Sluice breaker is measured
 * both as it is used (synchronously) and awaited the same way.
 */
import { SamplingBreaker, circuitBreaker, handleAll } from 'cockatiel';
import Opossum from 'opossum';
import { systemClock } from '../../adapters/clock.js';
import { MemoryStateStore } from '../../adapters/state/memory.js';
import { CircuitBreaker } from '../../control/breaker/breaker.js';
import { calm } from '../../control/testing/harness.js';
import { memoryDecisionLog } from '../../control/log/memory.js';
import { decide } from '../../control/router.js';
import { compileTenant } from '../../control/routing-table.js';
import { DEFAULT_POLICY } from '../../control/policy/defaults.js';
import { ControlService } from '../../control/service.js';
import type { RouteInput } from '../../control/service-types.js';
import { StaticRealtimeView } from '../../control/signals/snapshot.js';
import type { Priority } from '../../control/types.js';
import { interleaved } from './timing.js';

/** Per-call medians, ns. */
export interface InProcessResult {
  /** `ControlService.route()`. */
  readonly decisionNs: number;
  /** `route()` then `outcome()` for the same call. */
  readonly cycleNs: number;
  /** The pure core `decide()` alone. */
  readonly coreDecideNs: number;
  /** Sluice breaker: tryAcquire + call + onSuccess (synchronous, as the service uses it). */
  readonly breakerNs: number;
  /** The same, awaited per call like opossum and cockatiel. */
  readonly breakerAwaitedNs: number;
  readonly opossumNs: number;
  readonly cockatielNs: number;
  /** Targets of 1000 measured-style decisions (to show the measured path is the real one). */
  readonly targets: Readonly<Record<string, number>>;
}

const N = 1_000;
/** Decisions per timed batch: below the default concurrency limit (20), as with callers that report outcomes. */
const ROUTE_BATCH = 16;
const ROUNDS = 25;

/** Runs the in-process measurements (interleaved, see `timing.ts`). */
export async function measureInProcess(): Promise<InProcessResult> {
  const tenants = ['acme', 'globex', 'initech', 'umbrella'];
  const groups = ['care', 'sales', 'billing'];
  const view = new StaticRealtimeView(tenants.flatMap((t) => groups.map((g) => calm(t, g, Date.now()))));
  const svc = new ControlService({
    clock: systemClock,
    instanceId: 'bench',
    stateStore: new MemoryStateStore(),
    realtime: view,
    decisionLog: memoryDecisionLog(systemClock, { tokenPrefix: 'bench' }).log,
    ctiNodes: { primary: 'a', backup: 'b' },
    loopLagMs: () => Number.NaN,
  });
  await svc.start();
  const priorities: Priority[] = ['vip', 'high', 'normal', 'normal', 'low'];
  const reqs: RouteInput[] = Array.from({ length: N }, (_, i) => ({
    tenant: tenants[i % 4]!,
    callId: `call-${i}`,
    skillGroup: groups[i % 3]!,
    priority: priorities[i % 5]!,
  }));
  const ids: string[] = new Array<string>(ROUTE_BATCH);
  let next = 0;
  let round = 0;
  /** A server's event loop turns between requests; let the decision log flush as it would there. */
  const breathe = (): Promise<void> | undefined => (++round % 32 === 0 ? new Promise((r) => setImmediate(r)) : undefined);

  const t = compileTenant({ tenant: 'acme', policy: DEFAULT_POLICY, cti: { primary: 'a', backup: 'b' } });
  const state = { tenants: new Map([['acme', t]]), breakerState: () => 'closed' as const };
  let x = 0;
  const work = () => ++x;
  const ours = new CircuitBreaker({ id: 'bench', clock: systemClock });
  const oursAsync = async () => {
    const p = ours.tryAcquire();
    if (p === null) throw new Error('open');
    const r = await work();
    ours.onSuccess(0, p);
    return r;
  };
  // opossum accepts a synchronous action (its types say Promise): give it its cheapest case.
  const opossum = new Opossum(work as unknown as () => Promise<number>, {
    timeout: false,
    errorThresholdPercentage: 50,
    resetTimeout: 5_000,
    rollingCountTimeout: 10_000,
    rollingCountBuckets: 10,
  });
  const cockatiel = circuitBreaker(handleAll, { halfOpenAfter: 5_000, breaker: new SamplingBreaker({ threshold: 0.5, duration: 10_000 }) });

  const m = await interleaved(
    [
      {
        name: 'decision',
        perBatch: ROUTE_BATCH,
        batches: 800,
        batch: () => {
          for (let i = 0; i < ROUTE_BATCH; i++) ids[i] = svc.route(reqs[next++ % N]!).decisionId;
        },
        after: () => {
          for (const id of ids) svc.outcome(id, { success: true, latencyMs: 40 });
          return breathe();
        },
      },
      {
        name: 'cycle',
        perBatch: ROUTE_BATCH,
        batches: 800,
        batch: () => {
          for (let i = 0; i < ROUTE_BATCH; i++) svc.outcome(svc.route(reqs[next++ % N]!).decisionId, { success: true, latencyMs: 40 });
        },
        after: breathe,
      },
      {
        name: 'core',
        perBatch: N,
        batches: 20,
        batch: () => {
          for (const r of reqs) decide({ tenant: 'acme', skillGroup: r.skillGroup, priority: r.priority, callId: r.callId }, state);
        },
      },
      {
        name: 'breaker',
        perBatch: N,
        batches: 20,
        batch: () => {
          for (let i = 0; i < N; i++) {
            const p = ours.tryAcquire()!;
            work();
            ours.onSuccess(0, p);
          }
        },
      },
      {
        name: 'breakerAwaited',
        perBatch: N,
        batches: 20,
        batch: async () => {
          for (let i = 0; i < N; i++) await oursAsync();
        },
      },
      {
        name: 'opossum',
        perBatch: N,
        batches: 20,
        batch: async () => {
          for (let i = 0; i < N; i++) await opossum.fire();
        },
      },
      {
        name: 'cockatiel',
        perBatch: N,
        batches: 20,
        batch: async () => {
          for (let i = 0; i < N; i++) await cockatiel.execute(work);
        },
      },
    ],
    ROUNDS,
  );
  const targets = new Map<string, number>();
  for (let i = 0; i < 1_000; i++) {
    const d = svc.route(reqs[i]!);
    targets.set(d.target, (targets.get(d.target) ?? 0) + 1);
    svc.outcome(d.decisionId, { success: true, latencyMs: 40 });
  }
  await svc.stop();
  opossum.shutdown();
  ours.dispose();
  return {
    decisionNs: m.decision!,
    cycleNs: m.cycle!,
    coreDecideNs: m.core!,
    breakerNs: m.breaker!,
    breakerAwaitedNs: m.breakerAwaited!,
    opossumNs: m.opossum!,
    cockatielNs: m.cockatiel!,
    targets: Object.fromEntries(targets),
  };
}
