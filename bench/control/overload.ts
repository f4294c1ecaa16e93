/**
 * (c) An overload scenario in virtual time, with the default level and
 * breaker configuration (thresholds 0.5 / 0.7 / 0.85, 30 s hold, 1 s tick):
 * 60 s calm, then 120 s of overload — queues full and the CTI answering in
 * 1.8 s instead of 60 ms — then calm again. Thirty calls are routed per second
 * and their outcomes reported, so CTI latency reaches the pressure score
 * through the breakers' windows.
 */
import { ManualClock, settle } from '../../adapters/clock.js';
import { MemoryStateStore } from '../../adapters/state/memory.js';
import { calm, overloaded } from '../../control/testing/harness.js';
import { ControlService } from '../../control/service.js';
import { StaticRealtimeView } from '../../control/signals/snapshot.js';

/** The scenario's figures, in ticks (1 s each). */
export interface OverloadResult {
  /** From the first tick that sees the overload to the first escalation. */
  readonly escalationTicks: number;
  /** From that tick until L3. */
  readonly toL3Ticks: number;
  /** From the first calm tick until L0 again. */
  readonly recoveryTicks: number;
  /** Level changes of the tenant scope: [tick, from, to]. */
  readonly timeline: readonly [number, number, number][];
}

const CALM = 60;
const OVERLOAD = 120;
const AFTER = 400;

/** Runs the scenario. */
export async function overloadScenario(): Promise<OverloadResult> {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 9));
  const view = new StaticRealtimeView();
  const svc = new ControlService({
    clock,
    instanceId: 'overload',
    stateStore: new MemoryStateStore(clock),
    realtime: view,
    ctiNodes: { primary: 'a', backup: 'b' },
    loopLagMs: () => Number.NaN,
  });
  const timeline: [number, number, number][] = [];
  let tick = 0;
  svc.on('level', (e) => {
    if (e.scope.skillGroup === undefined && e.from !== e.to) timeline.push([tick, e.from, e.to]);
  });
  await svc.start();
  for (tick = 1; tick <= CALM + OVERLOAD + AFTER; tick++) {
    const over = tick > CALM && tick <= CALM + OVERLOAD;
    const snap = over ? overloaded : calm;
    view.set(['care', 'sales'].map((g) => snap('acme', g, clock.now())));
    for (let i = 0; i < 30; i++) {
      const d = svc.route({ tenant: 'acme', callId: `t${tick}-${i}`, skillGroup: i % 2 ? 'care' : 'sales', priority: 'normal' });
      svc.outcome(d.decisionId, { success: true, latencyMs: over ? 1_800 : 60 });
    }
    clock.advance(1_000);
    await settle(4);
  }
  await svc.stop();
  // Snapshots set during tick t are read by the tick at its end, so the first tick that sees the overload is CALM + 1.
  const seen = CALM + 1;
  const firstUp = timeline.find(([t, , to]) => t >= seen && to >= 1);
  const l3 = timeline.find(([t, , to]) => t >= seen && to === 3);
  const down = timeline.find(([t, , to]) => t > CALM + OVERLOAD && to === 0);
  return {
    escalationTicks: firstUp === undefined ? -1 : firstUp[0] - seen + 1,
    toL3Ticks: l3 === undefined ? -1 : l3[0] - seen + 1,
    recoveryTicks: down === undefined ? -1 : down[0] - (CALM + OVERLOAD),
    timeline,
  };
}
