/**
 * Checks a run's expectations against its tick samples and totals. Pure: the verdict is a
 * function of the samples, so the rules are unit-tested on made-up timelines.
 *
 * Ticks: sample `tick` t is taken right after the control tick at t seconds; a phase
 * [from, to) in seconds covers the ticks with from < t ≤ to ("within N ticks of the phase
 * start" means at a tick t ≤ from + N).
 */
import type { Check, Expectation, RunTotals, ScenarioVariant, TickSample } from './types.js';

const DIVERSIONS = ['smart_ivr', 'chat', 'callback', 'keypad_ivr'];

/** Calls of one tick sent to a diversion channel. */
export function diverted(s: TickSample): number {
  let n = 0;
  for (const c of DIVERSIONS) n += s.targets[c] ?? 0;
  return n;
}

/** Calls of one tick sent to agents, on any CTI node. */
export function toAgents(s: TickSample, node?: string): number {
  let n = 0;
  for (const [k, v] of Object.entries(s.targets)) if (node === undefined ? k.startsWith('agent:') : k === `agent:${node}`) n += v;
  return n;
}

/** The phase's [from, to) in seconds; throws naming an unknown phase. */
export function phaseOf(phases: ScenarioVariant['phases'], name: string): readonly [number, number] {
  const p = phases[name];
  if (p === undefined)
    throw new Error(`expectation names phase "${name}", which the scenario does not define (phases: ${Object.keys(phases).join(', ')})`);
  return p;
}

/** The expectation in words. */
export function describe(e: Expectation): string {
  switch (e.kind) {
    case 'level-reaches':
      return `level reaches L${e.level} within ${e.withinTicks} ticks of the start of "${e.phase}"`;
    case 'level-stays-at-most':
      return `level stays at or below L${e.level} during "${e.phase}"`;
    case 'level-returns':
      return `level is back at or below L${e.level} within ${e.withinTicks} ticks after "${e.after}" and stays there`;
    case 'level-changes-at-most':
      return `at most ${e.count} level changes of any tenant during "${e.phase}" (no flapping)`;
    case 'diversions':
      return `at least ${e.min} calls diverted (smart IVR, chat, callback, keypad IVR) during "${e.phase}"`;
    case 'breaker-reaches':
      return `breaker ${e.key} is ${e.state} within ${e.withinTicks} ticks of the start of "${e.phase}"`;
    case 'routes-around':
      return `from ${e.afterTicks} ticks into "${e.phase}" on, at most ${Math.round(e.maxShare * 100)} % of agent calls go to ${e.node}`;
    case 'lag-reaches':
      return `consumer lag reaches ${e.ms} ms during "${e.phase}"`;
    case 'lag-stays-below':
      return `consumer lag stays at or below ${e.ms} ms during "${e.phase}"`;
    case 'lag-recovers':
      return `consumer lag is back under ${e.ms} ms within ${e.withinTicks} ticks after "${e.after}"`;
    case 'fail-static':
      return `control sees the shared store unreachable and keeps deciding (fail-static) within ${e.withinTicks} ticks of "${e.phase}"`;
    case 'reconciles':
      return `control reaches the shared store again and leads, for good, within ${e.withinTicks} ticks after "${e.after}"`;
    case 'every-call-answered':
      return 'every routing request is answered (2xx, never reject)';
    case 'nothing-lost':
      return 'every accepted event is stored exactly once and every offered call is counted';
    case 'memory-bounded':
      return `live heap (after a full collection) grows by at most ${e.maxGrowthMb} MB from just after "${e.after}" to the end of the run`;
  }
}

const inPhase = (s: TickSample, [from, to]: readonly [number, number]) => s.tick > from && s.tick <= to;

/** First sample from tick `from` + 1 on (up to `until`) meeting `ok`, or undefined. */
function first(samples: readonly TickSample[], from: number, until: number, ok: (s: TickSample) => boolean): TickSample | undefined {
  return samples.find((s) => s.tick > from && s.tick <= until && ok(s));
}

function within(
  samples: readonly TickSample[],
  from: number,
  ticks: number,
  ok: (s: TickSample) => boolean,
  what: string,
): [boolean, string] {
  const hit = first(samples, from, Number.POSITIVE_INFINITY, ok);
  if (hit === undefined) return [false, `never ${what}`];
  return [hit.tick - from <= ticks, `${what} after ${hit.tick - from} ticks`];
}

function settles(
  samples: readonly TickSample[],
  from: number,
  ticks: number,
  ok: (s: TickSample) => boolean,
  what: string,
): [boolean, string] {
  const after = samples.filter((s) => s.tick > from);
  let lastBad = -1;
  after.forEach((s, i) => {
    if (!ok(s)) lastBad = i;
  });
  if (lastBad === after.length - 1) return [false, `not ${what} by the end of the run`];
  const at = (after[lastBad + 1]?.tick ?? from) - from;
  return [at <= ticks, `${what} for good after ${at} ticks`];
}

function verdict(e: Expectation, samples: readonly TickSample[], totals: RunTotals, phases: ScenarioVariant['phases']): [boolean, string] {
  switch (e.kind) {
    case 'level-reaches':
      return within(samples, phaseOf(phases, e.phase)[0], e.withinTicks, (s) => s.level >= e.level, `L${e.level}`);
    case 'level-stays-at-most': {
      const p = phaseOf(phases, e.phase);
      const max = Math.max(0, ...samples.filter((s) => inPhase(s, p)).map((s) => s.level));
      return [max <= e.level, `highest level L${max}`];
    }
    case 'level-returns':
      return settles(samples, phaseOf(phases, e.after)[1], e.withinTicks, (s) => s.level <= e.level, `at or below L${e.level}`);
    case 'level-changes-at-most': {
      const p = phaseOf(phases, e.phase);
      const changes = new Map<string, number>();
      let prev: TickSample | undefined;
      for (const s of samples) {
        if (inPhase(s, p) && prev !== undefined)
          for (const t of Object.keys(s.levels)) if ((prev.levels[t] ?? 0) !== s.levels[t]) changes.set(t, (changes.get(t) ?? 0) + 1);
        prev = s;
      }
      const most = Math.max(0, ...changes.values());
      return [most <= e.count, `${most} level changes at most (${[...changes].map(([t, n]) => `${t} ${n}`).join(', ') || 'none'})`];
    }
    case 'diversions': {
      const p = phaseOf(phases, e.phase);
      const n = samples.filter((s) => inPhase(s, p)).reduce((a, s) => a + diverted(s), 0);
      return [n >= e.min, `${n} calls diverted`];
    }
    case 'breaker-reaches':
      return within(samples, phaseOf(phases, e.phase)[0], e.withinTicks, (s) => s.breakers[e.key] === e.state, `${e.key} ${e.state}`);
    case 'routes-around': {
      const p = phaseOf(phases, e.phase);
      const rest = samples.filter((s) => s.tick > p[0] + e.afterTicks && s.tick <= p[1]);
      const all = rest.reduce((a, s) => a + toAgents(s), 0);
      const there = rest.reduce((a, s) => a + toAgents(s, e.node), 0);
      const share = all === 0 ? 0 : there / all;
      return [all > 0 && share <= e.maxShare, `${there} of ${all} agent calls to ${e.node} (${Math.round(share * 100)} %)`];
    }
    case 'lag-reaches': {
      const p = phaseOf(phases, e.phase);
      const max = Math.max(0, ...samples.filter((s) => inPhase(s, p)).map((s) => s.lagMs));
      return [max >= e.ms, `highest lag ${max} ms`];
    }
    case 'lag-stays-below': {
      const p = phaseOf(phases, e.phase);
      const max = Math.max(0, ...samples.filter((s) => inPhase(s, p)).map((s) => s.lagMs));
      return [max <= e.ms, `highest lag ${max} ms`];
    }
    case 'lag-recovers':
      return settles(samples, phaseOf(phases, e.after)[1], e.withinTicks, (s) => s.lagMs <= e.ms, `lag ≤ ${e.ms} ms`);
    case 'fail-static': {
      const p = phaseOf(phases, e.phase);
      const [ok, seen] = within(samples, p[0], e.withinTicks, (s) => !s.reachable, 'unreachable');
      const blind = samples.filter((s) => inPhase(s, p) && !s.reachable);
      const calls = blind.reduce((a, s) => a + Object.values(s.targets).reduce((b, v) => b + v, 0), 0);
      const failed = blind.reduce((a, s) => a + (s.targets.error ?? 0) + (s.targets.reject ?? 0), 0);
      return [ok && failed === 0, `${seen}; ${calls - failed} of ${calls} calls routed while unreachable`];
    }
    case 'reconciles':
      return settles(samples, phaseOf(phases, e.after)[1], e.withinTicks, (s) => s.reachable && s.leader, 'reachable and leading');
    case 'every-call-answered': {
      const bad = samples.reduce((a, s) => a + (s.targets.error ?? 0) + (s.targets.reject ?? 0), 0);
      return [bad === 0 && totals.calls > 0, `${totals.calls} calls, ${bad} errors or rejects`];
    }
    case 'nothing-lost':
      return [
        totals.accepted > 0 &&
          totals.rejected === 0 &&
          totals.stored === totals.accepted &&
          totals.offeredInMinutes === totals.offeredEvents,
        `${totals.accepted} accepted, ${totals.rejected} rejected, ${totals.stored} stored; ${totals.offeredEvents} offered, ${totals.offeredInMinutes} in minute rows`,
      ];
    case 'memory-bounded': {
      // Heap used includes garbage not yet collected (old-generation garbage waits for a major
      // collection): compare readings taken right after a full collection.
      const end = phaseOf(phases, e.after)[1];
      const live = samples.filter((s) => s.tick >= end && s.liveHeapMb !== undefined);
      if (live.length < 2) return [false, `fewer than 2 live-heap readings from the end of "${e.after}" on`];
      const base = live[0]!;
      const last = live.at(-1)!;
      const growth = Math.round((last.liveHeapMb! - base.liveHeapMb!) * 10) / 10;
      return [
        growth <= e.maxGrowthMb,
        `live heap ${Math.round(base.liveHeapMb!)} MB at ${base.tick} s → ${Math.round(last.liveHeapMb!)} MB at ${last.tick} s (${growth >= 0 ? '+' : ''}${growth} MB)`,
      ];
    }
  }
}

/** Checks every expectation; a phase name the scenario lacks is a failed check naming it. */
export function checkExpectations(
  expectations: readonly Expectation[],
  samples: readonly TickSample[],
  totals: RunTotals,
  phases: ScenarioVariant['phases'],
): Check[] {
  return expectations.map((e) => {
    let pass: boolean;
    let observed: string;
    try {
      [pass, observed] = verdict(e, samples, totals, phases);
    } catch (err) {
      [pass, observed] = [false, (err as Error).message];
    }
    return { expectation: e, says: describe(e), pass, observed };
  });
}
