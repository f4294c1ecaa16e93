/**
 * Control traffic of `sluice demo` (issue 20): every call the simulator offers to a skill group is also routed
 * through the control service, as a proxy would route it, and its outcome reported a moment later, so levels,
 * breakers, admission and diversions move and the Control panels fill. A scripted CTI trouble comes back now and
 * then: the primary CTI node goes bad for a while (some calls answered seconds late, some refused, the rest never
 * answered), its breaker opens and calls go to the backup node, which, taking every call, answers many of them
 * slowly; the tenant's level rises (half its CTI down and a slow CTI weigh on their own) to L3, where callers are
 * diverted with callback tickets; once the trouble is over, probes close the breaker and the level steps down.
 * Calls diverted to the callback channel (or at L3) open callback tickets through the control loop's own path.
 *
 * Only in the demo (`SLUICE_DEMO`): seeded, on the injected clock, bounded (pending outcomes), stoppable.
 */
import type { Clock, TimerHandle } from '../adapters/clock.js';
import type { LogMethod, Logger } from '../core/logger.js';
import type { OutcomeReport } from '../control/outcome.js';
import type { RouteAnswer, RouteInput } from '../control/service-types.js';
import type { Priority } from '../control/types.js';
import type { TelemetryEvent } from '../pipelines/events/types.js';
import type { Peak } from '../simulator/profile.js';
import { lognormal, rngFor } from '../simulator/random.js';

/** When the scripted CTI trouble happens, ms: first `atMs` after the start, then every `everyMs`, for `forMs`. */
export interface CtiTroubleScript {
  readonly atMs: number;
  readonly everyMs: number;
  readonly forMs: number;
}

/** Options of {@link startDemoControl}. */
export interface DemoControlOptions {
  /** The control service (in process): `route` and `outcome` as `POST /v1/route` and its outcome call use them. */
  readonly service: {
    route(req: RouteInput): RouteAnswer;
    outcome(decisionId: string, o: OutcomeReport): boolean;
  };
  readonly clock: Clock;
  readonly log: Logger & { debug?: LogMethod };
  readonly seed: number;
  readonly cti: CtiTroubleScript;
  /** The CTI node the trouble hits (default `cti-primary`, the control loop's default primary). */
  readonly failingNode?: string;
  /** Most outcomes awaiting their report; calls beyond are routed without one (default 5 000). */
  readonly maxPending?: number;
}

/** What the demo's control traffic did. */
export interface DemoControlStats {
  routed: number;
  refused: number;
  outcomes: number;
  /** Routed calls whose outcome was not scheduled because {@link DemoControlOptions.maxPending} were pending. */
  unreported: number;
}

/** A running demo control traffic. */
export interface DemoControl {
  /** Routes the calls offered in `events` (skill-group `OFFERED` events); other events are ignored. */
  observe(events: readonly TelemetryEvent[]): void;
  /** Whether the scripted CTI trouble is on at `t` (epoch ms). */
  troubleAt(t: number): boolean;
  stats(): DemoControlStats;
  /** Cancels the outcomes not yet reported; further events are ignored. */
  stop(): void;
}

/** Share of calls per priority, in {@link PRIORITY_ORDER} order: a few vip and high, most normal, some low. */
const PRIORITY_SHARES: readonly [Priority, number][] = [
  ['vip', 0.05],
  ['high', 0.15],
  ['normal', 0.6],
  ['low', 0.2],
];

/** See the module comment. */
export function startDemoControl(o: DemoControlOptions): DemoControl {
  const start = o.clock.now();
  const rng = rngFor(o.seed, 'demo-control');
  const failing = o.failingNode ?? 'cti-primary';
  const maxPending = o.maxPending ?? 5_000;
  const pending = new Set<TimerHandle>();
  const stats: DemoControlStats = { routed: 0, refused: 0, outcomes: 0, unreported: 0 };
  let stopped = false;
  let lastRefusal = '';

  const troubleAt = (t: number): boolean => {
    const since = t - start - o.cti.atMs;
    return o.cti.forMs > 0 && since >= 0 && since % o.cti.everyMs < o.cti.forMs;
  };

  const priority = (): Priority => {
    let u = rng();
    for (const [p, share] of PRIORITY_SHARES) {
      if (u < share) return p;
      u -= share;
    }
    return 'normal';
  };

  /** What the proxy would see of the call, and after how long (ms). */
  const outcomeOf = (a: RouteAnswer, now: number): { report: OutcomeReport; afterMs: number } => {
    if (a.target === 'reject') return { report: { outcome: 'not-attempted' }, afterMs: 5 };
    if (a.ctiNode === failing && troubleAt(now)) {
      // The node is in trouble: it answers some calls seconds late, refuses some at once, leaves the rest unanswered.
      const u = rng();
      if (u < 0.3) {
        const latencyMs = Math.round(2_500 + rng() * 1_500);
        return { report: { outcome: 'connected', latencyMs }, afterMs: latencyMs };
      }
      return u < 0.6
        ? { report: { outcome: 'failed', latencyMs: Math.round(2 + rng() * 8) }, afterMs: 10 }
        : { report: { outcome: 'timeout' }, afterMs: 2_000 };
    }
    if (a.ctiNode !== undefined && troubleAt(now) && rng() < 0.4) {
      // Meanwhile the other node, taking every call, answers many of them slowly (just under the breaker's 2 s).
      const latencyMs = Math.round(1_300 + rng() * 650);
      return { report: { outcome: 'connected', latencyMs }, afterMs: latencyMs };
    }
    // A healthy node answers in tens of milliseconds (lognormal, mean 40 ms); 1 caller in 50 hangs up first.
    if (rng() < 0.02) return { report: { outcome: 'abandoned' }, afterMs: 500 };
    const latencyMs = Math.max(1, Math.round(lognormal(rng, 40, 0.6)));
    return { report: { outcome: 'connected', latencyMs }, afterMs: latencyMs };
  };

  const route = (e: TelemetryEvent): void => {
    if (e.source !== 'skillgroup' || e.body.type !== 'OFFERED') return;
    let answer: RouteAnswer;
    try {
      answer = o.service.route({ tenant: e.tenant, callId: e.body.callId, skillGroup: e.body.skillGroup, priority: priority() });
    } catch (err) {
      // Before the first snapshot of a skill group reaches control, control does not know it yet (422): counted.
      stats.refused += 1;
      const message = (err as Error).message;
      if (message !== lastRefusal) o.log.debug?.({ err: message }, 'demo control: route refused');
      lastRefusal = message;
      return;
    }
    stats.routed += 1;
    if (pending.size >= maxPending) {
      stats.unreported += 1;
      return;
    }
    const { report, afterMs } = outcomeOf(answer, o.clock.now());
    const timer = o.clock.setTimeout(() => {
      pending.delete(timer);
      if (stopped) return;
      stats.outcomes += 1;
      o.service.outcome(answer.decisionId, report);
    }, afterMs);
    pending.add(timer);
  };

  return {
    observe(events) {
      if (stopped) return;
      for (const e of events) route(e);
    },
    troubleAt,
    stats: () => ({ ...stats }),
    stop() {
      stopped = true;
      for (const t of pending) o.clock.clearTimeout(t);
      pending.clear();
    },
  };
}

/**
 * The demo's traffic peaks: four surges of ×1.8 for six minutes (one-minute ramps), 4, 34, 64 and 94 minutes after
 * the start, so queues build up and the level rises within the first minutes of a demo. Few on purpose: the traffic
 * model bounds the rate by the product of every peak's multiplier.
 */
export function demoPeaks(start: number): Peak[] {
  return [4, 34, 64, 94].map((minute) => ({ start: start + minute * 60_000, durationMinutes: 6, multiplier: 1.8, rampMinutes: 1 }));
}
