/**
 * A probe of the control loop's capacity: `POST /v1/route` on the control benchmark's server
 * (bench/control/server.ts: control routes built by `createControl`, in a child process),
 * driven at a fixed offered rate, evenly paced, over 127.0.0.1 (autocannon's rate limit sends
 * each second's requests in one burst, which measures queueing, not the server). Sustained when at least 95 % of
 * the offered rate is answered, every answer is 2xx, the median stays at or under 5 ms (the queue is not growing) and p99 at or under 500 ms.
 */
import { Agent, request } from 'node:http';
import { startControlServer } from '../control/http.js';
import { percentile } from '../machine.js';
import type { Probe } from './search.js';

/**
 * Latency bounds of a sustained rate. Loose on purpose: on a shared 2-core machine a p99 of
 * tens of ms comes from being descheduled, at any rate; past capacity the queue grows and the
 * median and p99 run into hundreds of ms or seconds.
 */
const MAX_P50_MS = 5;
const MAX_P99_MS = 500;

/** A running control server to probe; `close()` when done. */
export interface ControlRig {
  readonly probe: Probe;
  close(): Promise<void>;
}

/**
 * Sends `rate` requests per second, evenly spaced (every 5 ms, the ones that fell due), over
 * keep-alive connections for `seconds`, and times each answer. An open loop: requests are sent
 * on schedule whether or not earlier ones were answered, so queueing shows as latency.
 */
async function paced(
  url: URL,
  body: string,
  rate: number,
  seconds: number,
  agent: Agent,
): Promise<{ ok: number; failed: number; latenciesMs: number[] }> {
  const latenciesMs: number[] = [];
  let ok = 0;
  let failed = 0;
  const inflight = new Set<Promise<void>>();
  const one = () => {
    const t0 = performance.now();
    const p = new Promise<void>((resolve) => {
      const req = request(
        url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => {
            latenciesMs.push(performance.now() - t0);
            if (res.statusCode === 200) ok++;
            else failed++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end(body);
    });
    inflight.add(p);
    void p.then(() => inflight.delete(p));
  };
  const total = Math.round(rate * seconds);
  const t0 = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    for (; sent < due; sent++) one();
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(inflight);
  return { ok, failed, latenciesMs };
}

/** Starts the server; each probe runs `seconds` of evenly paced load at the offered rate (after a short warm-up). */
export async function startControlRig(o: { seconds: number; connections?: number }): Promise<ControlRig> {
  const { url, child } = await startControlServer(['--route-only']);
  const agent = new Agent({ keepAlive: true, maxSockets: o.connections ?? 32 });
  const target = new URL('/v1/route', url);
  const body = JSON.stringify({ tenant: 'acme', callId: 'cap-call', skillGroup: 'care', priority: 'normal' });
  await paced(target, body, 2_000, 2, agent); // JIT and connections warm
  const probe: Probe = async (rate) => {
    const r = await paced(target, body, rate, o.seconds, agent);
    const achieved = Math.round(r.ok / o.seconds);
    const p50 = Math.round(percentile(r.latenciesMs, 50) * 10) / 10;
    const p99 = Math.round(percentile(r.latenciesMs, 99) * 10) / 10;
    const sustained = achieved >= rate * 0.95 && r.failed === 0 && p50 <= MAX_P50_MS && p99 <= MAX_P99_MS;
    return {
      rate,
      sustained,
      achieved,
      p99Ms: p99,
      ...(sustained ? {} : { reason: `${achieved}/s answered, p50 ${p50} ms, p99 ${p99} ms, ${r.failed} failed` }),
    };
  };
  return {
    probe,
    async close() {
      agent.destroy();
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 500));
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
