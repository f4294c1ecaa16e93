import { Ajv } from 'ajv';
import { accessSync, constants as fsConstants } from 'node:fs';
import { hostname } from 'node:os';
import { DEFAULT_PARTITIONS_CONCURRENTLY, KAFKA_SASL_MECHANISMS } from '../adapters/bus/kafka.js';
import { sentinelUrl } from '../adapters/redis/connect.js';
import { DEFAULT_RATE_LIMITS } from '../control/http/rate-limit.js';
import { PLATFORM_TENANT, type Principal } from '../core/access.js';
import { redactUrl } from '../adapters/redact.js';
import { parseApiKeys } from './api-keys.js';
import { appError } from './errors.js';
import { ALERT_ENV_SCHEMA, type AlertConfig, alertSummary, loadAlertConfig } from './alert-config.js';
import { OIDC_ENV_SCHEMA, oidcConfigOf, type OidcConfig } from './oidc-config.js';
import { DEFAULT_SERVICE_LEVEL, SERVICE_LEVEL_VARIANTS, serviceLevelSettings, type ServiceLevelSettings } from './service-level.js';

export { parseApiKeys, principalsOf, type ApiKeyEntry } from './api-keys.js';

/** Every process role (`SLUICE_ROLE`, `--role`), `all` first; what each serves is in `app/process-roles.ts`. */
export const PROCESS_ROLES = Object.freeze(['all', 'pipeline', 'control', 'workflow', 'reporting'] as const);

/** Which parts run in this process (`--role`). */
export type ProcessRole = (typeof PROCESS_ROLES)[number];

/** Validated, frozen configuration. Every field comes from one environment variable (README, "Configuration"). */
export interface Config {
  host: string;
  port: number;
  role: ProcessRole;
  logLevel: string;
  bodyLimitBytes: number;
  /** Deepest nesting of arrays and objects a JSON body may have. */
  jsonMaxDepth: number;
  /** Open TCP connections the server holds at most (HTTP and WebSocket); beyond, new ones are dropped. */
  maxConnections: number;
  /** ms a client has to send a whole request (headers and body). */
  requestTimeoutMs: number;
  /** ms a client has to send a request's headers. */
  headersTimeoutMs: number;
  /** ms an idle keep-alive connection is kept open. */
  keepAliveTimeoutMs: number;
  /** `GET /v1/stream` connections one API key may hold at once. */
  streamMaxPerKey: number;
  /** `GET /v1/stream` connections the server holds at once. */
  streamMaxConnections: number;
  /** Frames (messages, pings, pongs) a stream client may send per minute before it is closed. */
  streamMessagesPerMinute: number;
  shutdownTimeoutMs: number;
  /** In-process bus only: most events accepted by ingest and not yet stored (the ceiling of the admission bound). */
  ingestMaxPending: number;
  /** In-process bus only: part of the admission bound one tenant may fill. */
  ingestTenantShare: number;
  /** Events per second one API key may send to `POST /v1/events`. */
  ingestEventsPerSec: number;
  /** Open demo mode: requests without a key act as platform admin. Only `sluice demo` sets it. */
  open: boolean;
  apiKeys: Map<string, Principal>;
  /** OpenID providers whose bearer tokens sign people in (`SLUICE_OIDC_*`); none: API keys only. */
  oidc: OidcConfig;
  kafkaBrokers: string[] | null;
  kafkaTopicPrefix: string;
  kafkaGroupId: string;
  kafkaPartitions: number;
  /** Partitions whose batches a pipeline worker handles side by side (kafkajs `partitionsConsumedConcurrently`). */
  kafkaPartitionsConcurrently: number;
  /** Replication factor of the topics Sluice creates; -1 = the brokers' `default.replication.factor`. */
  kafkaReplicationFactor: number;
  /** Kafka `client.id` (default `sluice-<role>-<host>`): how brokers' logs, quotas and metrics name this process. */
  kafkaClientId: string;
  /** TLS to the brokers (also when a CA, certificate or key file is set). */
  kafkaSsl: boolean;
  /** PEM files for TLS to the brokers: a private CA, and a client certificate and key for mutual TLS. */
  kafkaSslCaFile: string | undefined;
  kafkaSslCertFile: string | undefined;
  kafkaSslKeyFile: string | undefined;
  /** SASL mechanism (`plain`, `scram-sha-256`, `scram-sha-512`), with its user name and password. */
  kafkaSaslMechanism: (typeof KAFKA_SASL_MECHANISMS)[number] | undefined;
  kafkaSaslUsername: string | undefined;
  kafkaSaslPassword: string | undefined;
  /**
   * Where Redis is: `REDIS_URL`, or with `REDIS_SENTINELS` a Sentinel URL (`adapters/redis/connect.ts`,
   * `sentinelUrl`) that every Redis client Sluice creates follows to the current master.
   */
  redisUrl: string | null;
  /** ms between two writes of a pipeline worker's real-time state to Redis (shared view, roles split). */
  realtimePublishMs: number;
  /** ms a worker's real-time state stays in the shared view after its last write (a dead worker's bound). */
  realtimeStaleMs: number;
  clickhouseUrl: string | null;
  clickhouseUser: string | undefined;
  clickhousePassword: string | undefined;
  clickhouseDatabase: string;
  clickhouseCluster: string | undefined;
  chdbPath: string;
  ttlDays: number;
  outOfOrdernessMs: number;
  allowedLatenessMs: number;
  /** The deployment's default service-level threshold T, ms (`serviceLevels.default.thresholdMs`). */
  serviceLevelMs: number;
  /** Each tenant's one service-level definition: variant, threshold, objective (`app/service-level.ts`). */
  serviceLevels: ServiceLevelSettings;
  /** Length of the agent/extension interval windows, minutes. */
  intervalMinutes: 15 | 30;
  shortAbandonMs: number;
  /** Tenants this deployment serves: the shipped workflow flows are deployed for each. */
  tenants: string[];
  /** Where SLA notifications without a channel plugin of their own (SMS, phone, …) are posted. */
  webhookUrl: string | undefined;
  simulator: boolean;
  /** Simulated calls per hour per tenant. */
  simCallsPerHour: number;
  simTenants: string[];
  /** Set by `sluice demo` (`SLUICE_DEMO`): the scripted control traffic, the short-SLA flow, chDB over HTTP. Never in `sluice start`. */
  demo: boolean;
  /** The demo's scripted CTI trouble: first at (after start), then every, each lasting, ms. */
  simCtiFailure: { atMs: number; everyMs: number; forMs: number };
  /** The demo's short-SLA flow: first warning after this, breach at twice it, ms. */
  simSlaWarningMs: number;
  /** Where the demo serves its chDB over ClickHouse's HTTP interface (read-only; port 0 = any free one, -1 = not served). */
  demoClickhouseHost: string;
  demoClickhousePort: number;
  demoClickhouseUser: string;
  /** Its key (the ClickHouse password); undefined: a random one per start, printed in the banner. */
  demoClickhouseKey: string | undefined;
  /** Distinct names a tenant may have in a pipeline worker; an event bringing a new one past it is dead-lettered. */
  cardinalityLimits: { skillGroup: number; agent: number; extension: number };
  /** A name with no event for this long leaves the per-tenant count and the real-time state, ms. */
  nameIdleMs: number;
  /** Distinct values an input-driven metric label keeps per tenant; the rest are `_other`. */
  metricLabelValues: number;
  /** Requests per second per API key on `POST /v1/route`, and apart on outcomes. */
  routeRateLimit: number;
  /** Requests per second per API key on the other control routes. */
  controlApiRateLimit: number;
  /** Decisions of one tenant awaiting an outcome, at most. */
  controlPendingPerTenant: number;
  /** How long a routing decision holds its concurrency slot awaiting its outcome, ms (then it is "unknown"). */
  controlOutcomeTimeoutMs: number;
  /** What a route naming an unknown skill group gets where the tenant's policy says nothing. */
  controlUnknownSkillGroups: 'refuse' | 'tenant-level';
  /** Skill groups one tenant tracks in the control loop, at most. */
  controlMaxSkillGroups: number;
  /** A skill group unseen this long (at L0, without a pin) leaves the control loop, ms. */
  controlScopeIdleMs: number;
  /** Tenants whose own breakers must be open to open a shared (fleet) breaker. */
  controlBreakerQuorum: number;
  /** How long a trunk utilisation report counts, ms. */
  controlTrunkTtlMs: number;
  /** Most trunks one tenant may have reporting at once. */
  controlMaxTrunks: number;
  /** Longest one readiness check may take before it counts as failed, ms: every probe answers within it. */
  healthCheckTimeoutMs: number;
  /** Secret the control instances share to sign decision ids, so any of them takes an outcome (unset: random per process). */
  decisionKey: string | undefined;
  /** Alert channels, languages and delivery tuning (`SLUICE_ALERT_*`, `app/alert-config.ts`). */
  alerts: AlertConfig;
}

/**
 * Defaults of the server's limits: far above what a real contact center sends (a few hundred
 * requests a second, tens of wall screens a tenant), low enough that one client cannot take the
 * server's memory or connections.
 */
export const LIMIT_DEFAULTS: Readonly<
  Pick<
    Config,
    | 'jsonMaxDepth'
    | 'maxConnections'
    | 'requestTimeoutMs'
    | 'headersTimeoutMs'
    | 'keepAliveTimeoutMs'
    | 'streamMaxPerKey'
    | 'streamMaxConnections'
    | 'streamMessagesPerMinute'
  >
> = Object.freeze({
  jsonMaxDepth: 64,
  maxConnections: 10_000,
  requestTimeoutMs: 60_000,
  headersTimeoutMs: 20_000,
  keepAliveTimeoutMs: 72_000,
  streamMaxPerKey: 64,
  streamMaxConnections: 4096,
  streamMessagesPerMinute: 120,
});

const ENV_SCHEMA = {
  type: 'object',
  properties: {
    HOST: { type: 'string', default: '127.0.0.1' },
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
    SLUICE_ROLE: { enum: PROCESS_ROLES, default: 'all' },
    LOG_LEVEL: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    SLUICE_BODY_LIMIT_BYTES: { type: 'integer', minimum: 1024, maximum: 104857600, default: 1048576 },
    SLUICE_HEALTH_CHECK_TIMEOUT_MS: { type: 'integer', minimum: 50, maximum: 30000, default: 1000 },
    SLUICE_SHUTDOWN_TIMEOUT_MS: { type: 'integer', minimum: 100, maximum: 600000, default: 8000 },
    SLUICE_JSON_MAX_DEPTH: { type: 'integer', minimum: 8, maximum: 10000, default: LIMIT_DEFAULTS.jsonMaxDepth },
    SLUICE_MAX_CONNECTIONS: { type: 'integer', minimum: 16, maximum: 1000000, default: LIMIT_DEFAULTS.maxConnections },
    SLUICE_REQUEST_TIMEOUT_MS: { type: 'integer', minimum: 1000, maximum: 3600000, default: LIMIT_DEFAULTS.requestTimeoutMs },
    SLUICE_HEADERS_TIMEOUT_MS: { type: 'integer', minimum: 1000, maximum: 3600000, default: LIMIT_DEFAULTS.headersTimeoutMs },
    SLUICE_KEEP_ALIVE_TIMEOUT_MS: { type: 'integer', minimum: 1000, maximum: 3600000, default: LIMIT_DEFAULTS.keepAliveTimeoutMs },
    SLUICE_STREAM_MAX_PER_KEY: { type: 'integer', minimum: 1, maximum: 1000000, default: LIMIT_DEFAULTS.streamMaxPerKey },
    SLUICE_STREAM_MAX_CONNECTIONS: { type: 'integer', minimum: 1, maximum: 1000000, default: LIMIT_DEFAULTS.streamMaxConnections },
    SLUICE_STREAM_MESSAGES_PER_MINUTE: { type: 'integer', minimum: 1, maximum: 1000000, default: LIMIT_DEFAULTS.streamMessagesPerMinute },
    SLUICE_INGEST_MAX_PENDING: { type: 'integer', minimum: 100, maximum: 10000000, default: 100000 },
    SLUICE_INGEST_TENANT_SHARE: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.5 },
    // At least one request's worth (5000 events), or a full request could never pass.
    SLUICE_INGEST_EVENTS_PER_SEC: { type: 'integer', minimum: 5000, maximum: 10000000, default: 10000 },
    SLUICE_OPEN: { type: 'boolean', default: false },
    SLUICE_API_KEYS: { type: 'string', default: '' },
    SLUICE_API_KEYS_FILE: { type: 'string', default: '' },
    ...OIDC_ENV_SCHEMA,
    KAFKA_BROKERS: { type: 'string', default: '' },
    KAFKA_TOPIC_PREFIX: { type: 'string', pattern: '^[A-Za-z0-9._-]+$', default: 'sluice' },
    KAFKA_GROUP_ID: { type: 'string', minLength: 1, default: 'sluice-pipelines' },
    KAFKA_PARTITIONS: { type: 'integer', minimum: 1, maximum: 1024, default: 6 },
    KAFKA_PARTITIONS_CONCURRENTLY: { type: 'integer', minimum: 1, maximum: 1024, default: DEFAULT_PARTITIONS_CONCURRENTLY },
    KAFKA_REPLICATION_FACTOR: { type: 'integer', minimum: 1, maximum: 32767 },
    KAFKA_CLIENT_ID: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,200}$' },
    KAFKA_SSL: { type: 'boolean', default: false },
    KAFKA_SSL_CA_FILE: { type: 'string' },
    KAFKA_SSL_CERT_FILE: { type: 'string' },
    KAFKA_SSL_KEY_FILE: { type: 'string' },
    KAFKA_SASL_MECHANISM: { enum: KAFKA_SASL_MECHANISMS },
    KAFKA_SASL_USERNAME: { type: 'string', minLength: 1 },
    KAFKA_SASL_PASSWORD: { type: 'string', minLength: 1 },
    REDIS_URL: { type: 'string', pattern: '^$|^rediss?://', default: '' },
    REDIS_SENTINELS: { type: 'string', pattern: '^[^,\\s]+(,[^,\\s]+)*$' },
    REDIS_SENTINEL_NAME: { type: 'string', pattern: '^[A-Za-z0-9._-]+$' },
    REDIS_SENTINEL_PASSWORD: { type: 'string', minLength: 1 },
    SLUICE_REALTIME_PUBLISH_MS: { type: 'integer', minimum: 100, maximum: 60000, default: 1000 },
    SLUICE_REALTIME_STALE_MS: { type: 'integer', minimum: 200, maximum: 600000, default: 5000 },
    CLICKHOUSE_URL: { type: 'string', pattern: '^$|^https?://', default: '' },
    CLICKHOUSE_USER: { type: 'string' },
    CLICKHOUSE_PASSWORD: { type: 'string' },
    CLICKHOUSE_DATABASE: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', default: 'sluice' },
    CLICKHOUSE_CLUSTER: { type: 'string', pattern: '^[A-Za-z0-9_.-]*$' },
    CHDB_PATH: { type: 'string', minLength: 1, default: './data/chdb' },
    CLICKHOUSE_TTL_DAYS: { type: 'integer', minimum: 1, maximum: 36500, default: 90 },
    SLUICE_OUT_OF_ORDERNESS_MS: { type: 'integer', minimum: 0, maximum: 3600000, default: 5000 },
    SLUICE_ALLOWED_LATENESS_MS: { type: 'integer', minimum: 0, maximum: 86400000, default: 600000 },
    SLUICE_INTERVAL_MINUTES: { type: 'integer', enum: [15, 30], default: 15 },
    SLUICE_SERVICE_LEVEL_MS: { type: 'integer', minimum: 1, maximum: 3600000, default: DEFAULT_SERVICE_LEVEL.thresholdMs },
    SLUICE_SERVICE_LEVEL_VARIANT: { enum: SERVICE_LEVEL_VARIANTS, default: DEFAULT_SERVICE_LEVEL.variant },
    SLUICE_SERVICE_LEVEL_OBJECTIVE: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: DEFAULT_SERVICE_LEVEL.objective },
    SLUICE_SERVICE_LEVEL_TENANTS: { type: 'string', default: '' },
    SLUICE_SHORT_ABANDON_MS: { type: 'integer', minimum: 0, maximum: 3600000, default: 5000 },
    SLUICE_TENANTS: { type: 'string', pattern: '^[a-z0-9][a-z0-9_,-]*$' },
    SLUICE_WEBHOOK_URL: { type: 'string', pattern: '^$|^https?://', default: '' },
    SLUICE_SIMULATOR: { type: 'boolean', default: false },
    SIM_CALLS_PER_HOUR: { type: 'number', minimum: 0, maximum: 1000000, default: 1200 },
    SIM_TENANTS: { type: 'string', default: 'demo' },
    SLUICE_DEMO: { type: 'boolean', default: false },
    SIM_CTI_FAILURE_AT_MS: { type: 'integer', minimum: 0, maximum: 86400000, default: 60000 },
    SIM_CTI_FAILURE_EVERY_MS: { type: 'integer', minimum: 1000, maximum: 86400000, default: 600000 },
    SIM_CTI_FAILURE_MS: { type: 'integer', minimum: 0, maximum: 86400000, default: 60000 },
    SIM_SLA_WARNING_MS: { type: 'integer', minimum: 1000, maximum: 86400000, default: 90000 },
    SLUICE_DEMO_CLICKHOUSE_HOST: { type: 'string', minLength: 1, default: '127.0.0.1' },
    SLUICE_DEMO_CLICKHOUSE_PORT: { type: 'integer', minimum: -1, maximum: 65535, default: 8124 },
    SLUICE_DEMO_CLICKHOUSE_USER: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', default: 'sluice' },
    SLUICE_DEMO_CLICKHOUSE_KEY: { type: 'string', minLength: 16, maxLength: 256 },
    SLUICE_MAX_SKILL_GROUPS_PER_TENANT: { type: 'integer', minimum: 1, maximum: 1000000, default: 1000 },
    SLUICE_MAX_AGENTS_PER_TENANT: { type: 'integer', minimum: 1, maximum: 1000000, default: 20000 },
    SLUICE_MAX_EXTENSIONS_PER_TENANT: { type: 'integer', minimum: 1, maximum: 1000000, default: 20000 },
    // At least an hour: a skill group's 60-minute sliding figures go on arriving for an hour after its last event.
    SLUICE_NAME_IDLE_MS: { type: 'integer', minimum: 3600000, maximum: 2592000000, default: 86400000 },
    SLUICE_METRIC_LABEL_VALUES: { type: 'integer', minimum: 1, maximum: 100000, default: 1000 },
    SLUICE_ROUTE_RATE_LIMIT: { type: 'integer', minimum: 1, maximum: 1000000, default: DEFAULT_RATE_LIMITS.routePerSec },
    SLUICE_CONTROL_API_RATE_LIMIT: { type: 'integer', minimum: 1, maximum: 1000000, default: 100 },
    SLUICE_CONTROL_PENDING_PER_TENANT: { type: 'integer', minimum: 1, maximum: 10000000, default: 25000 },
    SLUICE_CONTROL_OUTCOME_TIMEOUT_MS: { type: 'integer', minimum: 1000, maximum: 60000, default: 10000 },
    SLUICE_CONTROL_UNKNOWN_SKILL_GROUPS: { type: 'string', enum: ['refuse', 'tenant-level'], default: 'refuse' },
    SLUICE_CONTROL_MAX_SKILL_GROUPS: { type: 'integer', minimum: 1, maximum: 1000000, default: 5000 },
    SLUICE_CONTROL_SCOPE_IDLE_MS: { type: 'integer', minimum: 1000, maximum: 604800000, default: 600000 },
    SLUICE_CONTROL_BREAKER_QUORUM: { type: 'integer', minimum: 1, maximum: 1000, default: 2 },
    SLUICE_CONTROL_TRUNK_TTL_MS: { type: 'integer', minimum: 1000, maximum: 3600000, default: 60000 },
    SLUICE_CONTROL_MAX_TRUNKS: { type: 'integer', minimum: 1, maximum: 10000, default: 64 },
    SLUICE_DECISION_KEY: { type: 'string', minLength: 32, maxLength: 1024 },
  },
} as const;

const validateEnv = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: false, strict: false }).compile(ENV_SCHEMA);

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** Reads and validates configuration from environment variables; throws SLUICE_ERR_CONFIG naming the variable. */
/**
 * Environment variables that point a process at something outside it: brokers, stores, identity providers, mail and
 * message providers, webhooks, and the API keys of a real deployment. `sluice demo` leaves them out unless told
 * `--use-env`, so a demo started in a shell holding production settings never joins a real consumer group, writes into a
 * real pipeline or accepts a real tenant's keys.
 */
export function isExternalServiceEnv(name: string): boolean {
  return (
    /^(KAFKA|REDIS|CLICKHOUSE|SMTP)_/.test(name) ||
    /^SLUICE_.*_URLS?$/.test(name) ||
    /^SLUICE_API_KEYS(_FILE)?$/.test(name) ||
    /^SLUICE_(OIDC|SMTP|SMS|VOICE|TWILIO|WECOM|WEBHOOK|ALERT|DECISION_KEY)/.test(name)
  );
}

/** The environment without the variables {@link isExternalServiceEnv} names, and the names it left out (sorted). */
export function withoutExternalServices(env: Record<string, string | undefined>): {
  env: Record<string, string | undefined>;
  ignored: string[];
} {
  const out: Record<string, string | undefined> = {};
  const ignored: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (isExternalServiceEnv(k)) {
      if (v !== undefined && v !== '') ignored.push(k);
    } else out[k] = v;
  }
  return { env: out, ignored: ignored.sort() };
}

export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Record<string, string> = {},
): Readonly<Config> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(ENV_SCHEMA.properties)) {
    const v = overrides[key] ?? env[key];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  if (!validateEnv(raw)) {
    const err = validateEnv.errors?.[0];
    const name = err?.instancePath.replace(/^\//, '') || 'environment';
    throw appError('SLUICE_ERR_CONFIG', [`${name} ${err?.message ?? 'is invalid'}`]);
  }
  // The shape is guaranteed by ENV_SCHEMA (with defaults filled in) once validation passed.
  // biome-ignore lint/suspicious/noExplicitAny: the values were checked against ENV_SCHEMA just above
  const r = raw as Record<string, any>;
  if (r.SLUICE_NAME_IDLE_MS <= r.SLUICE_ALLOWED_LATENESS_MS) {
    // A name must outlive its windows: forgotten sooner, it could come back while its old state is still held.
    throw appError('SLUICE_ERR_CONFIG', [
      `SLUICE_NAME_IDLE_MS (${r.SLUICE_NAME_IDLE_MS}) must be greater than SLUICE_ALLOWED_LATENESS_MS (${r.SLUICE_ALLOWED_LATENESS_MS})`,
    ]);
  }
  if (r.SLUICE_REALTIME_STALE_MS < 2 * r.SLUICE_REALTIME_PUBLISH_MS) {
    // One late write must not drop a live worker's partitions from the view.
    throw appError('SLUICE_ERR_CONFIG', [
      `SLUICE_REALTIME_STALE_MS (${r.SLUICE_REALTIME_STALE_MS}) must be at least twice SLUICE_REALTIME_PUBLISH_MS (${r.SLUICE_REALTIME_PUBLISH_MS})`,
    ]);
  }
  const apiKeys = parseApiKeys(r.SLUICE_API_KEYS, r.SLUICE_API_KEYS_FILE || undefined);
  const open = r.SLUICE_OPEN === true;
  const oidc = oidcConfigOf(r, servedTenants(r.SLUICE_TENANTS as string | undefined, apiKeys, open));
  if (!open && apiKeys.size === 0 && oidc.issuers.length === 0) {
    throw appError('SLUICE_ERR_CONFIG', [
      'no API keys: set SLUICE_API_KEYS=key:tenant:role[,...] and/or an OpenID provider (SLUICE_OIDC_ISSUER), or run `sluice demo`, which is open',
    ]);
  }
  if (open && oidc.issuers.length > 0) {
    throw appError('SLUICE_ERR_CONFIG', [
      'SLUICE_OPEN=true cannot be combined with an OpenID provider (SLUICE_OIDC_ISSUER/SLUICE_OIDC_ISSUERS_FILE): open mode lets requests without a credential act as platform admin',
    ]);
  }
  // Open mode beside keys would let any request without a key act as platform admin while the
  // operator believes keys protect the server: refuse to start rather than guess which was meant.
  if (open && apiKeys.size > 0) {
    throw appError('SLUICE_ERR_CONFIG', [
      `SLUICE_OPEN=true cannot be combined with API keys (${apiKeys.size} from SLUICE_API_KEYS/SLUICE_API_KEYS_FILE): open mode lets requests without a key act as platform admin. Unset SLUICE_OPEN to require keys, or unset the keys for a demo`,
    ]);
  }
  const tenants = withProviderTenants(servedTenants(r.SLUICE_TENANTS as string | undefined, apiKeys, open), oidc, r.SLUICE_TENANTS);
  if (r.SLUICE_HEADERS_TIMEOUT_MS > r.SLUICE_REQUEST_TIMEOUT_MS) {
    throw appError('SLUICE_ERR_CONFIG', [
      `SLUICE_HEADERS_TIMEOUT_MS (${r.SLUICE_HEADERS_TIMEOUT_MS}) must be at most SLUICE_REQUEST_TIMEOUT_MS (${r.SLUICE_REQUEST_TIMEOUT_MS})`,
    ]);
  }
  if (r.SLUICE_STREAM_MAX_CONNECTIONS > r.SLUICE_MAX_CONNECTIONS) {
    throw appError('SLUICE_ERR_CONFIG', [
      `SLUICE_STREAM_MAX_CONNECTIONS (${r.SLUICE_STREAM_MAX_CONNECTIONS}) must be at most SLUICE_MAX_CONNECTIONS (${r.SLUICE_MAX_CONNECTIONS}): streams are connections too`,
    ]);
  }
  if (r.SLUICE_ROLE === 'control' && r.REDIS_URL && !r.SLUICE_DECISION_KEY) {
    // Several control instances behind the CTI: each must verify the others' decision ids, or outcomes answer 404.
    throw appError('SLUICE_ERR_CONFIG', [
      'SLUICE_DECISION_KEY must be set (the same secret of at least 32 characters on every control instance) when control runs as its own role with REDIS_URL: it signs decision ids so that any instance takes an outcome',
    ]);
  }
  const kafka = kafkaSettings(r);
  const redisUrl = redisSetting(r);
  return Object.freeze({
    host: r.HOST,
    port: r.PORT,
    role: r.SLUICE_ROLE,
    logLevel: r.LOG_LEVEL,
    bodyLimitBytes: r.SLUICE_BODY_LIMIT_BYTES,
    jsonMaxDepth: r.SLUICE_JSON_MAX_DEPTH,
    maxConnections: r.SLUICE_MAX_CONNECTIONS,
    requestTimeoutMs: r.SLUICE_REQUEST_TIMEOUT_MS,
    headersTimeoutMs: r.SLUICE_HEADERS_TIMEOUT_MS,
    keepAliveTimeoutMs: r.SLUICE_KEEP_ALIVE_TIMEOUT_MS,
    streamMaxPerKey: r.SLUICE_STREAM_MAX_PER_KEY,
    streamMaxConnections: r.SLUICE_STREAM_MAX_CONNECTIONS,
    streamMessagesPerMinute: r.SLUICE_STREAM_MESSAGES_PER_MINUTE,
    shutdownTimeoutMs: r.SLUICE_SHUTDOWN_TIMEOUT_MS,
    ingestMaxPending: r.SLUICE_INGEST_MAX_PENDING,
    ingestTenantShare: r.SLUICE_INGEST_TENANT_SHARE,
    ingestEventsPerSec: r.SLUICE_INGEST_EVENTS_PER_SEC,
    open,
    apiKeys,
    oidc,
    kafkaBrokers: r.KAFKA_BROKERS ? list(r.KAFKA_BROKERS) : null,
    kafkaTopicPrefix: r.KAFKA_TOPIC_PREFIX,
    kafkaGroupId: r.KAFKA_GROUP_ID,
    kafkaPartitions: r.KAFKA_PARTITIONS,
    kafkaPartitionsConcurrently: r.KAFKA_PARTITIONS_CONCURRENTLY,
    ...kafka,
    redisUrl,
    realtimePublishMs: r.SLUICE_REALTIME_PUBLISH_MS,
    realtimeStaleMs: r.SLUICE_REALTIME_STALE_MS,
    clickhouseUrl: r.CLICKHOUSE_URL || null,
    clickhouseUser: r.CLICKHOUSE_USER,
    clickhousePassword: r.CLICKHOUSE_PASSWORD,
    clickhouseDatabase: r.CLICKHOUSE_DATABASE,
    clickhouseCluster: r.CLICKHOUSE_CLUSTER || undefined,
    chdbPath: r.CHDB_PATH,
    ttlDays: r.CLICKHOUSE_TTL_DAYS,
    outOfOrdernessMs: r.SLUICE_OUT_OF_ORDERNESS_MS,
    allowedLatenessMs: r.SLUICE_ALLOWED_LATENESS_MS,
    serviceLevelMs: r.SLUICE_SERVICE_LEVEL_MS,
    serviceLevels: serviceLevelSettings(
      { variant: r.SLUICE_SERVICE_LEVEL_VARIANT, thresholdMs: r.SLUICE_SERVICE_LEVEL_MS, objective: r.SLUICE_SERVICE_LEVEL_OBJECTIVE },
      r.SLUICE_SERVICE_LEVEL_TENANTS,
    ),
    intervalMinutes: r.SLUICE_INTERVAL_MINUTES,
    shortAbandonMs: r.SLUICE_SHORT_ABANDON_MS,
    tenants,
    webhookUrl: r.SLUICE_WEBHOOK_URL || undefined,
    simulator: r.SLUICE_SIMULATOR,
    simCallsPerHour: r.SIM_CALLS_PER_HOUR,
    simTenants: list(r.SIM_TENANTS),
    demo: r.SLUICE_DEMO,
    simCtiFailure: { atMs: r.SIM_CTI_FAILURE_AT_MS, everyMs: r.SIM_CTI_FAILURE_EVERY_MS, forMs: r.SIM_CTI_FAILURE_MS },
    simSlaWarningMs: r.SIM_SLA_WARNING_MS,
    demoClickhouseHost: r.SLUICE_DEMO_CLICKHOUSE_HOST,
    demoClickhousePort: r.SLUICE_DEMO_CLICKHOUSE_PORT,
    demoClickhouseUser: r.SLUICE_DEMO_CLICKHOUSE_USER,
    demoClickhouseKey: r.SLUICE_DEMO_CLICKHOUSE_KEY || undefined,
    cardinalityLimits: Object.freeze({
      skillGroup: r.SLUICE_MAX_SKILL_GROUPS_PER_TENANT,
      agent: r.SLUICE_MAX_AGENTS_PER_TENANT,
      extension: r.SLUICE_MAX_EXTENSIONS_PER_TENANT,
    }),
    nameIdleMs: r.SLUICE_NAME_IDLE_MS,
    metricLabelValues: r.SLUICE_METRIC_LABEL_VALUES,
    routeRateLimit: r.SLUICE_ROUTE_RATE_LIMIT,
    controlApiRateLimit: r.SLUICE_CONTROL_API_RATE_LIMIT,
    controlPendingPerTenant: r.SLUICE_CONTROL_PENDING_PER_TENANT,
    controlOutcomeTimeoutMs: r.SLUICE_CONTROL_OUTCOME_TIMEOUT_MS,
    controlUnknownSkillGroups: r.SLUICE_CONTROL_UNKNOWN_SKILL_GROUPS as 'refuse' | 'tenant-level',
    controlMaxSkillGroups: r.SLUICE_CONTROL_MAX_SKILL_GROUPS,
    controlScopeIdleMs: r.SLUICE_CONTROL_SCOPE_IDLE_MS,
    controlBreakerQuorum: r.SLUICE_CONTROL_BREAKER_QUORUM,
    controlTrunkTtlMs: r.SLUICE_CONTROL_TRUNK_TTL_MS,
    controlMaxTrunks: r.SLUICE_CONTROL_MAX_TRUNKS,
    healthCheckTimeoutMs: r.SLUICE_HEALTH_CHECK_TIMEOUT_MS,
    decisionKey: r.SLUICE_DECISION_KEY || undefined,
    alerts: loadAlertConfig({ ...env, ...overrides }),
  });
}

/** A file Sluice must read at start, checked now so that `sluice config check` catches a wrong path or mode. */
function readableFile(variable: string, path: string | undefined): string | undefined {
  if (path === undefined || path === '') return undefined;
  try {
    accessSync(path, fsConstants.R_OK);
  } catch (err) {
    throw appError('SLUICE_ERR_CONFIG', [
      `${variable} (${path}) is not a readable file: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    ]);
  }
  return path;
}

/** Kafka's security, client id and replication settings, checked together (each pair named when half of it is set). */
// biome-ignore lint/suspicious/noExplicitAny: the values were checked against ENV_SCHEMA by the caller
function kafkaSettings(r: Record<string, any>) {
  const caFile = readableFile('KAFKA_SSL_CA_FILE', r.KAFKA_SSL_CA_FILE);
  const certFile = readableFile('KAFKA_SSL_CERT_FILE', r.KAFKA_SSL_CERT_FILE);
  const keyFile = readableFile('KAFKA_SSL_KEY_FILE', r.KAFKA_SSL_KEY_FILE);
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw appError('SLUICE_ERR_CONFIG', [
      'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together (a client certificate and its private key, for mutual TLS): set both or neither',
    ]);
  }
  const mechanism = r.KAFKA_SASL_MECHANISM as Config['kafkaSaslMechanism'];
  if (mechanism !== undefined && (r.KAFKA_SASL_USERNAME === undefined || r.KAFKA_SASL_PASSWORD === undefined)) {
    throw appError('SLUICE_ERR_CONFIG', [`KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`]);
  }
  if (mechanism === undefined && (r.KAFKA_SASL_USERNAME !== undefined || r.KAFKA_SASL_PASSWORD !== undefined)) {
    throw appError('SLUICE_ERR_CONFIG', [
      `KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD are set but KAFKA_SASL_MECHANISM is not: set it to one of ${KAFKA_SASL_MECHANISMS.join(', ')}`,
    ]);
  }
  if (!r.KAFKA_BROKERS && (r.KAFKA_SSL || caFile || certFile || mechanism || r.KAFKA_REPLICATION_FACTOR !== undefined)) {
    throw appError('SLUICE_ERR_CONFIG', [
      'Kafka settings (KAFKA_SSL*, KAFKA_SASL_*, KAFKA_REPLICATION_FACTOR) are set but KAFKA_BROKERS is not: events would stay on the in-process bus',
    ]);
  }
  return {
    kafkaReplicationFactor: (r.KAFKA_REPLICATION_FACTOR as number | undefined) ?? -1,
    kafkaClientId:
      (r.KAFKA_CLIENT_ID as string | undefined) ??
      `sluice-${r.SLUICE_ROLE}-${hostname()
        .replace(/[^A-Za-z0-9._-]/g, '_')
        .slice(0, 100)}`,
    kafkaSsl: r.KAFKA_SSL === true || caFile !== undefined || certFile !== undefined,
    kafkaSslCaFile: caFile,
    kafkaSslCertFile: certFile,
    kafkaSslKeyFile: keyFile,
    kafkaSaslMechanism: mechanism,
    kafkaSaslUsername: r.KAFKA_SASL_USERNAME as string | undefined,
    kafkaSaslPassword: r.KAFKA_SASL_PASSWORD as string | undefined,
  };
}

/** `REDIS_URL`, or the Sentinel URL `REDIS_SENTINELS` + `REDIS_SENTINEL_NAME` (+ `REDIS_URL`'s credentials and database) make. */
// biome-ignore lint/suspicious/noExplicitAny: the values were checked against ENV_SCHEMA by the caller
function redisSetting(r: Record<string, any>): string | null {
  const sentinels = r.REDIS_SENTINELS as string | undefined;
  const name = r.REDIS_SENTINEL_NAME as string | undefined;
  if (sentinels === undefined) {
    if (name !== undefined || r.REDIS_SENTINEL_PASSWORD !== undefined)
      throw appError('SLUICE_ERR_CONFIG', ['REDIS_SENTINEL_NAME/REDIS_SENTINEL_PASSWORD are set but REDIS_SENTINELS (host:port,…) is not']);
    return r.REDIS_URL || null;
  }
  if (name === undefined)
    throw appError('SLUICE_ERR_CONFIG', ['REDIS_SENTINELS needs REDIS_SENTINEL_NAME: the master name the sentinels monitor']);
  try {
    return sentinelUrl({
      sentinels: list(sentinels),
      name,
      ...(r.REDIS_URL ? { url: r.REDIS_URL as string } : {}),
      ...(r.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: r.REDIS_SENTINEL_PASSWORD as string } : {}),
    });
  } catch (err) {
    throw appError('SLUICE_ERR_CONFIG', [`REDIS_SENTINELS: ${(err as Error).message}`]);
  }
}

/** Names of every environment variable Sluice reads (README lists each). */
export const ENV_VARS = [...Object.keys(ENV_SCHEMA.properties), ...Object.keys(ALERT_ENV_SCHEMA)];

/**
 * The tenants a deployment serves (routing, flows, metrics). `SLUICE_TENANTS` when set — then every tenant key must
 * belong to one of them, or the start is refused naming both (a key for a tenant that is not served would have its
 * calls routed as an unknown tenant); unset, the tenants of the keys (platform keys `*` aside), or `demo` for the open
 * demo.
 */
export function servedTenants(setting: string | undefined, keys: ReadonlyMap<string, Principal>, open: boolean): string[] {
  const ofKeys = [...new Set([...keys.values()].map((p) => p.tenant).filter((t) => t !== PLATFORM_TENANT))].sort();
  if (setting === undefined || setting === '') return ofKeys.length > 0 ? ofKeys : open ? ['demo'] : [];
  const listed = list(setting);
  const unserved = ofKeys.filter((t) => !listed.includes(t));
  if (unserved.length > 0) {
    const named = [...keys.values()].filter((p) => unserved.includes(p.tenant)).map((p) => `${p.keyId} (tenant ${p.tenant})`);
    throw appError('SLUICE_ERR_CONFIG', [
      `SLUICE_TENANTS (${listed.join(',')}) does not include the tenant of API key ${named.slice(0, 5).join(', ')}${named.length > 5 ? ` and ${named.length - 5} more` : ''}: add ${unserved.join(',')} to SLUICE_TENANTS, or unset it to serve the tenants of the keys`,
    ]);
  }
  return listed;
}

/**
 * The served tenants with those the OpenID providers serve: `SLUICE_TENANTS` unset, a provider's own tenants
 * (`SLUICE_OIDC_TENANTS`, a fixed tenant) are served too; set, they must be among it, or the start is refused
 * naming the provider (its people's calls and tickets would belong to a tenant nothing else serves).
 */
function withProviderTenants(served: string[], oidc: OidcConfig, setting: string | undefined): string[] {
  const all = [...served];
  for (const s of oidc.issuers) {
    const extra = s.tenants.filter((t) => !all.includes(t));
    if (extra.length === 0) continue;
    if (setting !== undefined && setting !== '') {
      throw appError('SLUICE_ERR_CONFIG', [
        `SLUICE_TENANTS (${served.join(',')}) does not include ${extra.join(',')} of OpenID provider ${s.name}: add them to SLUICE_TENANTS, or unset it to serve the tenants of the keys and providers`,
      ]);
    }
    all.push(...extra);
  }
  return all;
}

const SECRET_FIELD = /password|secret|token|credential|(?<!Per)Key$/i;

/**
 * The configuration as it may be logged or shown to a platform key: secrets (`…Password`, `…Key`, `…Secret`,
 * `…Token`) replaced by `***` when set, URLs with their credentials hidden, API keys as their name, tenant and role
 * (never the key). New settings are covered by their names, so a secret added later is hidden without a change here.
 */
export function configSummary(config: Readonly<Config>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(config)) {
    if (name === 'alerts') {
      // Which alert channels are configured and how, never their credentials (`app/alert-config.ts`).
      out.alerts = alertSummary(value as Config['alerts']);
    } else if (name === 'apiKeys') {
      out.apiKeys = [...(value as Config['apiKeys']).values()].map((p) => ({ name: p.keyId, tenant: p.tenant, role: p.role }));
    } else if (SECRET_FIELD.test(name)) {
      out[name] = value === undefined || value === null || value === '' ? value : '***';
    } else if (typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
      out[name] = redactUrl(value);
    } else {
      out[name] = value;
    }
  }
  return out;
}
