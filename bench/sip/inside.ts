/**
 * The measuring half of `npm run bench:sip`, run in a private network namespace by `bench/sip/run.ts`: the same
 * Kamailio configuration twice — relaying without asking Sluice (SLUICE_BYPASS, the baseline), then asking Sluice for
 * every call and reporting every outcome — at the same stepped offered rates. Per step: calls/s completed, failed
 * calls, CPU of Kamailio (all its processes) and of Sluice per completed call; for the Sluice run the route lookup and
 * outcome post times measured inside Kamailio's own workers (`$TV(sn)`/`$TV(un)` around `http_client_query`, from its
 * SLUICE_TIMING_LOG lines). Writes JSON to argv[2].
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { percentile } from '../machine.js';
import { sleep, startRig } from './rig.js';

/** One offered rate of one mode. */
export interface SipStep {
  readonly offered: number;
  readonly calls: number;
  readonly successful: number;
  readonly failed: number;
  readonly callsPerSec: number;
  readonly proxyCpuMsPerCall: number;
  readonly sluiceCpuMsPerCall: number;
}

/** One mode (baseline or with Sluice). */
export interface SipMode {
  readonly mode: 'bypass' | 'sluice';
  readonly steps: SipStep[];
  /** Route lookup and outcome post in the proxy worker, µs (Sluice mode only). */
  readonly routeUs?: { p50: number; p99: number; n: number };
  readonly outcomeUs?: { p50: number; p99: number; n: number };
  readonly outcomeCodes?: Record<string, number>;
  readonly legacyOutcomes?: boolean;
}

const RATES = (process.env.BENCH_SIP_RATES ?? '100,200,400').split(',').map(Number);
const STEP_S = Number(process.env.BENCH_SIP_STEP_S ?? 10);
/** One call from INVITE to BYE's answer in the scenarios: the node rings 50 ms, the caller holds 300 ms. */
const CALL_MS = 350;

async function measure(mode: 'bypass' | 'sluice', dir: string): Promise<SipMode> {
  const rig = await startRig({
    dir,
    bypass: mode === 'bypass',
    timingLog: mode === 'sluice',
    legacyOutcomes: 'auto',
    children: 4,
    asyncWorkers: 4,
  });
  try {
    await rig.call(20, 40); // warm-up: connections, JIT, first decisions
    await sleep(1_000);
    const steps: SipStep[] = [];
    for (const rate of RATES) {
      const before = rig.cpuMs();
      const r = await rig.call(rate, rate * STEP_S, { maxConcurrent: rate * 4 });
      await sleep(500); // outcomes still queued in the proxy are posted
      const after = rig.cpuMs();
      const ok = Math.max(1, r.successful);
      steps.push({
        offered: rate,
        calls: r.calls,
        successful: r.successful,
        failed: r.failed,
        // The caller's wall time less one call's own length (ring 50 ms + 300 ms held): the time calls were placed in.
        callsPerSec: Math.round((r.successful / Math.max(1, r.wallMs - CALL_MS)) * 1000 * 10) / 10,
        proxyCpuMsPerCall: round3((after.proxy - before.proxy) / ok),
        sluiceCpuMsPerCall: round3((after.sluice - before.sluice) / ok),
      });
      console.error(`[bench:sip] ${mode} ${rate}/s: ${JSON.stringify(steps[steps.length - 1])}`);
    }
    if (mode === 'bypass') return { mode, steps };
    const log = rig.proxyLog();
    const route = [...log.matchAll(/sluice-route .* us=(\d+)/g)].map((m) => Number(m[1]));
    const outcome = [...log.matchAll(/sluice-outcome code=(\d+) us=(\d+)/g)];
    const codes: Record<string, number> = {};
    for (const m of outcome) codes[m[1]!] = (codes[m[1]!] ?? 0) + 1;
    const us = outcome.map((m) => Number(m[2]));
    return {
      mode,
      steps,
      routeUs: { p50: percentile(route, 50), p99: percentile(route, 99), n: route.length },
      outcomeUs: { p50: percentile(us, 50), p99: percentile(us, 99), n: us.length },
      outcomeCodes: codes,
      legacyOutcomes: rig.legacyOutcomes,
    };
  } finally {
    await rig.stop();
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

async function main(): Promise<void> {
  const [out, dir] = process.argv.slice(2);
  if (!out || !dir) throw new Error('usage: inside.ts <out.json> <workdir>');
  const bypass = await measure('bypass', join(dir, 'bypass'));
  const sluice = await measure('sluice', join(dir, 'sluice'));
  writeFileSync(out, JSON.stringify({ rates: RATES, stepSeconds: STEP_S, bypass, sluice }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
