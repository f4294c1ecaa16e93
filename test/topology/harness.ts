/**
 * The deployed topology, as separate OS processes: pipeline workers in one consumer group, control
 * instances, workflow instances and a reporting instance (when the role exists), against this harness's
 * own Apache Kafka broker, its own redis-server (with an append-only file, so a restart keeps the data as a
 * deployed Redis does) and chDB served over ClickHouse's HTTP interface. Requests reach the instances through
 * {@link Pool}s (round robin with fail-over, as a load balancer). Every service that cannot start fails the
 * start with its reason; nothing is skipped.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaBus } from '../../adapters/bus/kafka.js';
import { callbackQueueName } from '../../app/callback-queue.js';
import { loadConfig } from '../../app/config.js';
import { SOURCES } from '../../pipelines/events/types.js';
import { deadLetterTopic, topicFor } from '../../pipelines/topics.js';
import { startClickHouseHttp } from '../../services/clickhouse-http.js';
import { startKafka, type KafkaBroker } from '../../services/kafka.js';
import { freePort, waitUntil } from '../../services/ports.js';
import { startRedis, type RedisServer } from '../../services/redis.js';
import { spawnSluice, type SluiceProcess } from '../support/process.js';
import { Pool } from './balancer.js';

export const TENANTS = ['acme', 'globex'] as const;
export type Tenant = (typeof TENANTS)[number];

/** API keys of the topology: per tenant an admin and a router key, a platform admin for ingest. */
export const KEYS = {
  platform: 'topo-platform-admin-key-000001',
  admin: { acme: 'topo-acme-admin-key-0000000001', globex: 'topo-globex-admin-key-00000001' } as Record<Tenant, string>,
  router: { acme: 'topo-acme-router-key-000000001', globex: 'topo-globex-router-key-0000001' } as Record<Tenant, string>,
  viewer: { acme: 'topo-acme-viewer-key-000000001', globex: 'topo-globex-viewer-key-0000001' } as Record<Tenant, string>,
};

const API_KEYS = [
  `${KEYS.platform}:*:admin`,
  ...TENANTS.flatMap((t) => [`${KEYS.admin[t]}:${t}:admin`, `${KEYS.router[t]}:${t}:router`, `${KEYS.viewer[t]}:${t}:viewer`]),
].join(',');

export type Role = 'pipeline' | 'control' | 'workflow' | 'reporting';

/** True when this build of Sluice has a `reporting` role (issue 16); until then the topology runs without it. */
export function hasReportingRole(): boolean {
  try {
    loadConfig({ SLUICE_OPEN: 'true', SLUICE_ROLE: 'reporting' });
    return true;
  } catch {
    return false;
  }
}

/** One Sluice process of the topology. */
export class Instance {
  proc: SluiceProcess | undefined;
  /** Wall time of the last kill -9, epoch ms. */
  killedAt: number | undefined;
  constructor(
    readonly role: Role,
    readonly name: string,
    readonly port: number,
    readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.proc?.child.pid;
  }

  /** Starts the process and waits until `/readyz` answers 200; throws with its output when it exits or does not. */
  async start(timeoutMs = 240_000): Promise<void> {
    const p = spawnSluice(['start', '--role', this.role, '--port', String(this.port)], this.env);
    this.proc = p;
    let exit: string | undefined;
    void p.exited.then((code) => (exit = `exit code ${code}`));
    await waitUntil(
      `${this.name} (${this.role}) on ${this.url}/readyz`,
      async () =>
        (
          await fetch(`${this.url}/readyz`, {
            headers: { authorization: `Bearer ${KEYS.viewer.acme}` },
            signal: AbortSignal.timeout(2_000),
          })
        ).status === 200,
      timeoutMs,
      () => (exit ? new Error(`${this.name} (${this.role}) exited while starting (${exit}):\n${p.output().slice(-4000)}`) : undefined),
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n--- ${this.name} output ---\n${p.output().slice(-4000)}`);
    });
  }

  /** kill -9: no shutdown, nothing flushed. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
    this.killedAt = Date.now();
    p.child.kill('SIGKILL');
    await p.exited;
  }

  /** SIGTERM and wait (the graceful stop), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    const p = this.proc;
    if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
    const t = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
    p.child.kill('SIGTERM');
    await p.exited;
    clearTimeout(t);
  }

  get alive(): boolean {
    const c = this.proc?.child;
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  }
}

/** What the SLA webhook received: every notification, in arrival order. */
export interface WebhookLog {
  readonly url: string;
  readonly received: { timerId: string; tenant: string; ticketId: string; kind: string; level: number; latenessMs: number; at: number }[];
  close(): Promise<void>;
}

/** The endpoint the workflow instances post SLA notifications to (`SLUICE_WEBHOOK_URL`). */
export async function startWebhook(): Promise<WebhookLog> {
  const received: WebhookLog['received'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      try {
        const n = JSON.parse(body) as {
          timerId: string;
          tenant: string;
          ticketId: string;
          kind: string;
          level: number;
          latenessMs: number;
        };
        const { timerId, tenant, ticketId, kind, level, latenessMs } = n;
        received.push({ timerId, tenant, ticketId, kind, level, latenessMs, at: Date.now() });
        res.writeHead(204).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}/sla`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * The broker on free ports; when another process took a port between the probe and the bind (other test
 * runs share the machine), tried again on new ones, up to three times. Any other failure throws at once.
 */
async function startKafkaRetryingPorts(log: (line: string) => void): Promise<KafkaBroker> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startKafka({ log, heap: '512m' });
    } catch (err) {
      if (attempt >= 3 || !/Address already in use/.test((err as Error).message)) throw err;
      log(`Kafka broker: a port was taken meanwhile, trying new ones (${attempt})`);
    }
  }
}

/** Options of {@link startTopology}. */
export interface TopologyOptions {
  /** Instances per role (defaults: 2 pipeline, 2 control, 2 workflow, 1 reporting when the role exists). */
  readonly counts?: Partial<Record<Role, number>>;
  /** Partitions per source topic (default 4: two per worker). */
  readonly partitions?: number;
  /** Extra environment for every instance. */
  readonly env?: Record<string, string>;
  readonly log?: (line: string) => void;
}

/** A running topology. */
export interface Topology {
  readonly kafka: KafkaBroker;
  readonly redis: RedisServer;
  readonly clickhouseUrl: string;
  readonly webhook: WebhookLog;
  readonly instances: readonly Instance[];
  readonly pools: Record<Role, Pool>;
  /** Environment every instance runs with (for reading the same topics and tables from the test). */
  readonly env: Readonly<Record<string, string>>;
  readonly topicPrefix: string;
  byRole(role: Role): Instance[];
  /** Stops every instance (SIGTERM), then the services. */
  stop(): Promise<void>;
}

/**
 * Starts the services, then the instances (pipeline workers first, so the consumer group forms before
 * traffic), each awaited on `/readyz`. A failure stops what started and throws with the reason.
 */
export async function startTopology(o: TopologyOptions = {}): Promise<Topology> {
  const log = o.log ?? (() => {});
  const counts: Record<Role, number> = {
    pipeline: 2,
    control: 2,
    workflow: 2,
    reporting: hasReportingRole() ? 1 : 0,
    ...o.counts,
  };
  const started: { stop(): Promise<void> }[] = [];
  const chDir = mkdtempSync(join(tmpdir(), 'sluice-topology-ch-'));
  try {
    // Side by side; when one fails, those that started are stopped before the failure is thrown.
    const settled = await Promise.allSettled([
      startKafkaRetryingPorts(log),
      startRedis({ appendOnly: true }),
      startClickHouseHttp({ dataDir: chDir }),
      startWebhook(),
    ] as const);
    for (const r of settled) if (r.status === 'fulfilled') started.push('stop' in r.value ? r.value : { stop: r.value.close });
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const [kafka, redis, clickhouse, webhook] = settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
      KafkaBroker,
      RedisServer,
      Awaited<ReturnType<typeof startClickHouseHttp>>,
      WebhookLog,
    ];
    log(`services: kafka ${kafka.brokers}, ${redis.url}, clickhouse ${clickhouse.url}`);
    const topicPrefix = `topo${process.pid}`;
    const env: Record<string, string> = {
      KAFKA_BROKERS: kafka.brokers,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      KAFKA_GROUP_ID: `${topicPrefix}-pipelines`,
      KAFKA_PARTITIONS: String(o.partitions ?? 4),
      REDIS_URL: redis.url,
      CLICKHOUSE_URL: clickhouse.url,
      CLICKHOUSE_DATABASE: 'sluice',
      SLUICE_API_KEYS: API_KEYS,
      SLUICE_TENANTS: TENANTS.join(','),
      // Calls come before the control role has seen their group's first event (a fresh deployment): tenant level.
      SLUICE_CONTROL_UNKNOWN_SKILL_GROUPS: 'tenant-level',
      SLUICE_WEBHOOK_URL: webhook.url,
      // Shared by the control instances: decision ids are signed with it, so any of them takes an outcome.
      SLUICE_DECISION_KEY: 'topology-decision-key-0123456789abcdef',
      SLUICE_INGEST_EVENTS_PER_SEC: '1000000',
      SLUICE_ROUTE_RATE_LIMIT: '100000',
      SLUICE_CONTROL_API_RATE_LIMIT: '100000',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      ...o.env,
    };
    const instances: Instance[] = [];
    for (const role of ['pipeline', 'control', 'workflow', 'reporting'] as const) {
      for (let i = 0; i < counts[role]; i++) instances.push(new Instance(role, `${role}-${i + 1}`, await freePort(), env));
    }
    const byRole = (role: Role) => instances.filter((x) => x.role === role);
    const stopInstances = async () => {
      await Promise.all(instances.map((x) => x.stop()));
    };
    started.push({ stop: stopInstances });
    // The topics first, as a deployment's provisioning does: instances creating them side by side race on
    // KRaft's metadata ("This server does not host this topic-partition" ends a start).
    const bus = new KafkaBus({ brokers: [kafka.brokers], clientId: 'topology-setup' });
    const partitions = Number(env.KAFKA_PARTITIONS);
    const cfg = loadConfig({ ...env, SLUICE_ROLE: 'all' });
    await bus.ensureTopics(
      [...SOURCES.map((src) => topicFor(src, topicPrefix)), deadLetterTopic(topicPrefix), callbackQueueName(cfg)].map((topic) => ({
        topic,
        partitions,
      })),
    );
    await bus.close();
    // Side by side: on a shared two-core machine one start (tsx, group join) can take a minute or more.
    await Promise.all(instances.map((x) => x.start()));
    log(`instances: ${instances.map((x) => `${x.name} ${x.url} pid ${x.pid}`).join(', ')}`);
    const pools = Object.fromEntries(
      (['pipeline', 'control', 'workflow', 'reporting'] as const).map((r) => {
        const p = new Pool(
          r,
          byRole(r).map((x) => x.url),
        );
        p.startHealthChecks();
        return [r, p];
      }),
    ) as Record<Role, Pool>;
    return {
      kafka,
      redis,
      clickhouseUrl: clickhouse.url,
      webhook,
      instances,
      pools,
      env,
      topicPrefix,
      byRole,
      async stop() {
        for (const p of Object.values(pools)) p.stopHealthChecks();
        for (const s of started.reverse()) await s.stop().catch(() => {});
        rmSync(chDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const s of started.reverse()) await s.stop().catch(() => {});
    rmSync(chDir, { recursive: true, force: true });
    throw err;
  }
}
