import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitUntil } from './ports.js';

/** A `redis-server` started by the project on its own free port (never the shared 6379). */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Stops the server, keeping the port reserved for {@link RedisServer.start}. */
  halt(): Promise<void>;
  /**
   * Starts it again on the same port (after {@link RedisServer.halt}); its data is gone, as after a crash
   * without persistence, unless it was started with `appendOnly` (then it reloads its append-only file).
   */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open and nothing answers, as with a hung host. */
  pause(): void;
  /** Lets a paused server go on (SIGCONT). */
  resume(): void;
  /** Stops the server for good and removes its folder. */
  stop(): Promise<void>;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let buf = '';
    sock.setTimeout(1000, () => {
      sock.destroy();
      resolve(false);
    });
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) {
        sock.destroy();
        resolve(buf.startsWith('+PONG'));
      }
    });
    sock.on('error', () => resolve(false));
  });
}

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** Keep an append-only file (fsync every write), so a restart keeps the data as a deployed Redis does (default off). */
  readonly appendOnly?: boolean;
}

/**
 * Starts `redis-server` on a free 127.0.0.1 port (persistence off unless `appendOnly`) and resolves once
 * it answers PING. Throws naming what is missing when `redis-server` is not installed or does not start.
 */
export async function startRedis(o: StartRedisOptions = {}): Promise<RedisServer> {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `redis-server is needed for the integration tests but could not be run: ${probe.error?.message ?? probe.stderr} (install it: apt-get install redis-server)`,
    );
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-redis-'));
  let child: ChildProcess | undefined;
  let exited: string | undefined;
  let output = '';
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const start = async () => {
    exited = undefined;
    output = '';
    const c = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--dir',
        dir,
        '--protected-mode',
        'yes',
        ...(o.appendOnly ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child = c;
    c.stdout?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-2000)));
    c.stderr?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-2000)));
    c.on('exit', (code, signal) => {
      exited = `exit code ${code ?? ''} signal ${signal ?? ''}`;
    });
    await waitUntil(
      `redis-server on 127.0.0.1:${port}`,
      () => ping(port),
      15_000,
      () => (exited ? new Error(`redis-server exited while starting (${exited}): ${output}`) : undefined),
    );
  };
  const halt = async () => {
    const c = child;
    if (!c || exited !== undefined) return;
    const done = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    await done;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    halt,
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    async stop() {
      child?.kill('SIGCONT');
      await halt();
      process.removeListener('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Redis Sentinel started by the project, monitoring one {@link RedisServer}. */
export interface RedisSentinel {
  /** `127.0.0.1:<port>`, as `REDIS_SENTINELS` takes it. */
  readonly address: string;
  /** The master name it monitors. */
  readonly name: string;
  stop(): Promise<void>;
}

/**
 * Starts `redis-server --sentinel` on a free 127.0.0.1 port monitoring `master` under `name` (quorum 1), and
 * resolves once it answers PING. Sentinel rewrites its configuration file, so it gets one of its own in a new folder.
 */
export async function startRedisSentinel(master: Pick<RedisServer, 'port'>, name = 'sluice'): Promise<RedisSentinel> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-sentinel-'));
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
      `sentinel down-after-milliseconds ${name} 2000`,
      `sentinel failover-timeout ${name} 10000`,
      '',
    ].join('\n'),
  );
  let exited: string | undefined;
  let output = '';
  const c = spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
  c.stdout?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-2000)));
  c.stderr?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-2000)));
  c.on('exit', (code, signal) => {
    exited = `exit code ${code ?? ''} signal ${signal ?? ''}`;
  });
  const killOnExit = () => c.kill('SIGKILL');
  process.once('exit', killOnExit);
  await waitUntil(
    `redis sentinel on 127.0.0.1:${port}`,
    () => ping(port),
    15_000,
    () => (exited ? new Error(`redis sentinel exited while starting (${exited}): ${output}`) : undefined),
  );
  return {
    address: `127.0.0.1:${port}`,
    name,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (exited === undefined) {
        const done = new Promise<void>((r) => c.once('exit', () => r()));
        c.kill('SIGTERM');
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
