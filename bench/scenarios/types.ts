/**
 * The shapes of the load scenarios: a scenario is data — traffic, named phases, faults
 * placed in those phases, control tuning and the expectations the run must meet — and a
 * run produces one sample per control tick plus end-of-run totals, against which the
 * expectations are checked (`expect.ts`).
 */
import type { CreateControlOptions } from '../../control/wire.js';

/** Ticks between two readings of the live heap (each forces a full garbage collection). */
export const LIVE_HEAP_EVERY = 60;

/** A fault the rig injects while its phase lasts. */
export type Fault =
  /** Every call the primary CTI node takes fails after `failAfterMs`, as the CTI/IVR reports it. */
  | { readonly kind: 'cti-primary-down'; readonly phase: string; readonly failAfterMs: number }
  /** Every ClickHouse insert waits `delayMs` (virtual time) before it runs on the real store. */
  | { readonly kind: 'clickhouse-slow'; readonly phase: string; readonly delayMs: number }
  /** The scenario's own redis-server is stopped at the phase start and started again at its end. */
  | { readonly kind: 'redis-down'; readonly phase: string };

/** What a run must show. Ticks are control ticks (1 s of the scenario's clock). */
export type Expectation =
  /** Level of some tenant reaches ≥ `level` within `withinTicks` of the phase start. */
  | { readonly kind: 'level-reaches'; readonly level: number; readonly phase: string; readonly withinTicks: number }
  /** Every tenant's level stays ≤ `level` throughout the phase. */
  | { readonly kind: 'level-stays-at-most'; readonly level: number; readonly phase: string }
  /** After the phase ends, every tenant is back at ≤ `level` within `withinTicks` and stays there to the end. */
  | { readonly kind: 'level-returns'; readonly level: number; readonly after: string; readonly withinTicks: number }
  /** At most `count` level changes of any one tenant during the phase: no flapping. */
  | { readonly kind: 'level-changes-at-most'; readonly count: number; readonly phase: string }
  /** At least `min` calls go to a diversion channel (not an agent) during the phase. */
  | { readonly kind: 'diversions'; readonly min: number; readonly phase: string }
  /** The breaker reaches `state` within `withinTicks` of the phase start. */
  | {
      readonly kind: 'breaker-reaches';
      readonly key: string;
      readonly state: 'open' | 'closed';
      readonly phase: string;
      readonly withinTicks: number;
    }
  /** From `afterTicks` into the phase on, at most `maxShare` of agent-bound calls still go to `node` (probes). */
  | {
      readonly kind: 'routes-around';
      readonly node: string;
      readonly phase: string;
      readonly afterTicks: number;
      readonly maxShare: number;
    }
  /** Consumer lag reaches ≥ `ms` during the phase. */
  | { readonly kind: 'lag-reaches'; readonly ms: number; readonly phase: string }
  /** Consumer lag stays ≤ `ms` throughout the phase. */
  | { readonly kind: 'lag-stays-below'; readonly ms: number; readonly phase: string }
  /** After the phase ends, consumer lag falls to ≤ `ms` within `withinTicks`. */
  | { readonly kind: 'lag-recovers'; readonly ms: number; readonly after: string; readonly withinTicks: number }
  /** The shared store is seen as unreachable (fail-static) within `withinTicks` of the phase start. */
  | { readonly kind: 'fail-static'; readonly phase: string; readonly withinTicks: number }
  /** After the phase ends, the shared store is reachable again (reconciled, leader) within `withinTicks`. */
  | { readonly kind: 'reconciles'; readonly after: string; readonly withinTicks: number }
  /** Every routing request is answered 2xx with a target other than `reject`. */
  | { readonly kind: 'every-call-answered' }
  /** Every accepted event is stored once, and every OFFERED call is counted in the minute rows. */
  | { readonly kind: 'nothing-lost' }
  /** The live heap (after a full collection) at the end is at most `maxGrowthMb` above its first reading after the phase. */
  | { readonly kind: 'memory-bounded'; readonly maxGrowthMb: number; readonly after: string };

/** Timings and volumes of one variant (short for the test suite, full for `npm run bench`). */
export interface ScenarioVariant {
  /** Length of the run, minutes of scenario time. */
  readonly minutes: number;
  readonly tenants: readonly string[];
  /**
   * Scenario time played before t = 0, seconds: the model starts empty (every agent free), so
   * this brings queues and agents to their working state; it is fed in large steps, unsampled.
   */
  readonly warmupSec: number;
  /**
   * Telemetry reaches ingest in batches every this many seconds (default 5), as collectors
   * deliver it; calls are routed in the second they are offered. Fewer, larger batches keep a
   * scenario second cheap.
   */
  readonly feedSec?: number;
  /** Where telemetry is stored: chDB (default) or the store's in-memory twin (cheaper, for short versions). */
  readonly store?: 'chdb' | 'memory';
  /** Calls per hour per tenant outside peaks. */
  readonly callsPerHour: number;
  /** Surges of traffic, each over a phase: ×`multiplier`, ramping up and down over `rampSec`. */
  readonly peaks?: readonly { readonly multiplier: number; readonly phase: string; readonly rampSec: number }[];
  /** Named phases: [from, to) in seconds since the start. */
  readonly phases: Readonly<Record<string, readonly [number, number]>>;
}

/** A load scenario: what runs, what goes wrong, and what must be seen. */
export interface ScenarioDefinition {
  readonly name: string;
  readonly title: string;
  /** What the scenario models, one paragraph. */
  readonly description: string;
  readonly seed: number;
  readonly short: ScenarioVariant;
  readonly full: ScenarioVariant;
  readonly faults: readonly Fault[];
  /** Control tuning over the defaults (e.g. which components dominate the pressure score). */
  readonly control?: CreateControlOptions['tuning'];
  readonly expectations: readonly Expectation[];
}

/** Routing targets counted per tick: agent calls by CTI node, diversions by channel. */
export type TargetCounts = Readonly<Record<string, number>>;

/** One control tick of a run. */
export interface TickSample {
  /** 1-based tick: the sample is taken right after the control tick at `tick` seconds. */
  readonly tick: number;
  /** Highest level over the tenants, after this tick. */
  readonly level: number;
  /** Highest pressure score of any tenant (0..1), and the component that weighed most in it. */
  readonly pressure: number;
  readonly top: string | null;
  /** Highest level of any skill group (a group can escalate while its tenant stays lower). */
  readonly groupLevel: number;
  /** Level per tenant. */
  readonly levels: Readonly<Record<string, number>>;
  /** Calls routed during this second, by target (`agent:<node>`, `smart_ivr`, …, `reject`, `error`). */
  readonly targets: TargetCounts;
  /** Events accepted by ingest so far. */
  readonly accepted: number;
  /** Events the pipeline worker has handled so far. */
  readonly handled: number;
  /** Events handled per second of wall time during this step. */
  readonly eventsPerSec: number;
  /** Consumer lag measured by the rig: scenario time minus the oldest unhandled event's time, ms; and messages. */
  readonly lagMs: number;
  readonly lagMessages: number;
  /** Consumer lag as the worker itself reports it (the control loop's engine-health signal), ms. */
  readonly engineLagMs: number;
  /** Breaker states by key (`cti:<node>`, `channel:<name>`). */
  readonly breakers: Readonly<Record<string, string>>;
  /** Whether the control loop reached its shared store at this tick. */
  readonly reachable: boolean;
  readonly leader: boolean;
  /** Route request latency this second (wall time, in process), µs. */
  readonly routeP50Us: number;
  readonly routeP99Us: number;
  /** Heap used, MB (garbage included). */
  readonly heapMb: number;
  /** Heap used right after a full garbage collection, MB: taken every {@link LIVE_HEAP_EVERY} ticks (and at tick 1), else absent. */
  readonly liveHeapMb?: number;
}

/** End-of-run totals. */
export interface RunTotals {
  readonly accepted: number;
  readonly rejected: number;
  /** Raw events found in the store, summed over tenants. */
  readonly stored: number;
  readonly offeredEvents: number;
  /** OFFERED counted in the minute rows, summed over tenants and groups. */
  readonly offeredInMinutes: number;
  readonly calls: number;
  readonly wallMs: number;
}

/** One expectation's verdict. */
export interface Check {
  readonly expectation: Expectation;
  /** The expectation in words. */
  readonly says: string;
  readonly pass: boolean;
  /** What was seen. */
  readonly observed: string;
}

/** A finished run. */
export interface ScenarioResult {
  readonly scenario: string;
  readonly title: string;
  readonly variant: 'short' | 'full';
  readonly services: { readonly bus: string; readonly state: string; readonly clickhouse: string };
  readonly phases: ScenarioVariant['phases'];
  readonly samples: readonly TickSample[];
  readonly totals: RunTotals;
  readonly checks: readonly Check[];
  readonly pass: boolean;
}
