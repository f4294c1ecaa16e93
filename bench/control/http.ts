/**
 * (b) HTTP load on `POST /v1/route`: servers run in child processes
 * (`server.ts`), autocannon drives them from this process over 127.0.0.1.
 * Three servers are measured in interleaved slices, so that load from other
 * work on the machine hits them alike:
 * - baseline: the same fastify app answering a constant (the machine's ceiling);
 * - route only: routing requests (the headline figures);
 * - with outcomes: route + outcome pairs per connection, as a CTI would send them.
 * Besides the rates, each server's own CPU time over its slices (from /proc) is divided by its
 * decisions: the client shares the machine, so CPU per decision is the steadier comparison.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { Options, Request, Result } from 'autocannon';
import { otherProcessCpuMs } from '../machine.js';
import { median } from './timing.js';

/** One phase's figures. */
export interface HttpPhase {
  /** Routing decisions answered per second over all slices. */
  readonly decisionsPerSec: number;
  /** Median over slices of each slice's latency percentile (all requests of the phase), ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Worst slice's p99, ms. */
  readonly worstP99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly connections: number;
  readonly durationSec: number;
  /** The server process's CPU time over the phase's slices per decision answered, µs (undefined off Linux). */
  readonly serverCpuUsPerDecision: number | undefined;
}

/** All phases. */
export interface HttpResult {
  readonly baseline: HttpPhase;
  readonly routeOnly: HttpPhase;
  readonly withOutcomes: HttpPhase;
}

const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));
const BODY = JSON.stringify({ tenant: 'acme', callId: 'bench-call', skillGroup: 'care', priority: 'normal', intent: 'billing' });
const CONNECTIONS = 16;
const SLICE_SEC = 3;
const ROUNDS = 4;
const headers = { 'content-type': 'application/json' };

/**
 * Starts the control benchmark's server (bench/control/server.ts) in a child process with `args`
 * (`--baseline`, `--route-only`, or none) and resolves once it printed `READY <port>`.
 */
export async function startControlServer(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
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

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

function routeOnly(url: string, duration: number): Options {
  return { url: `${url}/v1/route`, method: 'POST', headers, body: BODY, connections: CONNECTIONS, duration };
}

function pairs(url: string, duration: number): Options {
  const requests: Request[] = [
    {
      method: 'POST',
      path: '/v1/route',
      headers,
      body: BODY,
      onResponse: (_status, body, context) => {
        (context as { id?: string }).id = (JSON.parse(body) as { decisionId: string }).decisionId;
      },
    },
    {
      method: 'POST',
      headers,
      body: JSON.stringify({ success: true, latencyMs: 35 }),
      setupRequest: (req, context) => ({ ...req, path: `/v1/route/${(context as { id?: string }).id}/outcome` }),
    },
  ];
  return { url, requests, connections: CONNECTIONS, duration };
}

function summarise(slices: Result[], requestsPerDecision: number, serverCpuMs: number | undefined): HttpPhase {
  const duration = slices.reduce((s, r) => s + r.duration, 0);
  const ok = slices.reduce((s, r) => s + r['2xx'], 0);
  const decisions = ok / requestsPerDecision;
  return {
    decisionsPerSec: Math.round(ok / requestsPerDecision / duration),
    p50Ms: median(slices.map((r) => r.latency.p50)),
    p99Ms: median(slices.map((r) => r.latency.p99)),
    worstP99Ms: Math.max(...slices.map((r) => r.latency.p99)),
    non2xx: slices.reduce((s, r) => s + r.non2xx, 0),
    errors: slices.reduce((s, r) => s + r.errors, 0),
    connections: CONNECTIONS,
    durationSec: Math.round(duration),
    serverCpuUsPerDecision: serverCpuMs === undefined || decisions === 0 ? undefined : Math.round((serverCpuMs * 10_000) / decisions) / 10,
  };
}

/** Runs one autocannon slice against `child`'s server, adding the server's CPU time over it to `cpu[i]`. */
async function slice(opts: Options, child: ChildProcess, cpu: (number | undefined)[], i: number): Promise<Result> {
  const before = otherProcessCpuMs(child.pid);
  const r = await autocannon(opts);
  const after = otherProcessCpuMs(child.pid);
  cpu[i] = before === undefined || after === undefined || cpu[i] === undefined ? undefined : cpu[i]! + (after - before);
  return r;
}

/** Runs every phase (about 45 s). */
export async function measureHttp(): Promise<HttpResult> {
  const servers = [await startControlServer(['--baseline']), await startControlServer(['--route-only']), await startControlServer([])];
  try {
    const [base, route, withOutcomes] = servers.map((s) => s.url) as [string, string, string];
    await autocannon(routeOnly(base, 1));
    await autocannon(routeOnly(route, 2));
    await autocannon(pairs(withOutcomes, 2));
    const slices: [Result[], Result[], Result[]] = [[], [], []];
    const cpu: (number | undefined)[] = [0, 0, 0];
    const [c0, c1, c2] = servers.map((s) => s.child) as [ChildProcess, ChildProcess, ChildProcess];
    for (let r = 0; r < ROUNDS; r++) {
      slices[0].push(await slice(routeOnly(base, SLICE_SEC), c0, cpu, 0));
      slices[1].push(await slice(routeOnly(route, SLICE_SEC), c1, cpu, 1));
      slices[2].push(await slice(pairs(withOutcomes, SLICE_SEC), c2, cpu, 2));
    }
    return {
      baseline: summarise(slices[0], 1, cpu[0]),
      routeOnly: summarise(slices[1], 1, cpu[1]),
      withOutcomes: summarise(slices[2], 2, cpu[2]),
    };
  } finally {
    await Promise.all(servers.map((s) => stopServer(s.child)));
  }
}
