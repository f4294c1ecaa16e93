/**
 * A probe of the control loop's capacity: `POST /v1/route` on the control benchmark's server
 * (bench/control/server.ts: control routes built by `createControl`, in a child process),
 * driven by autocannon at a fixed offered rate over 127.0.0.1. Sustained when at least 95 % of
 * the offered rate is answered, every answer is 2xx and p99 latency stays at or under 10 ms.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { Probe } from './search.js';

const SERVER = fileURLToPath(new URL('../control/server.ts', import.meta.url));

/** A running control server to probe; `close()` when done. */
export interface ControlRig {
  readonly probe: Probe;
  close(): Promise<void>;
}

async function start(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, '--route-only'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`control server (${SERVER}) did not print READY within 30 s: ${out}`)), 30_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`control server exited with ${code} before READY: ${out}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

/** Starts the server; each probe runs `seconds` of load at the offered rate. */
export async function startControlRig(o: { seconds: number; connections?: number }): Promise<ControlRig> {
  const { url, child } = await start();
  let n = 0;
  const probe: Probe = async (rate) => {
    const r = await autocannon({
      url: `${url}/v1/route`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'acme', callId: `cap-${++n}`, skillGroup: 'care', priority: 'normal' }),
      connections: o.connections ?? 16,
      duration: o.seconds,
      overallRate: Math.max(1, Math.round(rate)),
    });
    const ok = r['2xx'];
    const achieved = Math.round(ok / o.seconds);
    const p99 = r.latency.p99;
    const sustained = achieved >= rate * 0.95 && r.non2xx === 0 && r.errors === 0 && p99 <= 10;
    return { rate, sustained, achieved, p99Ms: p99, ...(sustained ? {} : { reason: `${achieved}/s answered, p99 ${p99} ms, ${r.non2xx} non-2xx, ${r.errors} errors` }) };
  };
  return {
    probe,
    async close() {
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 500));
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
