/**
 * The faults a scenario injects into a running Sluice: a telemetry store whose writes wait
 * (ClickHouse slowing down, on the scenario's clock, real chDB underneath), the outcome the
 * CTI/IVR reports for a call (primary CTI node failing), and a redis-server that can be
 * stopped and started again.
 */
import type { Clock } from '../../adapters/clock.js';
import type { TelemetryStore } from '../../pipelines/store/types.js';

const WRITES = new Set([
  'insertEvents',
  'upsertMinutes',
  'insertDeadLetters',
  'upsertAgentWindows',
  'upsertExtensionWindows',
  'upsertIntervalReports',
]);

/** A {@link TelemetryStore} around the real one whose writes can be made slow. */
export interface SlowStore {
  readonly store: TelemetryStore;
  /** Added to every write from now on, ms of the clock (0 = none). */
  delayMs: number;
  /** Writes waiting on their delay right now. */
  readonly waiting: number;
  /** Writes passed to the real store so far. */
  readonly writes: number;
}

/**
 * Wraps `inner` so each write first waits `delayMs` on `clock` (a virtual clock in the
 * scenarios, so a 4 s insert costs no wall time), then runs on the real store. Reads pass
 * through at once.
 */
export function slowStore(inner: TelemetryStore, clock: Clock): SlowStore {
  let waiting = 0;
  let writes = 0;
  const state = { delayMs: 0 };
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (!WRITES.has(String(prop))) return (value as (...a: unknown[]) => unknown).bind(target);
      return async (...args: unknown[]) => {
        const delay = state.delayMs;
        if (delay > 0) {
          waiting++;
          try {
            await new Promise<void>((resolve) => clock.setTimeout(resolve, delay));
          } finally {
            waiting--;
          }
        }
        writes++;
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
  return {
    store,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    get waiting() {
      return waiting;
    },
    get writes() {
      return writes;
    },
  };
}

/**
 * What the CTI/IVR reports for a routed call: a call to a failing primary fails after
 * `failAfterMs` (undefined: the primary works); others succeed in 40–70 ms.
 */
export function callOutcome(
  ctiNode: string | undefined,
  failAfterMs: number | undefined,
  primary: string,
  n: number,
): { success: boolean; latencyMs: number } {
  if (failAfterMs !== undefined && ctiNode === primary) return { success: false, latencyMs: failAfterMs };
  return { success: true, latencyMs: 40 + (n % 7) * 5 };
}

const PRIORITIES = [
  'low',
  'normal',
  'normal',
  'normal',
  'low',
  'normal',
  'high',
  'normal',
  'normal',
  'vip',
  'normal',
  'low',
  'normal',
  'high',
  'normal',
  'normal',
  'low',
  'normal',
  'normal',
  'normal',
] as const;

/** A call's priority, fixed by its id: 20 % low, 65 % normal, 10 % high, 5 % VIP. */
export function callPriority(callId: string): (typeof PRIORITIES)[number] {
  let h = 0;
  for (let i = 0; i < callId.length; i++) h = (h * 31 + callId.charCodeAt(i)) >>> 0;
  return PRIORITIES[h % PRIORITIES.length]!;
}
