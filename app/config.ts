import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { DEFAULT_PARTITIONS_CONCURRENTLY } from '../adapters/bus/kafka.js';
import { SluiceError } from './errors.js';

/** Roles an API key can carry (README, "Authentication"). */
export const ROLES = ['admin', 'router', 'agent', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** An API key's identity. Tenant `*` is the platform: it sees every tenant. */
export interface Principal {
  tenant: string;
  role: Role;
  /** Short key id for logs (never the key). */
  keyId: string;
}

/** Which parts run in this process (`--role`). */
export type ProcessRole = 'all' | 'pipeline' | 'control' | 'workflow';

/** Validated, frozen configuration. Every field comes from one environment variable (README, "Configuration"). */
export interface Config {
  host: string;
  port: number;
  role: ProcessRole;
  logLevel: string;
  bodyLimitBytes: number;
  shutdownTimeoutMs: number;
  /** Open demo mode: requests without a key act as platform admin. Only `sluice demo` sets it. */
  open: boolean;
  apiKeys: Map<string, Principal>;
  kafkaBrokers: string[] | null;
  kafkaTopicPrefix: string;
  kafkaGroupId: string;
  kafkaPartitions: number;
  /** Partitions whose batches a pipeline worker handles side by side (kafkajs `partitionsConsumedConcurrently`). */
  kafkaPartitionsConcurrently: number;
  redisUrl: string | null;
  clickhouseUrl: string | null;
  clickhouseUser: string | undefined;
  clickhousePassword: string | undefined;
  clickhouseDatabase: string;
  clickhouseCluster: string | undefined;
  chdbPath: string;
  ttlDays: number;
  outOfOrdernessMs: number;
  allowedLatenessMs: number;
  serviceLevelMs: number;
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
  /** Requests per second per API key on `POST /v1/route`, and apart on outcomes. */
  routeRateLimit: number;
  /** Requests per second per API key on the other control routes. */
  controlApiRateLimit: number;
  /** Decisions of one tenant awaiting an outcome, at most. */
  controlPendingPerTenant: number;
  /** Skill groups one tenant tracks in the control loop, at most. */
  controlMaxSkillGroups: number;
  /** A skill group unseen this long (at L0, without a pin) leaves the control loop, ms. */
  controlScopeIdleMs: number;
  /** Tenants whose own breakers must be open to open a shared (fleet) breaker. */
  controlBreakerQuorum: number;
}

const ENV_SCHEMA = {
  type: 'object',
  properties: {
    HOST: { type: 'string', default: '127.0.0.1' },
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
    SLUICE_ROLE: { enum: ['all', 'pipeline', 'control', 'workflow'], default: 'all' },
    LOG_LEVEL: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    SLUICE_BODY_LIMIT_BYTES: { type: 'integer', minimum: 1024, maximum: 104857600, default: 1048576 },
    SLUICE_SHUTDOWN_TIMEOUT_MS: { type: 'integer', minimum: 100, maximum: 600000, default: 8000 },
    SLUICE_OPEN: { type: 'boolean', default: false },
    SLUICE_API_KEYS: { type: 'string', default: '' },
    SLUICE_API_KEYS_FILE: { type: 'string', default: '' },
    KAFKA_BROKERS: { type: 'string', default: '' },
    KAFKA_TOPIC_PREFIX: { type: 'string', pattern: '^[A-Za-z0-9._-]+$', default: 'sluice' },
    KAFKA_GROUP_ID: { type: 'string', minLength: 1, default: 'sluice-pipelines' },
    KAFKA_PARTITIONS: { type: 'integer', minimum: 1, maximum: 1024, default: 6 },
    KAFKA_PARTITIONS_CONCURRENTLY: { type: 'integer', minimum: 1, maximum: 1024, default: DEFAULT_PARTITIONS_CONCURRENTLY },
    REDIS_URL: { type: 'string', pattern: '^$|^rediss?://', default: '' },
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
    SLUICE_SERVICE_LEVEL_MS: { type: 'integer', minimum: 0, maximum: 3600000, default: 20000 },
    SLUICE_SHORT_ABANDON_MS: { type: 'integer', minimum: 0, maximum: 3600000, default: 5000 },
    SLUICE_TENANTS: { type: 'string', pattern: '^[a-z0-9][a-z0-9_,-]*$', default: 'demo' },
    SLUICE_WEBHOOK_URL: { type: 'string', pattern: '^$|^https?://', default: '' },
    SLUICE_SIMULATOR: { type: 'boolean', default: false },
    SIM_CALLS_PER_HOUR: { type: 'number', minimum: 0, maximum: 1000000, default: 1200 },
    SIM_TENANTS: { type: 'string', default: 'demo' },
    SLUICE_ROUTE_RATE_LIMIT: { type: 'integer', minimum: 1, maximum: 1000000, default: 2000 },
    SLUICE_CONTROL_API_RATE_LIMIT: { type: 'integer', minimum: 1, maximum: 1000000, default: 100 },
    SLUICE_CONTROL_PENDING_PER_TENANT: { type: 'integer', minimum: 1, maximum: 10000000, default: 25000 },
    SLUICE_CONTROL_MAX_SKILL_GROUPS: { type: 'integer', minimum: 1, maximum: 1000000, default: 5000 },
    SLUICE_CONTROL_SCOPE_IDLE_MS: { type: 'integer', minimum: 1000, maximum: 604800000, default: 600000 },
    SLUICE_CONTROL_BREAKER_QUORUM: { type: 'integer', minimum: 1, maximum: 1000, default: 2 },
  },
} as const;

const validateEnv = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: false, strict: false }).compile(ENV_SCHEMA);

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

/**
 * Parses API keys given as `key:tenant:role` entries separated by commas (or a JSON file of
 * `[{key, tenant, role}]`). Keys must be at least 16 characters; tenant `*` is the platform.
 */
export function parseApiKeys(spec: string, file?: string): Map<string, Principal> {
  const entries: { key: string; tenant: string; role: string }[] = [];
  for (const item of list(spec)) {
    const [key, tenant, role, ...rest] = item.split(':');
    if (!key || !tenant || !role || rest.length > 0) throw new SluiceError('SLUICE_ERR_CONFIG', [`SLUICE_API_KEYS entry "${item.slice(0, 6)}…" must be key:tenant:role`]);
    entries.push({ key, tenant, role });
  }
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new SluiceError('SLUICE_ERR_CONFIG', [`SLUICE_API_KEYS_FILE ${file} could not be read as JSON: ${(err as Error).message}`]);
    }
    if (!Array.isArray(parsed)) throw new SluiceError('SLUICE_ERR_CONFIG', [`SLUICE_API_KEYS_FILE ${file} must hold an array of {key, tenant, role}`]);
    entries.push(...(parsed as { key: string; tenant: string; role: string }[]));
  }
  const keys = new Map<string, Principal>();
  for (const [i, e] of entries.entries()) {
    if (typeof e.key !== 'string' || e.key.length < 16) throw new SluiceError('SLUICE_ERR_CONFIG', [`API key #${i + 1} must be a string of at least 16 characters`]);
    if (typeof e.tenant !== 'string' || !/^(\*|[a-z0-9][a-z0-9_-]{0,62})$/.test(e.tenant)) throw new SluiceError('SLUICE_ERR_CONFIG', [`API key #${i + 1} has an invalid tenant "${String(e.tenant)}" (lower-case letters, digits, _ and -, or *)`]);
    if (!(ROLES as readonly string[]).includes(e.role)) throw new SluiceError('SLUICE_ERR_CONFIG', [`API key #${i + 1} has role "${String(e.role)}"; roles are ${ROLES.join(', ')}`]);
    keys.set(e.key, { tenant: e.tenant, role: e.role as Role, keyId: `${e.key.slice(0, 4)}…#${i + 1}` });
  }
  return keys;
}

/** Reads and validates configuration from environment variables; throws SLUICE_ERR_CONFIG naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Record<string, string> = {}): Readonly<Config> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(ENV_SCHEMA.properties)) {
    const v = overrides[key] ?? env[key];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  if (!validateEnv(raw)) {
    const err = validateEnv.errors?.[0];
    const name = err?.instancePath.replace(/^\//, '') || 'environment';
    throw new SluiceError('SLUICE_ERR_CONFIG', [`${name} ${err?.message ?? 'is invalid'}`]);
  }
  // The shape is guaranteed by ENV_SCHEMA (with defaults filled in) once validation passed.
  const r = raw as Record<string, any>;
  const apiKeys = parseApiKeys(r.SLUICE_API_KEYS, r.SLUICE_API_KEYS_FILE || undefined);
  const open = r.SLUICE_OPEN === true;
  if (!open && apiKeys.size === 0) {
    throw new SluiceError('SLUICE_ERR_CONFIG', ['no API keys: set SLUICE_API_KEYS=key:tenant:role[,...] (or run `sluice demo`, which is open)']);
  }
  return Object.freeze({
    host: r.HOST,
    port: r.PORT,
    role: r.SLUICE_ROLE,
    logLevel: r.LOG_LEVEL,
    bodyLimitBytes: r.SLUICE_BODY_LIMIT_BYTES,
    shutdownTimeoutMs: r.SLUICE_SHUTDOWN_TIMEOUT_MS,
    open,
    apiKeys,
    kafkaBrokers: r.KAFKA_BROKERS ? list(r.KAFKA_BROKERS) : null,
    kafkaTopicPrefix: r.KAFKA_TOPIC_PREFIX,
    kafkaGroupId: r.KAFKA_GROUP_ID,
    kafkaPartitions: r.KAFKA_PARTITIONS,
    kafkaPartitionsConcurrently: r.KAFKA_PARTITIONS_CONCURRENTLY,
    redisUrl: r.REDIS_URL || null,
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
    intervalMinutes: r.SLUICE_INTERVAL_MINUTES,
    shortAbandonMs: r.SLUICE_SHORT_ABANDON_MS,
    tenants: list(r.SLUICE_TENANTS),
    webhookUrl: r.SLUICE_WEBHOOK_URL || undefined,
    simulator: r.SLUICE_SIMULATOR,
    simCallsPerHour: r.SIM_CALLS_PER_HOUR,
    simTenants: list(r.SIM_TENANTS),
    routeRateLimit: r.SLUICE_ROUTE_RATE_LIMIT,
    controlApiRateLimit: r.SLUICE_CONTROL_API_RATE_LIMIT,
    controlPendingPerTenant: r.SLUICE_CONTROL_PENDING_PER_TENANT,
    controlMaxSkillGroups: r.SLUICE_CONTROL_MAX_SKILL_GROUPS,
    controlScopeIdleMs: r.SLUICE_CONTROL_SCOPE_IDLE_MS,
    controlBreakerQuorum: r.SLUICE_CONTROL_BREAKER_QUORUM,
  });
}

/** Names of every environment variable Sluice reads (README lists each). */
export const ENV_VARS = Object.keys(ENV_SCHEMA.properties);
