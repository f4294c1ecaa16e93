import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { redisTarget } from '../adapters/redis/connect.js';
import { configSummary, loadConfig } from './config.js';
import { kafkaBusOptions, topicCreationError } from './prerequisites.js';

const KEYS = { SLUICE_API_KEYS: 'k123456789012345:acme:admin' };
const dir = mkdtempSync(join(tmpdir(), 'sluice-prereq-'));
const ca = join(dir, 'ca.pem');
const cert = join(dir, 'client.pem');
const key = join(dir, 'client.key');
writeFileSync(ca, 'CA PEM');
writeFileSync(cert, 'CERT PEM');
writeFileSync(key, 'KEY PEM');

// Production prerequisites as settings (issue 21): each was unsettable, or silently a wrong default, before.
describe('Kafka settings', () => {
  it('defaults: the brokers replication factor (-1, not 1), a client id naming role and host, no TLS or SASL', () => {
    const c = loadConfig({ ...KEYS, KAFKA_BROKERS: 'k1:9092', SLUICE_ROLE: 'pipeline' });
    expect(c.kafkaReplicationFactor).toBe(-1);
    expect(c.kafkaClientId).toMatch(/^sluice-pipeline-[A-Za-z0-9._-]+$/);
    expect(c.kafkaSsl).toBe(false);
    const o = kafkaBusOptions(c, undefined);
    expect(o).toMatchObject({ brokers: ['k1:9092'], clientId: c.kafkaClientId, replicationFactor: -1 });
    expect(o).not.toHaveProperty('ssl');
    expect(o).not.toHaveProperty('sasl');
  });

  it('maps TLS files and SASL credentials to the bus options, hiding the password from the summary', () => {
    const c = loadConfig({
      ...KEYS,
      KAFKA_BROKERS: 'k1:9093',
      KAFKA_SSL_CA_FILE: ca,
      KAFKA_SSL_CERT_FILE: cert,
      KAFKA_SSL_KEY_FILE: key,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'sluice',
      KAFKA_SASL_PASSWORD: 'kafka-secret-pw',
      KAFKA_REPLICATION_FACTOR: '3',
      KAFKA_CLIENT_ID: 'sluice-eu-1',
    });
    expect(kafkaBusOptions(c, undefined)).toMatchObject({
      clientId: 'sluice-eu-1',
      replicationFactor: 3,
      ssl: { ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' },
      sasl: { mechanism: 'scram-sha-512', username: 'sluice', password: 'kafka-secret-pw' },
    });
    const summary = JSON.stringify(configSummary(c));
    expect(summary).not.toContain('kafka-secret-pw');
    expect(summary).toContain('"kafkaSaslPassword":"***"');
    expect(kafkaBusOptions(loadConfig({ ...KEYS, KAFKA_BROKERS: 'k1:9093', KAFKA_SSL: 'true' }), undefined).ssl).toBe(true);
  });

  it('refuses half-set or unusable settings, naming the variables', () => {
    const base = { ...KEYS, KAFKA_BROKERS: 'k1:9092' };
    expect(() => loadConfig({ ...base, KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' })).toThrow(
      /KAFKA_SASL_MECHANISM=plain needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/,
    );
    expect(() => loadConfig({ ...base, KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toThrow(/KAFKA_SASL_MECHANISM is not/);
    expect(() => loadConfig({ ...base, KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow(/KAFKA_SASL_MECHANISM must be equal to one of/);
    expect(() => loadConfig({ ...base, KAFKA_SSL_CERT_FILE: cert })).toThrow(/KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together/);
    expect(() => loadConfig({ ...base, KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') })).toThrow(
      /KAFKA_SSL_CA_FILE \(.*missing\.pem\) is not a readable file: ENOENT/,
    );
    expect(() => loadConfig({ ...base, KAFKA_REPLICATION_FACTOR: '0' })).toThrow(/KAFKA_REPLICATION_FACTOR must be >= 1/);
    expect(() => loadConfig({ ...base, KAFKA_CLIENT_ID: 'has space' })).toThrow(/KAFKA_CLIENT_ID must match/);
    expect(() => loadConfig({ ...KEYS, KAFKA_SSL: 'true' })).toThrow(/KAFKA_BROKERS is not/);
  });

  it('names KAFKA_REPLICATION_FACTOR when the brokers refuse to create topics with it', () => {
    const c = loadConfig({ ...KEYS, KAFKA_BROKERS: 'k1:9092', KAFKA_REPLICATION_FACTOR: '3' });
    const e = topicCreationError(new Error('Replication factor: 3 larger than available brokers: 1.'), c) as Error;
    expect(e.message).toMatch(/KAFKA_REPLICATION_FACTOR=3: the brokers refused to create Sluice's topics: Replication factor: 3 larger/);
    const aggregate = Object.assign(new Error('Topic creation errors'), {
      errors: [
        new Error('Replication factor: 3 larger than available brokers: 1.'),
        new Error('Replication factor: 3 larger than available brokers: 1.'),
      ],
    });
    expect((topicCreationError(aggregate, c) as Error).message).toMatch(
      /refused to create Sluice's topics: Topic creation errors: Replication factor: 3 larger than available brokers: 1\.$/,
    );
    const other = new Error('connect ECONNREFUSED');
    expect(topicCreationError(other, c)).toBe(other);
  });
});

describe('Redis Sentinel settings', () => {
  it('turns REDIS_SENTINELS and REDIS_SENTINEL_NAME into a URL every Redis client follows through the sentinels', () => {
    const c = loadConfig({
      ...KEYS,
      REDIS_SENTINELS: '10.0.0.1:26379,10.0.0.2',
      REDIS_SENTINEL_NAME: 'sluice-main',
      REDIS_URL: 'redis://:master-pw@ignored:6379/2',
      REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
    });
    expect(c.redisUrl).not.toBeNull();
    const t = redisTarget(c.redisUrl!);
    expect(t).toMatchObject({
      sentinel: {
        name: 'sluice-main',
        sentinels: [
          { host: '10.0.0.1', port: 26379 },
          { host: '10.0.0.2', port: 26379 },
        ],
        password: 'master-pw',
        sentinelPassword: 'sentinel-pw',
        db: 2,
      },
    });
    const summary = JSON.stringify(configSummary(c));
    expect(summary).not.toContain('master-pw');
    expect(summary).not.toContain('sentinel-pw');
    expect(summary).toContain('sentinels=10.0.0.1');
    expect(redisTarget('redis://127.0.0.1:6379/0')).toEqual({ url: 'redis://127.0.0.1:6379/0' });
  });

  it('refuses a half-set Sentinel configuration, naming the variable', () => {
    expect(() => loadConfig({ ...KEYS, REDIS_SENTINELS: '10.0.0.1:26379' })).toThrow(/REDIS_SENTINELS needs REDIS_SENTINEL_NAME/);
    expect(() => loadConfig({ ...KEYS, REDIS_SENTINEL_NAME: 'm' })).toThrow(/REDIS_SENTINELS \(host:port,…\) is not/);
    expect(() => loadConfig({ ...KEYS, REDIS_SENTINELS: 'h:99999', REDIS_SENTINEL_NAME: 'm' })).toThrow(
      /REDIS_SENTINELS: a sentinel address must be host:port, got "h:99999"/,
    );
  });
});
