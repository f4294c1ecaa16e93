/**
 * `npm run bench:sip`: calls/s through Kamailio 5.6 (the shipped integrations/kamailio config) with Sluice deciding
 * every call, against the same proxy relaying without asking Sluice, in one run and at the same offered rates; the
 * route lookup and outcome post times inside Kamailio's workers (p50/p99); CPU per call of Kamailio and of Sluice
 * (`/proc/<pid>/stat` of each process tree). SIPp callers and nodes, Sluice `--role control` with Redis; everything in
 * a private network namespace (bench/sip/inside.ts). Writes bench/sip/RESULTS.md; the last line printed is one JSON
 * object. BENCH_SIP_RATES (default 100,200,400 calls/s) and BENCH_SIP_STEP_S (10) size it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineInfo, machineTable, ratio } from '../machine.js';
import type { SipMode, SipStep } from './inside.js';
import { ROOT, runInPrivateNetwork } from './rig.js';

interface Inside {
  rates: number[];
  stepSeconds: number;
  bypass: SipMode;
  sluice: SipMode;
}

/** The highest step where every call completed and the rate held (≥ 90 % of offered). */
const sustained = (m: SipMode): SipStep | undefined =>
  [...m.steps].reverse().find((s) => s.failed === 0 && s.callsPerSec >= 0.9 * s.offered);

async function main(): Promise<void> {
  const machine = machineInfo();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-sip-'));
  const out = join(dir, 'inside.json');
  const code = await runInPrivateNetwork('bench/sip/inside.ts', [out, join(dir, 'rig')]);
  if (code !== 0) throw new Error(`the measuring run failed (exit code ${code}); logs in ${dir}`);
  const r = JSON.parse(readFileSync(out, 'utf8')) as Inside;
  const sb = sustained(r.bypass);
  const ss = sustained(r.sluice);
  const rows = r.rates.map((rate, i) => {
    const b = r.bypass.steps[i]!;
    const s = r.sluice.steps[i]!;
    return `| ${rate} | ${b.callsPerSec} | ${b.failed} | ${s.callsPerSec} | ${s.failed} | ${b.proxyCpuMsPerCall} | ${s.proxyCpuMsPerCall} | ${s.sluiceCpuMsPerCall} |`;
  });
  const common = r.rates
    .map((_, i) => ({ b: r.bypass.steps[i]!, s: r.sluice.steps[i]! }))
    .filter(({ b, s }) => b.failed === 0 && s.failed === 0);
  const ref = common[common.length - 1];
  const summary = {
    bench: 'sip',
    machine,
    rates: r.rates,
    stepSeconds: r.stepSeconds,
    sustainedCallsPerSec: { bypass: sb?.callsPerSec ?? 0, sluice: ss?.callsPerSec ?? 0 },
    sustainedRatio: ratio(ss?.callsPerSec, sb?.callsPerSec),
    routeUs: r.sluice.routeUs,
    outcomeUs: r.sluice.outcomeUs,
    outcomeCodes: r.sluice.outcomeCodes,
    legacyOutcomes: r.sluice.legacyOutcomes,
    cpuMsPerCallAt: ref
      ? {
          offered: ref.b.offered,
          proxyBypass: ref.b.proxyCpuMsPerCall,
          proxySluice: ref.s.proxyCpuMsPerCall,
          sluice: ref.s.sluiceCpuMsPerCall,
        }
      : null,
    steps: { bypass: r.bypass.steps, sluice: r.sluice.steps },
  };
  const doc = [
    '# bench:sip — Kamailio asking Sluice, against the same Kamailio relaying alone',
    '',
    machineTable(machine),
    '',
    `\`npm run bench:sip\`: SIPp callers → Kamailio 5.6 (\`integrations/kamailio/kamailio.cfg\`, 4 SIP workers, 4 async workers, 2 outcome senders) → SIPp nodes, with Sluice \`--role control\` (own Redis) deciding each call, and the same config with \`SLUICE_BYPASS\` (relays to the primary without asking) as the baseline, at the same offered rates (${r.stepSeconds} s each) in one run. Every process (callers, nodes, proxy, Sluice, Redis) shares this machine's ${machine.cores} cores: the rates are the whole rig's, not the proxy's alone. A call: INVITE, 180, 200, ACK, 300 ms, BYE. CPU is user + system time of each process tree from \`/proc/<pid>/stat\` per completed call. Latencies are measured inside Kamailio's worker around \`http_client_query\` (\`$TV(sn)\`/\`$TV(un)\`), so they include the proxy's own HTTP client, not only Sluice.${r.sluice.legacyOutcomes ? ' This Sluice took only the legacy outcome body `{success, latencyMs}` (the proxy sent `SLUICE_LEGACY_OUTCOMES`).' : ''}`,
    '',
    '| offered calls/s | alone: calls/s | alone: failed | with Sluice: calls/s | with Sluice: failed | proxy CPU ms/call alone | proxy CPU ms/call with Sluice | Sluice CPU ms/call |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `- Sustained (every call completed, ≥ 90 % of the offered rate): alone ${sb?.callsPerSec ?? 'none'} calls/s, with Sluice ${ss?.callsPerSec ?? 'none'} calls/s (ratio ${summary.sustainedRatio ?? 'n/a'}).`,
    `- Route lookup in the async worker: p50 ${fmtUs(r.sluice.routeUs?.p50)}, p99 ${fmtUs(r.sluice.routeUs?.p99)} (${r.sluice.routeUs?.n ?? 0} lookups).`,
    `- Outcome post in the sender process: p50 ${fmtUs(r.sluice.outcomeUs?.p50)}, p99 ${fmtUs(r.sluice.outcomeUs?.p99)} (${r.sluice.outcomeUs?.n ?? 0} posts; answers ${JSON.stringify(r.sluice.outcomeCodes ?? {})}).`,
    ref
      ? `- CPU per call at ${ref.b.offered} calls/s: proxy ${ref.b.proxyCpuMsPerCall} ms alone, ${ref.s.proxyCpuMsPerCall} ms asking Sluice; Sluice ${ref.s.sluiceCpuMsPerCall} ms (a route and an outcome).`
      : '- No rate completed every call in both modes.',
    '',
  ].join('\n');
  writeFileSync(join(ROOT, 'bench/sip/RESULTS.md'), doc);
  rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify(summary));
}

const fmtUs = (us: number | undefined) => (us === undefined || !Number.isFinite(us) ? 'n/a' : `${(us / 1000).toFixed(2)} ms`);

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
