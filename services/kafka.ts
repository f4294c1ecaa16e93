import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { freePort, waitUntil } from './ports.js';

/**
 * The Apache Kafka version Sluice tests and benchmarks against. kafkajs 2.2.4 was checked against it
 * (produce, consume in a group, commit): see README "Kafka version".
 */
export const KAFKA_VERSION = '4.1.1';

const here = dirname(fileURLToPath(import.meta.url));
const pom = join(here, 'kafka', 'pom.xml');
const log4jConfig = join(here, 'kafka', 'log4j2.properties');

/** A running single-node KRaft broker. */
export interface KafkaBroker {
  /** Bootstrap address, `127.0.0.1:<port>`. */
  readonly brokers: string;
  /** The SASL_PLAINTEXT listener's address, when started with {@link StartKafkaOptions.sasl}. */
  readonly saslBrokers?: string;
  /** The SASL_SSL listener's address, when started with {@link StartKafkaOptions.sasl} and {@link StartKafkaOptions.tls}. */
  readonly saslSslBrokers?: string;
  /** Folder holding the broker's config, data and `server.log`. */
  readonly dir: string;
  /** The broker's process id (benchmarks read its CPU time). */
  readonly pid: number | undefined;
  /** Stops the broker (SIGTERM, then SIGKILL after `graceMs`) and deletes its folder. */
  stop(graceMs?: number): Promise<void>;
  /** Stops the broker (SIGTERM, then SIGKILL after `graceMs`), keeping its folder, data and ports for {@link KafkaBroker.start}. */
  halt(graceMs?: number): Promise<void>;
  /** Starts it again after {@link KafkaBroker.halt}, on the same ports with the same data (a broker restart). */
  start(): Promise<void>;
}

/** Where fetched jars are cached between runs (`SLUICE_CACHE_DIR`, default `~/.cache/sluice`). */
export function cacheDir(): string {
  return resolve(process.env.SLUICE_CACHE_DIR ?? join(homedir(), '.cache', 'sluice'));
}

function requireTool(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`${what} is needed to run the Kafka broker but \`${cmd} ${args.join(' ')}\` failed: ${r.error?.message ?? r.stderr}`);
  }
}

/**
 * Makes sure the broker jars for `version` are in the cache, fetching them from Maven Central with
 * `mvn dependency:copy-dependencies` the first time. Returns the folder holding the jars.
 */
export function ensureKafkaJars(version = KAFKA_VERSION, log: (line: string) => void = () => {}): string {
  const home = join(cacheDir(), `kafka-${version}`);
  const libs = join(home, 'libs');
  if (existsSync(join(libs, '.complete'))) return libs;
  requireTool('java', ['-version'], 'Java 17+');
  requireTool('mvn', ['--version'], 'Apache Maven');
  mkdirSync(home, { recursive: true });
  const staging = join(home, `libs.${process.pid}.tmp`);
  rmSync(staging, { recursive: true, force: true });
  log(`fetching Apache Kafka ${version} broker jars from Maven Central into ${libs} (once)`);
  const r = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      pom,
      'dependency:copy-dependencies',
      `-Dkafka.version=${version}`,
      `-DoutputDirectory=${staging}`,
      '-DincludeScope=runtime',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (r.status !== 0) {
    throw new Error(`mvn could not fetch Apache Kafka ${version} (exit ${r.status}): ${(r.stdout + r.stderr).slice(-2000)}`);
  }
  writeFileSync(join(staging, '.complete'), new Date().toISOString());
  rmSync(libs, { recursive: true, force: true });
  renameSync(staging, libs);
  return libs;
}

/** Extra listeners of a broker started with SASL (and TLS). */
interface SecureListeners {
  readonly saslPort: number;
  readonly saslSslPort: number | undefined;
  readonly users: readonly KafkaUser[];
  readonly tls: StartKafkaOptions['tls'];
}

/** The SASL mechanisms a secured test broker offers: every one kafkajs (and so Sluice) supports with a password. */
const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

function secureProperties(l: SecureListeners): string[] {
  const jaas = (mechanism: string) =>
    mechanism === 'PLAIN'
      ? `org.apache.kafka.common.security.plain.PlainLoginModule required ${l.users.map((u) => `user_${u.username}="${u.password}"`).join(' ')};`
      : 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  const names = ['sasl_plaintext', ...(l.saslSslPort === undefined ? [] : ['sasl_ssl'])];
  return [
    `sasl.enabled.mechanisms=${SASL_MECHANISMS.join(',')}`,
    ...names.flatMap((n) => SASL_MECHANISMS.map((m) => `listener.name.${n}.${m.toLowerCase()}.sasl.jaas.config=${jaas(m)}`)),
    ...(l.tls
      ? [
          'listener.name.sasl_ssl.ssl.keystore.type=PEM',
          `listener.name.sasl_ssl.ssl.keystore.location=${l.tls.keystoreFile}`,
          'listener.name.sasl_ssl.ssl.client.auth=none',
        ]
      : []),
  ];
}

function serverProperties(port: number, controllerPort: number, dataDir: string, secure?: SecureListeners): string {
  const extra = secure
    ? [
        `SASL_PLAINTEXT://127.0.0.1:${secure.saslPort}`,
        ...(secure.saslSslPort === undefined ? [] : [`SASL_SSL://127.0.0.1:${secure.saslSslPort}`]),
      ]
    : [];
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=${[`PLAINTEXT://127.0.0.1:${port}`, `CONTROLLER://127.0.0.1:${controllerPort}`, ...extra].join(',')}`,
    `advertised.listeners=${[`PLAINTEXT://127.0.0.1:${port}`, ...extra].join(',')}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${secure ? ',SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL' : ''}`,
    ...(secure ? secureProperties(secure) : []),
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'log.flush.interval.messages=9223372036854775807',
    '',
  ].join('\n');
}

/** Options for {@link startKafka}. */
export interface StartKafkaOptions {
  version?: string;
  /** JVM heap, e.g. `512m`. */
  heap?: string;
  /** How long to wait for the broker to answer, ms. */
  startTimeoutMs?: number;
  log?: (line: string) => void;
  /**
   * Also listen with SASL on a SASL_PLAINTEXT listener (and a SASL_SSL one with `tls`), offering PLAIN,
   * SCRAM-SHA-256 and SCRAM-SHA-512 to these users (SCRAM credentials are written when the storage is formatted).
   */
  sasl?: { users: readonly KafkaUser[] };
  /** The SASL_SSL listener's key and certificate chain: one PEM file, PKCS#8 key first (Kafka's PEM keystore). */
  tls?: { keystoreFile: string };
}

/** A SASL user of a test broker. */
export interface KafkaUser {
  readonly username: string;
  readonly password: string;
}

/**
 * A new KRaft cluster id: 16 random bytes in base64url, as Kafka's own `Uuid.randomUuid()` makes them,
 * and like it never starting with `-`: the storage tool would read such an id as an option and refuse
 * to format (one start in 64 failed so before).
 */
export function kraftClusterId(bytes: (n: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = bytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * Starts one KRaft broker (combined broker + controller) on free 127.0.0.1 ports with its storage in
 * a new temporary folder, and resolves once a Kafka client gets cluster metadata from it. Throws with
 * the tail of the broker log when it exits or does not answer in time.
 */
export async function startKafka(opts: StartKafkaOptions = {}): Promise<KafkaBroker> {
  const version = opts.version ?? KAFKA_VERSION;
  const libs = ensureKafkaJars(version, opts.log);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-kafka-'));
  const port = await freePort();
  let controllerPort = await freePort();
  while (controllerPort === port) controllerPort = await freePort();
  const props = join(dir, 'server.properties');
  const taken = new Set([port, controllerPort]);
  const another = async () => {
    let p = await freePort();
    while (taken.has(p)) p = await freePort();
    taken.add(p);
    return p;
  };
  const secure: SecureListeners | undefined = opts.sasl
    ? { saslPort: await another(), saslSslPort: opts.tls ? await another() : undefined, users: opts.sasl.users, tls: opts.tls }
    : undefined;
  writeFileSync(props, serverProperties(port, controllerPort, join(dir, 'data'), secure));
  const scram = (secure?.users ?? []).flatMap((u) =>
    ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${u.username},password=${u.password}]`]),
  );
  const classpath = `${libs}/*`;
  const clusterId = kraftClusterId();
  const jvm = [
    `-Xms128m`,
    `-Xmx${opts.heap ?? '768m'}`,
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    `-Dlog4j2.configurationFile=${log4jConfig}`,
    `-Dkafka.logs.dir=${dir}`,
  ];
  const fmt = spawnSync('java', [...jvm, '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props, ...scram], {
    encoding: 'utf8',
  });
  if (fmt.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`formatting KRaft storage failed (exit ${fmt.status}): ${(fmt.stdout + fmt.stderr).slice(-2000)}`);
  }
  let child: ChildProcess | undefined;
  let stderr = '';
  let exited: string | undefined;
  const launch = () => {
    exited = undefined;
    const c: ChildProcess = spawn('java', [...jvm, '-cp', classpath, 'kafka.Kafka', props], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    c.stderr?.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-4000);
    });
    c.on('exit', (code, signal) => {
      exited = `exit code ${code ?? ''} signal ${signal ?? ''}`;
    });
  };
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);
  const brokers = `127.0.0.1:${port}`;
  const logTail = () => {
    const f = join(dir, 'server.log');
    return (existsSync(f) ? readFileSync(f, 'utf8').slice(-2000) : '') + stderr;
  };
  const halt = async (graceMs = 10_000) => {
    const c = child;
    if (c && exited === undefined) {
      const done = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
      await done;
      clearTimeout(timer);
    }
  };
  const stop = async (graceMs = 10_000) => {
    process.removeListener('exit', killOnExit);
    await halt(graceMs);
    rmSync(dir, { recursive: true, force: true });
  };
  const answer = async () => {
    const admin = new Kafka({
      clientId: 'sluice-kafka-probe',
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin();
    try {
      await waitUntil(
        `Apache Kafka ${version} on ${brokers}`,
        async () => {
          await admin.connect();
          const c = await admin.describeCluster();
          return c.brokers.length > 0;
        },
        opts.startTimeoutMs ?? 90_000,
        () => (exited ? new Error(`the Kafka broker exited while starting (${exited}): ${logTail()}`) : undefined),
      );
    } finally {
      await admin.disconnect().catch(() => {});
    }
  };
  launch();
  try {
    await answer();
  } catch (err) {
    await stop(2_000);
    throw err instanceof Error ? new Error(`${err.message}\n${logTail()}`) : err;
  }
  opts.log?.(`Apache Kafka ${version} (KRaft) listening on ${brokers}`);
  return {
    brokers,
    ...(secure ? { saslBrokers: `127.0.0.1:${secure.saslPort}` } : {}),
    ...(secure?.saslSslPort === undefined ? {} : { saslSslBrokers: `127.0.0.1:${secure.saslSslPort}` }),
    dir,
    get pid() {
      return child?.pid;
    },
    stop,
    halt,
    async start() {
      if (exited === undefined) return;
      launch();
      await answer();
    },
  };
}
