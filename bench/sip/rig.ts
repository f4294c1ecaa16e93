/**
 * The telephony edge as real processes, for the SIP integration test and `npm run bench:sip`: `sluice start
 * --role control` with API keys and its own redis-server, Kamailio 5.6 running the shipped
 * `integrations/kamailio/kamailio.cfg`, SIPp nodes standing in for `cti-primary`, `cti-backup`, the smart IVR and the
 * keypad IVR, and SIPp callers. Everything binds fixed ports on 127.0.0.1, so it runs only in a private network
 * namespace ({@link runInPrivateNetwork}: `unshare --net` with loopback alone — SIPp also binds a control socket on
 * every address). Every start fails loudly, naming what did not start and its last output.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep, waitUntil } from '../../services/ports.js';
import { type RedisServer, startRedis } from '../../services/redis.js';
import { procStatCpuMs } from '../machine.js';

const here = fileURLToPath(new URL('.', import.meta.url));
/** The repository's root. */
export const ROOT = resolve(here, '../..');
const SCENARIOS = join(here, 'scenarios');
const KAMAILIO_CFG = join(ROOT, 'integrations/kamailio/kamailio.cfg');

/** Set by {@link runInPrivateNetwork} in the namespace it creates. */
const NETNS_MARK = 'SLUICE_SIP_NETNS';

/** The tenant, its keys, and the ports inside the namespace. */
export const SIP = {
  tenant: 'acme',
  routerKey: 'sip-router-key-0123456789',
  adminKey: 'sip-admin-key-0123456789',
  /** The skill group the callers ask for (`X-Sluice-Skill-Group` in scenarios/caller.xml), declared in the policy. */
  skillGroup: 'support',
  sluicePort: 8090,
  proxyPort: 5060,
  nodes: { 'cti-primary': 5071, 'cti-backup': 5072, 'smart-ivr': 5073, 'keypad-ivr': 5074 },
} as const;

/** A node of the rig. */
export type NodeName = keyof typeof SIP.nodes;
/** How a node behaves: answers (180, 200), refuses every call with 503, or is not running (calls time out). */
export type NodeMode = 'ok' | '503' | 'stopped';

/** The tools the rig needs, each with the Debian package that brings it. */
const TOOLS: ReadonlyArray<[string, string[], string]> = [
  ['kamailio', ['-v'], 'kamailio, kamailio-utils-modules, kamailio-extra-modules'],
  ['sipp', ['-v'], 'sip-tester'],
  ['kamcmd', ['-V'], 'kamailio'],
  ['ip', ['-V'], 'iproute2'],
  ['unshare', ['--version'], 'util-linux'],
];

/** Throws naming every missing tool and its package (the SIP test must fail loudly, never skip). */
export function checkTools(): void {
  const missing = TOOLS.filter(([cmd, args]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return r.error !== undefined;
  }).map(([cmd, , pkg]) => `${cmd} (Debian: ${pkg})`);
  if (missing.length > 0) throw new Error(`the SIP rig needs ${missing.join(', ')}; .ci/run installs them`);
  for (const mod of ['http_client', 'jansson', 'mqueue', 'rtimer', 'async', 'htable', 'statistics']) {
    if (!existsSync(`/usr/lib/x86_64-linux-gnu/kamailio/modules/${mod}.so`) && !existsSync(`/usr/lib/kamailio/modules/${mod}.so`)) {
      throw new Error(
        `the Kamailio module ${mod} is missing (Debian: kamailio-utils-modules for http_client, kamailio-extra-modules for jansson)`,
      );
    }
  }
}

/**
 * Runs `script` (a TypeScript file) with `args` in a new user and network namespace holding only loopback, and
 * resolves with its exit code; its stderr and stdout are passed through. The script checks it is inside with
 * {@link assertPrivateNetwork}.
 */
export function runInPrivateNetwork(script: string, args: string[], env: Record<string, string> = {}): Promise<number | null> {
  checkTools();
  const child = spawn(
    'unshare',
    [
      '--map-root-user',
      '--net',
      '--',
      'sh',
      '-c',
      'ip link set lo up && exec "$0" "$@"',
      process.execPath,
      '--import',
      'tsx',
      script,
      ...args,
    ],
    { cwd: ROOT, env: { ...process.env, ...env, [NETNS_MARK]: '1' }, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  return new Promise((r, j) => {
    child.on('error', j);
    child.on('exit', (code) => r(code));
  });
}

/** Throws unless this process runs in the namespace {@link runInPrivateNetwork} made. */
export function assertPrivateNetwork(): void {
  if (process.env[NETNS_MARK] !== '1') throw new Error('the SIP rig binds fixed ports: run it through runInPrivateNetwork (unshare --net)');
}

/** A process of the rig with its last output, for error messages. */
interface Proc {
  readonly child: ChildProcess;
  readonly name: string;
  output(): string;
  exited(): string | undefined;
}

/** Starts `cmd`; its stdout and stderr go to `log` (the whole of it: Kamailio's timing lines are read back). */
function start(name: string, cmd: string, args: string[], log: string, opts: { env?: Record<string, string> } = {}): Proc {
  const fd = openSync(log, 'a');
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exit: string | undefined;
  child.on('error', (e) => {
    exit = `could not start: ${e.message}`;
  });
  child.on('exit', (code, signal) => {
    exit = `exit code ${code ?? ''} signal ${signal ?? ''}`;
  });
  const output = () => {
    try {
      return readFileSync(log, 'utf8');
    } catch {
      return '';
    }
  };
  return { child, name, output, exited: () => exit };
}

async function stopProc(p: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!p || p.exited() !== undefined) return;
  const done = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill(signal);
  const t = setTimeout(() => p.child.kill('SIGKILL'), 5_000);
  await done;
  clearTimeout(t);
}

/** What one SIPp caller run did. */
export interface CallerRun {
  /** SIPp's process id: its Call-IDs are `<n>-<pid>@127.0.0.1`. */
  readonly pid: number;
  readonly calls: number;
  readonly successful: number;
  readonly failed: number;
  readonly rate: number;
  readonly wallMs: number;
  /** SIPp's exit code (0: every call succeeded). */
  readonly exitCode: number | null;
}

/** Options of {@link startRig}. */
export interface RigOptions {
  /** Working folder (logs, SIPp files, Kamailio runtime). */
  readonly dir: string;
  /** Kamailio relays without asking Sluice (the fragment's SLUICE_BYPASS): the benchmark's baseline. */
  readonly bypass?: boolean;
  /** Log each route lookup and outcome post with its time in the worker (SLUICE_TIMING_LOG). */
  readonly timingLog?: boolean;
  /**
   * Send `{success, latencyMs}` (SLUICE_LEGACY_OUTCOMES), for a Sluice before the outcome kinds; `auto` asks the
   * Sluice it started which body it takes (an outcome `not-attempted` of a decision of its own).
   */
  readonly legacyOutcomes?: boolean | 'auto';
  readonly children?: number;
  readonly asyncWorkers?: number;
  /** More environment for Sluice. */
  readonly sluiceEnv?: Record<string, string>;
}

/** The running rig. */
export interface SipRig {
  readonly sluiceUrl: string;
  /** The proxy sends legacy `{success, latencyMs}` outcomes. */
  readonly legacyOutcomes: boolean;
  /** Sets a node's behaviour (restarting its SIPp on the same port). */
  setNode(node: NodeName, mode: NodeMode): Promise<void>;
  /** Runs `count` calls at `rate` calls/s through the proxy and waits for them to end. */
  call(rate: number, count: number, opts?: { maxConcurrent?: number }): Promise<CallerRun>;
  /** Which node answered each Call-ID so far (from the nodes' logs). */
  answeredBy(): Map<string, NodeName>;
  /** GET /v1/control/state of the tenant. */
  controlState(): Promise<ControlStateView>;
  /** `kamcmd` against this Kamailio. */
  kamcmd(...args: string[]): string;
  /** Kamailio's log so far. */
  proxyLog(): string;
  /** CPU used so far, ms: Kamailio (all its processes) and Sluice. */
  cpuMs(): { proxy: number; sluice: number };
  stop(): Promise<void>;
}

/** The part of `GET /v1/control/state` the tests read. */
export interface ControlStateView {
  readonly breakers: ReadonlyArray<{ id: string; state: string }>;
  readonly tenantBreakers: ReadonlyArray<{ id: string; state: string; target: string }>;
  readonly levels: ReadonlyArray<{ tenant?: string; skillGroup?: string; level: number }>;
}

/** Sum of utime + stime of `pid` and all its descendants, ms. */
export function treeCpuMs(pid: number): number {
  const parent = new Map<number, number>();
  const stats = new Map<number, string>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = readFileSync(`/proc/${e}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(e), Number(f[1]));
      stats.set(Number(e), s);
    } catch {
      // gone meanwhile
    }
  }
  const inTree = (p: number): boolean => {
    for (let q: number | undefined = p, hops = 0; q !== undefined && q > 1 && hops < 64; q = parent.get(q), hops++) {
      if (q === pid) return true;
    }
    return false;
  };
  let ms = 0;
  for (const [p, s] of stats) if (inTree(p)) ms += procStatCpuMs(s);
  return ms;
}

/** Parses SIPp's `-trace_stat` CSV (`;`-separated, a header line) into its last row by column name. */
export function lastStatRow(csv: string): Record<string, string> {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new Error(`SIPp statistics without rows: ${csv.slice(0, 200)}`);
  const head = lines[0]!.split(';');
  const row = lines[lines.length - 1]!.split(';');
  return Object.fromEntries(head.map((h, i) => [h, row[i] ?? '']));
}

/** Starts the rig (in a private network namespace). */
export async function startRig(o: RigOptions): Promise<SipRig> {
  assertPrivateNetwork();
  checkTools();
  mkdirSync(o.dir, { recursive: true });
  const procs: Proc[] = [];
  const nodes = new Map<NodeName, Proc>();
  const starts = new Map<NodeName, number>();
  let redis: RedisServer | undefined;
  let sluice: Proc | undefined;
  let kamailio: Proc | undefined;
  let callerPort = 5100;

  const startNode = async (node: NodeName, mode: Exclude<NodeMode, 'stopped'>) => {
    const n = (starts.get(node) ?? 0) + 1;
    starts.set(node, n);
    const port = SIP.nodes[node];
    const p = start(
      `sipp ${node}`,
      'sipp',
      [
        '-sf',
        join(SCENARIOS, mode === 'ok' ? 'node.xml' : 'node-503.xml'),
        '-i',
        '127.0.0.1',
        '-p',
        String(port),
        '-nostdin',
        '-trace_logs',
        '-log_file',
        join(o.dir, `node-${node}-${n}.log`),
      ],
      join(o.dir, `sipp-${node}-${n}.out`),
    );
    nodes.set(node, p);
    // SIPp is up once its UDP port is taken: a probe bind fails.
    await waitUntil(
      `SIPp ${node} on udp ${port}`,
      async () => udpPortTaken(port),
      10_000,
      () => (p.exited() ? new Error(`SIPp ${node} exited while starting (${p.exited()}): ${p.output()}`) : undefined),
    );
  };

  const stopAll = async () => {
    for (const p of [...nodes.values()]) await stopProc(p);
    await stopProc(kamailio);
    await stopProc(sluice);
    await redis?.stop();
  };

  try {
    redis = await startRedis();
    sluice = start(
      'sluice',
      process.execPath,
      ['bin/sluice.mjs', 'start', '--role', 'control', '--host', '127.0.0.1', '--port', String(SIP.sluicePort)],
      join(o.dir, 'sluice.log'),
      {
        env: {
          SLUICE_API_KEYS: `${SIP.routerKey}:${SIP.tenant}:router,${SIP.adminKey}:${SIP.tenant}:admin`,
          SLUICE_TENANTS: SIP.tenant,
          REDIS_URL: redis.url,
          SLUICE_DECISION_KEY: 'sip-rig-decision-key-0123456789abcdef',
          CHDB_PATH: join(o.dir, 'chdb'),
          LOG_LEVEL: 'warn',
          SLUICE_ROUTE_RATE_LIMIT: '100000',
          ...o.sluiceEnv,
        },
      },
    );
    procs.push(sluice);
    const sluiceUrl = `http://127.0.0.1:${SIP.sluicePort}`;
    const s = sluice;
    await waitUntil(
      'Sluice /readyz',
      async () => {
        try {
          return (await fetch(`${sluiceUrl}/readyz`, { headers: { authorization: `Bearer ${SIP.adminKey}` } })).ok;
        } catch {
          return false;
        }
      },
      // chDB's first start is slow on a loaded machine.
      180_000,
      () => (s.exited() ? new Error(`sluice exited while starting (${s.exited()}): ${s.output()}`) : undefined),
    );

    await declareSkillGroup(sluiceUrl);
    for (const node of Object.keys(SIP.nodes) as NodeName[]) await startNode(node, 'ok');
    const legacy = o.legacyOutcomes === 'auto' ? !(await takesOutcomeKinds(sluiceUrl)) : o.legacyOutcomes === true;

    const uri = (node: NodeName) => `"sip:127.0.0.1:${SIP.nodes[node]}"`;
    const defines = [
      `LISTEN=udp:127.0.0.1:${SIP.proxyPort}`,
      `SLUICE_URL="${sluiceUrl}"`,
      `SLUICE_KEY="${SIP.routerKey}"`,
      `SLUICE_TENANT="${SIP.tenant}"`,
      `CTI_PRIMARY_URI=${uri('cti-primary')}`,
      `CTI_BACKUP_URI=${uri('cti-backup')}`,
      `SMART_IVR_URI=${uri('smart-ivr')}`,
      `KEYPAD_IVR_URI=${uri('keypad-ivr')}`,
      `CTL_SOCKET="unix:${join(o.dir, 'kamailio.ctl')}"`,
      `CHILDREN=${o.children ?? 4}`,
      `ASYNC_WORKERS=${o.asyncWorkers ?? 4}`,
      ...(o.bypass ? ['SLUICE_BYPASS'] : []),
      ...(o.timingLog ? ['SLUICE_TIMING_LOG'] : []),
      ...(legacy ? ['SLUICE_LEGACY_OUTCOMES'] : []),
    ];
    const k = start(
      'kamailio',
      'kamailio',
      [
        '-f',
        KAMAILIO_CFG,
        '-m',
        '1024',
        '-DD',
        '-E',
        '-Y',
        o.dir,
        '-w',
        o.dir,
        '-P',
        join(o.dir, 'kamailio.pid'),
        ...defines.flatMap((d) => ['-A', d]),
      ],
      join(o.dir, 'kamailio.log'),
    );
    kamailio = k;
    procs.push(k);
    await waitUntil(
      'Kamailio on udp 5060',
      async () => (await udpPortTaken(SIP.proxyPort)) && existsSync(join(o.dir, 'kamailio.ctl')),
      20_000,
      () => (k.exited() ? new Error(`kamailio exited while starting (${k.exited()}): ${k.output()}`) : undefined),
    );
    // Its workers are up once kamcmd answers.
    await waitUntil('kamcmd core.version', async () => kamcmdIn(o.dir, 'core.version').status === 0, 10_000);

    return {
      sluiceUrl,
      legacyOutcomes: legacy,
      async setNode(node, mode) {
        await stopProc(nodes.get(node), 'SIGKILL');
        nodes.delete(node);
        if (mode !== 'stopped') await startNode(node, mode);
      },
      async call(rate, count, opts = {}) {
        const port = callerPort++;
        const csv = join(o.dir, `caller-${port}.csv`);
        const t0 = Date.now();
        const c = start(
          `sipp caller ${port}`,
          'sipp',
          [
            `127.0.0.1:${SIP.proxyPort}`,
            '-sf',
            join(SCENARIOS, 'caller.xml'),
            '-i',
            '127.0.0.1',
            '-p',
            String(port),
            '-r',
            String(rate),
            '-m',
            String(count),
            '-l',
            String(opts.maxConcurrent ?? Math.max(50, rate * 10)),
            '-nostdin',
            '-recv_timeout',
            '20000',
            '-trace_stat',
            '-stf',
            csv,
            '-fd',
            '1',
          ],
          join(o.dir, `caller-${port}.out`),
        );
        const code = await new Promise<number | null>((r) => {
          if (c.exited() !== undefined) r(c.child.exitCode);
          c.child.once('exit', (x) => r(x));
        });
        if (!existsSync(csv)) throw new Error(`SIPp caller wrote no statistics (${c.exited()}): ${c.output()}`);
        const row = lastStatRow(readFileSync(csv, 'utf8'));
        return {
          pid: c.child.pid ?? -1,
          calls: count,
          successful: Number(row['SuccessfulCall(C)']),
          failed: Number(row['FailedCall(C)']),
          rate,
          wallMs: Date.now() - t0,
          exitCode: code,
        };
      },
      answeredBy() {
        const by = new Map<string, NodeName>();
        for (const f of readdirSync(o.dir)) {
          const m = /^node-(.+)-\d+\.log$/.exec(f);
          if (!m) continue;
          for (const line of readFileSync(join(o.dir, f), 'utf8').split('\n')) {
            const a = /^answered (\S+)/.exec(line.trim());
            if (a) by.set(a[1]!, m[1] as NodeName);
          }
        }
        return by;
      },
      async controlState() {
        const r = await fetch(`${sluiceUrl}/v1/control/state`, { headers: { authorization: `Bearer ${SIP.adminKey}` } });
        if (!r.ok) throw new Error(`GET /v1/control/state answered ${r.status}: ${await r.text()}`);
        return (await r.json()) as ControlStateView;
      },
      kamcmd(...args) {
        const r = kamcmdIn(o.dir, ...args);
        if (r.status !== 0) throw new Error(`kamcmd ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
        return r.stdout;
      },
      proxyLog: () => k.output(),
      cpuMs: () => ({ proxy: treeCpuMs(k.child.pid ?? -1), sluice: treeCpuMs(s.child.pid ?? -1) }),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * Declares the callers' skill group in the tenant's policy (`skillGroups`): no events feed this Sluice, and a Sluice
 * that refuses unknown skill groups would answer every lookup 422 (the proxy then takes its local fallback). A Sluice
 * whose policy has no `skillGroups` (400 naming it) routes unknown groups at the tenant's level anyway.
 */
async function declareSkillGroup(url: string): Promise<void> {
  const headers = { authorization: `Bearer ${SIP.adminKey}`, 'content-type': 'application/json' };
  const g = await fetch(`${url}/v1/control/policy`, { headers });
  if (!g.ok) throw new Error(`GET /v1/control/policy answered ${g.status}: ${await g.text()}`);
  const { effective } = (await g.json()) as { effective: Record<string, unknown> };
  const p = await fetch(`${url}/v1/control/policy`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ policy: { ...effective, skillGroups: [SIP.skillGroup] } }),
  });
  if (p.ok) return;
  const text = await p.text();
  if (p.status === 400 && text.includes('skillGroups')) return;
  throw new Error(`PUT /v1/control/policy answered ${p.status}: ${text}`);
}

/** Whether this Sluice takes `{outcome: kind}` bodies: routes one call of its own and reports it `not-attempted`. */
async function takesOutcomeKinds(url: string): Promise<boolean> {
  const headers = { authorization: `Bearer ${SIP.routerKey}`, 'content-type': 'application/json' };
  const r = await fetch(`${url}/v1/route`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ tenant: SIP.tenant, callId: 'rig-contract-probe', skillGroup: SIP.skillGroup, priority: 'normal' }),
  });
  if (!r.ok) throw new Error(`POST /v1/route answered ${r.status}: ${await r.text()}`);
  const { decisionId } = (await r.json()) as { decisionId: string };
  const o = await fetch(`${url}/v1/route/${encodeURIComponent(decisionId)}/outcome`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ outcome: 'not-attempted' }),
  });
  if (o.status === 204) return true;
  if (o.status !== 400) throw new Error(`POST /v1/route/{id}/outcome answered ${o.status}: ${await o.text()}`);
  // Release the probe's slot the old way.
  await fetch(`${url}/v1/route/${encodeURIComponent(decisionId)}/outcome`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ success: true, latencyMs: 0 }),
  });
  return false;
}

function kamcmdIn(dir: string, ...args: string[]) {
  return spawnSync('kamcmd', ['-s', `unix:${join(dir, 'kamailio.ctl')}`, ...args], { encoding: 'utf8', timeout: 5_000 });
}

/** True when a UDP bind on 127.0.0.1:`port` fails with EADDRINUSE (someone listens there). */
async function udpPortTaken(port: number): Promise<boolean> {
  const { createSocket } = await import('node:dgram');
  return new Promise((r) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      r(true);
    });
    s.bind(port, '127.0.0.1', () => {
      s.close();
      r(false);
    });
  });
}

export { sleep };
