/**
 * The SIP journey of `sip.kamailio.test.ts`, run inside a private network namespace (the test starts it through
 * `runInPrivateNetwork`): SIPp callers → Kamailio with the shipped fragment → Sluice (`--role control`, keys, Redis)
 * → SIPp nodes. Phases, each one SIPp caller run at a modest rate:
 *
 *  1. healthy;
 *  2. the primary answers 503 to everything;
 *  3. the primary answers again, until it takes calls again (its breaker closed);
 *  4. the primary is stopped (its calls time out);
 *  5. the proxy drops every outcome (primary still stopped);
 *  6. the primary is back, outcomes flow again.
 *
 * Meanwhile it samples `GET /v1/control/state` twice a second. It writes what it saw as JSON to argv[2]; the test
 * asserts on that. Usage: `runInPrivateNetwork('test/sip/phases.ts', [out.json, workdir])`.
 */
import { writeFileSync } from 'node:fs';
import { type CallerRun, type NodeName, type SipRig, sleep, startRig } from '../../bench/sip/rig.js';

/** One phase as the test reads it. */
export interface PhaseResult {
  readonly name: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly run: CallerRun;
  /** Calls of this phase by the node that answered them. */
  readonly answered: Partial<Record<NodeName, number>>;
  /** Sluice's targets for this phase's calls, from the proxy's log (`agent:cti-primary`, `keypad_ivr`, …). */
  readonly targets: Record<string, number>;
  /** Calls of this phase that took the local fallback (Sluice not asked or not answering). */
  readonly fallbacks: number;
  /** For each call index (1-based, in the order the caller placed them), the node that answered it. */
  readonly byIndex: Array<NodeName | null>;
}

/** A sample of the primary's breakers. */
export interface BreakerSample {
  readonly at: number;
  readonly phase: string;
  readonly fleet: string | undefined;
  readonly tenant: string | undefined;
  readonly level: number;
}

/** What the journey writes. */
export interface JourneyResult {
  readonly rate: number;
  readonly phases: PhaseResult[];
  readonly samples: BreakerSample[];
  readonly proxyStats: Record<string, number>;
  readonly error?: string;
}

const RATE = Number(process.env.SIP_TEST_RATE ?? 10);

async function main(): Promise<void> {
  const [out, dir] = process.argv.slice(2);
  if (!out || !dir) throw new Error('usage: phases.ts <out.json> <workdir>');
  const rig = await startRig({ dir, timingLog: true, legacyOutcomes: process.env.SIP_LEGACY_OUTCOMES === '1' });
  const phases: PhaseResult[] = [];
  const samples: BreakerSample[] = [];
  let phase = 'start';
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      try {
        const s = await rig.controlState();
        samples.push({
          at: Date.now(),
          phase,
          fleet: s.breakers.find((b) => b.id === 'cti:cti-primary')?.state,
          tenant: s.tenantBreakers.find((b) => b.target === 'cti:cti-primary')?.state,
          level: Math.max(0, ...s.levels.map((l) => l.level)),
        });
      } catch {
        // a sample lost is a sample lost; the test asserts on those taken
      }
      await sleep(500);
    }
  })();
  let error: string | undefined;
  try {
    const run = async (name: string, seconds: number) => {
      phase = name;
      const startedAt = Date.now();
      const r = await rig.call(RATE, RATE * seconds);
      phases.push(describe(rig, name, startedAt, r));
    };
    await run('healthy', 10);
    await rig.setNode('cti-primary', '503');
    await run('primary-503', 20);
    await rig.setNode('cti-primary', 'ok');
    // Until the primary takes calls again (its breaker half-open, then closed), at most 60 s.
    for (let i = 0; i < 6; i++) {
      await run(`primary-returns-${i + 1}`, 10);
      const last = phases[phases.length - 1]!;
      if ((last.answered['cti-primary'] ?? 0) >= last.run.calls / 2) break;
    }
    await rig.setNode('cti-primary', 'stopped');
    await run('primary-stopped', 20);
    rig.kamcmd('htable.seti', 'sluice_ctl', 'drop_outcomes', '1');
    await run('outcomes-dropped', 30);
    rig.kamcmd('htable.seti', 'sluice_ctl', 'drop_outcomes', '0');
    await rig.setNode('cti-primary', 'ok');
    await run('primary-back', 30);
  } catch (e) {
    error = e instanceof Error ? `${e.message}\n${e.stack}` : String(e);
  } finally {
    sampling = false;
    await sampler;
  }
  let proxyStats: Record<string, number> = {};
  try {
    proxyStats = statsOf(rig.kamcmd('stats.get_statistics', 'all'));
  } catch (e) {
    error ??= String(e);
  }
  await rig.stop();
  const result: JourneyResult = { rate: RATE, phases, samples, proxyStats, ...(error ? { error } : {}) };
  writeFileSync(out, JSON.stringify(result, null, 1));
}

/** The `sluice_*` counters of `kamcmd stats.get_statistics all` (`script:sluice_route_ok = 12` lines). */
function statsOf(text: string): Record<string, number> {
  const r: Record<string, number> = {};
  for (const m of text.matchAll(/(sluice_[a-z_]+)\s*=\s*(\d+)/g)) r[m[1]!] = Number(m[2]);
  return r;
}

function describe(rig: SipRig, name: string, startedAt: number, run: CallerRun): PhaseResult {
  const mine = (ci: string): number | undefined => {
    const m = /^(\d+)-(\d+)@/.exec(ci);
    return m && Number(m[2]) === run.pid ? Number(m[1]) : undefined;
  };
  const answered: Partial<Record<NodeName, number>> = {};
  const byIndex: Array<NodeName | null> = Array.from({ length: run.calls }, () => null);
  for (const [ci, node] of rig.answeredBy()) {
    const i = mine(ci);
    if (i === undefined) continue;
    answered[node] = (answered[node] ?? 0) + 1;
    if (i >= 1 && i <= run.calls) byIndex[i - 1] = node;
  }
  const targets: Record<string, number> = {};
  let fallbacks = 0;
  for (const line of rig.proxyLog().split('\n')) {
    const r = /sluice-route ci=(\S+) target=(\S+) node=(\S*)/.exec(line);
    if (r && mine(r[1]!) !== undefined) {
      const key = r[2] === 'agent' ? `agent:${r[3]}` : r[2]!;
      targets[key] = (targets[key] ?? 0) + 1;
    }
    const f = /local fallback for (\S+)/.exec(line);
    if (f && mine(f[1]!) !== undefined) fallbacks++;
  }
  return { name, startedAt, endedAt: Date.now(), run, answered, targets, fallbacks, byIndex };
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
