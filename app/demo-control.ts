/**
 * Control traffic of `sluice demo` (issue 20): every call the simulator offers to a skill group is also routed
 * through the control service, as a proxy would route it, and its outcome reported a moment later, so levels,
 * breakers, admission and diversions move and the Control panels fill. A scripted CTI trouble comes back now and
 * then: the primary CTI node goes down for a while (it refuses some calls at once, the others ring out until the
 * proxy's deadline, {@link PROXY_TIMEOUT_MS}, where the proxy reports a time-out itself, as Kamailio's `fr_timer`
 * would), its breaker opens (five failures in a row: at the demo's default 1 200 calls an hour the window never
 * holds the 20 calls of the ratio rules) and calls go to the backup node, which, taking every call, answers many of
 * them slowly; the tenant's level rises (half its CTI down and a slow CTI weigh on their own) to L3, where callers
 * are diverted with callback tickets; once the trouble is over, probes close the breaker and the level steps down.
 * Calls diverted to the callback channel (or at L3) open callback tickets through the control loop's own path.
 *
 * A trouble falls due `atMs` after the start and then `everyMs` after the previous one began, and begins with the
 * first call control answers at L0 once due and once the node has answered {@link HISTORY_CALLS} calls since the
 * previous trouble. In a centre already at L1 or above, control splits the agent calls between both nodes by their
 * health, so a node that starts failing soon gets too few calls for its breaker to trip (by design: the split is the
 * protection); and without answered calls in its history, the client-side throttle spills a failing node's calls
 * to the backup from the first failure (it sends the primary about twice what it accepted over two minutes). The
 * script waits for both so every trouble shows the whole story — breaker open, backup, level up, diversions,
 * breaker closed, level down — at any call rate and however slowly the demo starts.
 *
 * Only in the demo (`SLUICE_DEMO`): seeded, on the injected clock, bounded (pending outcomes), stoppable.
 */
import type { ClickHouse } from '../adapters/clickhouse/connect.js';
import type { Clock, TimerHandle } from '../adapters/clock.js';
import type { LogMethod, Logger } from '../core/logger.js';
import type { OutcomeReport } from '../control/outcome.js';
import type { RouteAnswer, RouteInput } from '../control/service-types.js';
import type { Priority } from '../control/types.js';
import type { TelemetryEvent } from '../pipelines/events/types.js';
import type { Peak } from '../simulator/profile.js';
import { lognormal, rngFor } from '../simulator/random.js';

/**
 * When the scripted CTI trouble happens, ms: due first `atMs` after the start, then `everyMs` after the previous one
 * began (each begins once due at the first call answered at L0 after {@link HISTORY_CALLS} answered by the node),
 * lasting `forMs` (0: never).
 */
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
  /** Scripted CTI troubles begun. */
  troubles: number;
}

/** A running demo control traffic. */
export interface DemoControl {
  /** Routes the calls offered in `events` (skill-group `OFFERED` events); other events are ignored. */
  observe(events: readonly TelemetryEvent[]): void;
  /** Whether the scripted CTI trouble is on at `t` (epoch ms; the latest trouble's window, so `t` not before it began). */
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

/** The proxy's deadline for a CTI node to answer a call, ms (Kamailio's `fr_timer`): it then reports a time-out. */
export const PROXY_TIMEOUT_MS = 2_000;

/** Share of the failing node's calls it refuses at once (the rest ring out until {@link PROXY_TIMEOUT_MS}). */
const REFUSED_SHARE = 0.4;

/** Calls the failing node answers between two troubles before the next may begin (see the module comment). */
export const HISTORY_CALLS = 20;

/** Share of the other node's calls it answers slowly during a trouble. */
const BACKUP_SLOW_SHARE = 0.5;

/** See the module comment. */
export function startDemoControl(o: DemoControlOptions): DemoControl {
  const start = o.clock.now();
  const rng = rngFor(o.seed, 'demo-control');
  const failing = o.failingNode ?? 'cti-primary';
  const maxPending = o.maxPending ?? 5_000;
  const pending = new Set<TimerHandle>();
  const stats: DemoControlStats = { routed: 0, refused: 0, outcomes: 0, unreported: 0, troubles: 0 };
  let stopped = false;
  let lastRefusal = '';
  /** When the next trouble falls due, and when the latest one began (−∞: none yet). */
  let due = start + o.cti.atMs;
  let began = Number.NEGATIVE_INFINITY;
  /** Calls the failing node answered since the previous trouble. */
  let answered = 0;

  const troubleAt = (t: number): boolean => t >= began && t - began < o.cti.forMs;

  /** Begins the trouble that is due, once control answers a call at L0 (see the module comment). */
  const maybeBegin = (a: RouteAnswer, now: number): void => {
    if (o.cti.forMs <= 0 || now < due || troubleAt(now) || a.level !== 0 || answered < HISTORY_CALLS) return;
    began = now;
    answered = 0;
    due = now + o.cti.everyMs;
    stats.troubles += 1;
    o.log.info({ node: failing, forMs: o.cti.forMs, next: new Date(due).toISOString() }, 'demo: scripted CTI trouble begins');
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
      // The node is down: it refuses some calls at once (SIP 503), the others ring out unanswered until the proxy's
      // own deadline, where the proxy reports a time-out itself (not silence: see `expire` in the route engine).
      return rng() < REFUSED_SHARE
        ? { report: { outcome: 'failed', latencyMs: Math.round(2 + rng() * 8) }, afterMs: 10 }
        : { report: { outcome: 'timeout' }, afterMs: PROXY_TIMEOUT_MS };
    }
    if (a.ctiNode !== undefined && troubleAt(now) && rng() < BACKUP_SLOW_SHARE) {
      // Meanwhile the other node, taking every call, answers many of them slowly: under the breaker's 2 s, so it
      // stays up, but slow enough for the CTI latency to weigh on the level (its ramp is full at 2 s).
      const latencyMs = Math.round(1_800 + rng() * 150);
      return { report: { outcome: 'connected', latencyMs }, afterMs: latencyMs };
    }
    // A healthy node answers in tens of milliseconds (lognormal, mean 40 ms); 1 caller in 50 hangs up first.
    if (rng() < 0.02) return { report: { outcome: 'abandoned' }, afterMs: 500 };
    const latencyMs = Math.max(1, Math.round(lognormal(rng, 40, 0.6)));
    if (a.ctiNode === failing) answered += 1;
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
    maybeBegin(answer, o.clock.now());
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

/** The simulated vendor's report interval in the demo, s (the simulator's default, 15 minutes). */
export const DEMO_INTERVAL_SEC = 900;

/**
 * Where the demo's simulated centre opens, epoch ms: at the start of the vendor's report interval before the one
 * under way at `now` (UTC boundaries, as the simulator closes them), so that interval's report is in the history the
 * demo plays at once on start, 15 to 30 minutes of it — but never over minutes already stored (`storedUntil`: the end
 * of the newest minute the store holds of the simulated tenants, from an earlier run in the same data folder): a
 * restarted demo's centre, a different one, would count its calls into the same minutes and show the same agents
 * twice. So a demo restarted within the minute its predecessor stored last opens at the next minute, its first calls
 * a few seconds later; a store holding minutes more than a minute ahead (a clock set back) is not waited for.
 */
export function demoHistoryStart(now: number, storedUntil?: number): number {
  const l = DEMO_INTERVAL_SEC * 1000;
  const previous = Math.floor(now / l) * l - l;
  return storedUntil !== undefined && storedUntil <= now + 60_000 ? Math.max(previous, storedUntil) : previous;
}

/**
 * How far into a shift the demo's centre opens, minutes. The scenario's agents take their first break two hours into
 * their shift, a quarter of them at a time, 15 minutes each (`simulator/scenario.ts`): opening at 2 h 30 min, the
 * history played at once holds the last two quarters' breaks (the AUX panels show them), and the floor is fully
 * staffed for an hour once they are back, so the demo's surges meet the staffing the planner chose, not a break wave.
 */
export const DEMO_OPENS_INTO_SHIFT_MIN = 150;

/** The local minute of the day (UTC in the demo) the demo's first shift starts, for a centre opening at `history`. */
export function demoShiftStart(history: number): number {
  const minute = Math.floor(history / 60_000) % 1440;
  return (minute - DEMO_OPENS_INTO_SHIFT_MIN + 1440) % 1440;
}

/** The end of the newest skill-group minute stored for `tenants`, epoch ms; undefined when none is. */
export async function storedMinutesUntil(
  ch: Pick<ClickHouse, 'client' | 'database'>,
  tenants: readonly string[],
): Promise<number | undefined> {
  const rs = await ch.client.query({
    query:
      'SELECT count() AS n, toUnixTimestamp64Milli(max(window_start)) AS last FROM {db:Identifier}.skillgroup_minute WHERE tenant IN {tenants:Array(String)}',
    query_params: { db: ch.database, tenants },
    format: 'JSONEachRow',
  });
  const [row] = (await rs.json()) as { n: number | string; last: number | string }[];
  return row && Number(row.n) > 0 ? Number(row.last) + 60_000 : undefined;
}
