/**
 * The telephony edge, end to end with real parts (issue 18): SIPp callers → Kamailio 5.6 running the shipped
 * `integrations/kamailio/kamailio.cfg` → Sluice (`sluice start --role control` with keys and its own Redis) → SIPp
 * nodes for `cti-primary`, `cti-backup` and the IVRs, in a private network namespace (`test/sip/phases.ts` runs the
 * phases there). Fails loudly when kamailio, sipp or unshare cannot run (`.ci/run` installs them).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInPrivateNetwork } from '../../bench/sip/rig.js';
import type { JourneyResult, PhaseResult } from './phases.js';

const AGENT_NODES = new Set(['cti-primary', 'cti-backup']);
/** After the primary returns, its calls come back within this many seconds (breaker open at most 30 s, then a trial). */
const RECOVERY_BOUND_S = 35;

let dir: string;
let result: JourneyResult;
const phase = (name: string): PhaseResult => {
  const p = result.phases.find((x) => x.name === name);
  if (!p) throw new Error(`phase ${name} did not run (${result.error ?? 'no error recorded'})`);
  return p;
};
const inPhase = (prefix: string) => result.samples.filter((s) => s.phase.startsWith(prefix));
const isOpen = (s: { fleet: string | undefined; tenant: string | undefined }) => s.fleet === 'open' || s.tenant === 'open';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-sip-'));
  const out = join(dir, 'result.json');
  const code = await runInPrivateNetwork('test/sip/phases.ts', [out, join(dir, 'rig')]);
  let text: string;
  try {
    text = readFileSync(out, 'utf8');
  } catch {
    throw new Error(`the SIP journey wrote no result (exit code ${code}); logs in ${join(dir, 'rig')}`);
  }
  result = JSON.parse(text) as JourneyResult;
  if (result.error) throw new Error(`the SIP journey failed: ${result.error} (logs in ${join(dir, 'rig')})`);
}, 300_000);

afterAll(() => {
  // Keep the logs of a failed run for the reader; a passing run leaves nothing behind.
  if (dir && result && !result.error && process.env.SIP_TEST_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
});

describe('SIP proxy asking Sluice (Kamailio + SIPp)', () => {
  it('answers every call by an agent node while the backup is healthy, in every phase', () => {
    for (const p of result.phases) {
      expect(p.run.failed, `${p.name}: failed calls`).toBe(0);
      expect(p.run.successful, `${p.name}: successful calls`).toBe(p.run.calls);
      const byAgents = Object.entries(p.answered)
        .filter(([n]) => AGENT_NODES.has(n))
        .reduce((a, [, c]) => a + c, 0);
      expect(byAgents, `${p.name}: answered by ${JSON.stringify(p.answered)}`).toBe(p.run.calls);
      expect(p.fallbacks, `${p.name}: calls that could not ask Sluice`).toBe(0);
    }
  });

  it('asks Sluice for every call and relays where it says', () => {
    const healthy = phase('healthy');
    const routed = Object.values(healthy.targets).reduce((a, b) => a + b, 0);
    expect(routed).toBe(healthy.run.calls);
    expect(healthy.answered['cti-primary'] ?? 0, JSON.stringify(healthy.answered)).toBeGreaterThan(healthy.run.calls / 2);
  });

  it('opens the primary breaker on 503s', () => {
    expect(inPhase('primary-503').some(isOpen), JSON.stringify(inPhase('primary-503'))).toBe(true);
    // Once open, the primary is not asked: most of the phase goes straight to the backup.
    const p = phase('primary-503');
    expect(p.targets['agent:cti-backup'] ?? 0, JSON.stringify(p.targets)).toBeGreaterThan(p.run.calls / 2);
  });

  it('opens the primary breaker on time-outs, from closed', () => {
    const returns = result.phases.filter((p) => p.name.startsWith('primary-returns'));
    const last = returns[returns.length - 1]!;
    expect(last.answered['cti-primary'] ?? 0, 'the primary took calls again before it was stopped').toBeGreaterThanOrEqual(
      last.run.calls / 2,
    );
    const stopped = inPhase('primary-stopped');
    expect(stopped.some(isOpen), JSON.stringify(stopped)).toBe(true);
    const p = phase('primary-stopped');
    expect(p.targets['agent:cti-backup'] ?? 0, JSON.stringify(p.targets)).toBeGreaterThan(p.run.calls / 2);
  });

  it('never rejects nor sends to keypad IVR because outcomes were lost', () => {
    const p = phase('outcomes-dropped');
    expect(result.proxyStats.sluice_outcome_dropped ?? 0, JSON.stringify(result.proxyStats)).toBeGreaterThanOrEqual(p.run.calls);
    expect(p.targets.reject ?? 0, JSON.stringify(p.targets)).toBe(0);
    expect(p.targets.keypad_ivr ?? 0, JSON.stringify(p.targets)).toBe(0);
    const back = phase('primary-back');
    expect(back.targets.reject ?? 0, JSON.stringify(back.targets)).toBe(0);
    expect(back.targets.keypad_ivr ?? 0, JSON.stringify(back.targets)).toBe(0);
  });

  it('returns to the primary within a bounded time after it is back', () => {
    const p = phase('primary-back');
    const first = p.byIndex.indexOf('cti-primary');
    expect(first, `no call of ${p.run.calls} reached the primary after it returned: ${JSON.stringify(p.answered)}`).toBeGreaterThanOrEqual(
      0,
    );
    expect(first / result.rate, 'seconds until the first call on the primary').toBeLessThanOrEqual(RECOVERY_BOUND_S);
    // And it keeps them: the last 5 s of the phase are mostly on the primary.
    const tail = p.byIndex.slice(-5 * result.rate);
    expect(tail.filter((n) => n === 'cti-primary').length, JSON.stringify(tail)).toBeGreaterThan(tail.length / 2);
  });
});
