import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_VARS, isExternalServiceEnv, loadConfig, parseApiKeys, withoutExternalServices } from './config.js';

describe('configuration', () => {
  it('fills defaults and parses lists', () => {
    const c = loadConfig({ SLUICE_API_KEYS: 'k123456789012345:acme:admin', KAFKA_BROKERS: 'a:1, b:2' });
    expect(c.port).toBe(8080);
    expect(c.kafkaBrokers).toEqual(['a:1', 'b:2']);
    expect(c.redisUrl).toBeNull();
    expect(c.kafkaPartitionsConcurrently).toBe(12);
    expect(loadConfig({ SLUICE_OPEN: 'true', KAFKA_PARTITIONS_CONCURRENTLY: '24' }).kafkaPartitionsConcurrently).toBe(24);
    expect(c.apiKeys.get('k123456789012345')).toMatchObject({ tenant: 'acme', role: 'admin' });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('refuses bad values naming the variable and the rule', () => {
    expect(() => loadConfig({ SLUICE_OPEN: 'true', PORT: 'eighty' })).toThrow(/PORT must be integer/);
    expect(() => loadConfig({ SLUICE_OPEN: 'true', REDIS_URL: 'localhost:6379' })).toThrow(/REDIS_URL must match/);
    expect(() => loadConfig({})).toThrow(/no API keys/);
    expect(() => loadConfig({ SLUICE_OPEN: 'true', KAFKA_PARTITIONS_CONCURRENTLY: '0' })).toThrow(
      /KAFKA_PARTITIONS_CONCURRENTLY must be >= 1/,
    );
    expect(() => parseApiKeys('short:acme:admin')).toThrow(/at least 16 characters/);
    expect(() => parseApiKeys('k123456789012345:acme:root')).toThrow(/roles are admin, router, agent, viewer/);
    expect(() => parseApiKeys('k123456789012345:Acme Corp:admin')).toThrow(/invalid tenant/);
  });

  it('has per-tenant name limits and metric label bounds a real contact center never reaches, and idle names outliving their windows', () => {
    const c = loadConfig({ SLUICE_OPEN: 'true' });
    expect(c.cardinalityLimits).toEqual({ skillGroup: 1_000, agent: 20_000, extension: 20_000 });
    expect(c.nameIdleMs).toBe(86_400_000);
    expect(c.metricLabelValues).toBe(1_000);
    expect(loadConfig({ SLUICE_OPEN: 'true', SLUICE_MAX_SKILL_GROUPS_PER_TENANT: '50' }).cardinalityLimits.skillGroup).toBe(50);
    expect(() => loadConfig({ SLUICE_OPEN: 'true', SLUICE_MAX_AGENTS_PER_TENANT: '0' })).toThrow(
      /SLUICE_MAX_AGENTS_PER_TENANT must be >= 1/,
    );
    expect(() => loadConfig({ SLUICE_OPEN: 'true', SLUICE_NAME_IDLE_MS: '60000' })).toThrow(/SLUICE_NAME_IDLE_MS must be >= 3600000/);
    expect(() => loadConfig({ SLUICE_OPEN: 'true', SLUICE_NAME_IDLE_MS: '7200000', SLUICE_ALLOWED_LATENESS_MS: '7200000' })).toThrow(
      /SLUICE_NAME_IDLE_MS \(7200000\) must be greater than SLUICE_ALLOWED_LATENESS_MS/,
    );
  });

  it('refuses open mode beside API keys, naming both', () => {
    expect(() => loadConfig({ SLUICE_OPEN: 'true', SLUICE_API_KEYS: 'k123456789012345:acme:admin' })).toThrow(
      /SLUICE_OPEN=true cannot be combined with API keys \(1 from SLUICE_API_KEYS/,
    );
    expect(loadConfig({ SLUICE_OPEN: 'true' }).open).toBe(true);
    expect(loadConfig({ SLUICE_API_KEYS: 'k123456789012345:acme:admin' }).open).toBe(false);
  });

  it('has server and stream limits with generous defaults, checked against each other', () => {
    const c = loadConfig({ SLUICE_OPEN: 'true' });
    expect(c).toMatchObject({
      jsonMaxDepth: 64,
      maxConnections: 10_000,
      requestTimeoutMs: 60_000,
      headersTimeoutMs: 20_000,
      keepAliveTimeoutMs: 72_000,
      streamMaxPerKey: 64,
      streamMaxConnections: 4096,
      streamMessagesPerMinute: 120,
    });
    expect(loadConfig({ SLUICE_OPEN: 'true', SLUICE_STREAM_MAX_PER_KEY: '8' }).streamMaxPerKey).toBe(8);
    expect(() => loadConfig({ SLUICE_OPEN: 'true', SLUICE_JSON_MAX_DEPTH: '2' })).toThrow(/SLUICE_JSON_MAX_DEPTH must be >= 8/);
    expect(() => loadConfig({ SLUICE_OPEN: 'true', SLUICE_HEADERS_TIMEOUT_MS: '90000' })).toThrow(
      /SLUICE_HEADERS_TIMEOUT_MS \(90000\) must be at most SLUICE_REQUEST_TIMEOUT_MS \(60000\)/,
    );
    expect(() => loadConfig({ SLUICE_OPEN: 'true', SLUICE_MAX_CONNECTIONS: '100' })).toThrow(
      /SLUICE_STREAM_MAX_CONNECTIONS \(4096\) must be at most SLUICE_MAX_CONNECTIONS \(100\)/,
    );
  });

  it('requires a shared decision key for control alone with Redis (issue 16), at least 32 characters', () => {
    const base = { SLUICE_OPEN: 'true', SLUICE_ROLE: 'control', REDIS_URL: 'redis://127.0.0.1:6379' };
    expect(() => loadConfig(base)).toThrow(/SLUICE_DECISION_KEY must be set/);
    expect(() => loadConfig({ ...base, SLUICE_DECISION_KEY: 'too short' })).toThrow(/SLUICE_DECISION_KEY/);
    expect(loadConfig({ ...base, SLUICE_DECISION_KEY: 'k'.repeat(32) }).decisionKey).toBe('k'.repeat(32));
    // One process (role all) or no Redis: optional, a random key per process.
    expect(loadConfig({ SLUICE_OPEN: 'true', REDIS_URL: 'redis://127.0.0.1:6379' }).decisionKey).toBeUndefined();
    expect(loadConfig({ SLUICE_OPEN: 'true', SLUICE_ROLE: 'control' }).decisionKey).toBeUndefined();
  });

  it('documents every environment variable in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const v of ENV_VARS) expect(readme, `${v} missing from README`).toContain(`\`${v}\``);
  });
});

describe('what `sluice demo` leaves out of the environment', () => {
  it('drops every variable that reaches a service or a real deployment, keeps local ones, and names what it dropped', () => {
    const external = [
      'KAFKA_BROKERS',
      'KAFKA_GROUP_ID',
      'REDIS_URL',
      'CLICKHOUSE_URL',
      'CLICKHOUSE_PASSWORD',
      'SLUICE_API_KEYS',
      'SLUICE_API_KEYS_FILE',
      'SLUICE_WEBHOOK_URL',
      'SLUICE_DECISION_KEY',
      'SLUICE_OIDC_ISSUER',
      'SMTP_URL',
    ];
    const local = ['PORT', 'HOST', 'LOG_LEVEL', 'CHDB_PATH', 'SLUICE_SERVICE_LEVEL_MS', 'PATH', 'HOME', 'BASE_URL'];
    for (const name of external) expect(isExternalServiceEnv(name), name).toBe(true);
    for (const name of local) expect(isExternalServiceEnv(name), name).toBe(false);
    // Every variable Sluice reads that names a URL is caught, whatever it is called.
    for (const name of ENV_VARS.filter((n) => n.endsWith('_URL'))) expect(isExternalServiceEnv(name), name).toBe(true);
    const { env, ignored } = withoutExternalServices({
      REDIS_URL: 'redis://prod:6379',
      KAFKA_BROKERS: '',
      PORT: '9000',
      CHDB_PATH: '/tmp/x',
    });
    expect(env).toEqual({ PORT: '9000', CHDB_PATH: '/tmp/x' });
    expect(ignored).toEqual(['REDIS_URL']);
  });
});

describe('the tenants a deployment serves', () => {
  const KEYS = 'acme-admin-key-00000000001:acme:admin,globex-admin-key-0000000001:globex:admin,platform-viewer-key-000001:*:viewer';
  it('are the tenants of the keys when SLUICE_TENANTS is unset (platform keys aside), demo for the open demo', () => {
    expect(loadConfig({ SLUICE_API_KEYS: KEYS }).tenants).toEqual(['acme', 'globex']);
    expect(loadConfig({ SLUICE_OPEN: 'true' }).tenants).toEqual(['demo']);
  });
  it('are SLUICE_TENANTS when it lists every tenant with a key (and may list more)', () => {
    expect(loadConfig({ SLUICE_API_KEYS: KEYS, SLUICE_TENANTS: 'globex,acme,initech' }).tenants).toEqual(['globex', 'acme', 'initech']);
  });
  it('refuse to start when a key belongs to a tenant SLUICE_TENANTS leaves out, naming the key and the tenant', () => {
    expect(() => loadConfig({ SLUICE_API_KEYS: KEYS, SLUICE_TENANTS: 'acme' })).toThrow(
      /SLUICE_TENANTS \(acme\) does not include the tenant of API key key#2 \(tenant globex\): add globex to SLUICE_TENANTS, or unset it/,
    );
  });
});
