/**
 * Centre alerts as deployed with the roles split (issue 17): a control instance and a workflow instance sharing a
 * real redis-server. A tenant's policy says "tell the on-duty supervisors at L2, by phone, and when a breaker
 * opens"; the level is pinned to L2 and a CTI breaker forced open on the control instance. Control raises the
 * alerts into the outbox in Redis; the workflow instance delivers them. Nobody in the (empty) directory has an
 * address, so each goes to the deployment's fallback webhook, signed: once, although two control ticks (and a
 * second control instance) saw the same facts.
 */
import { pino } from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { startSluice, type Sluice } from '../../app/main.js';
import { eventually } from '../../core/testing/eventually.js';
import { DEFAULT_POLICY } from '../../control/policy/defaults.js';
import { startProviders, type ProviderStandIn } from '../support/providers.js';

const ADMIN = 'alerts-acme-admin-key-0001';
const PLATFORM = 'alerts-platform-admin-key-01';
const running: Sluice[] = [];
let providers: ProviderStandIn | undefined;

afterAll(async () => {
  for (const s of running.reverse()) await s.close().catch(() => undefined);
  await providers?.close();
});

describe('centre alerts between control and workflow instances (Redis outbox)', () => {
  it('raises on control, delivers on workflow, once per subject', async () => {
    providers = await startProviders();
    const prefix = `alr${process.pid}`;
    const start = async (role: 'control' | 'workflow', n: number) => {
      const config = loadConfig({
        SLUICE_API_KEYS: `${ADMIN}:acme:admin,${PLATFORM}:*:admin`,
        SLUICE_TENANTS: 'acme',
        SLUICE_ROLE: role,
        REDIS_URL: inject('redisUrl'),
        SLUICE_DECISION_KEY: 'alerts-roles-test-decision-key-0123456789',
        KAFKA_TOPIC_PREFIX: `${prefix}.`,
        CHDB_PATH: ':memory:',
        CLICKHOUSE_DATABASE: `${prefix}_${role}_${n}`,
        SLUICE_WEBHOOK_URL: `${providers!.url}/hooks/fallback`,
        SLUICE_ALERT_WEBHOOK_SECRET: providers!.settings.webhookSecret,
        SLUICE_ALERT_LANGUAGES: 'acme:zh-CN',
        PORT: '0',
        LOG_LEVEL: 'warn',
      });
      const s = await startSluice(config, { logger: pino({ level: 'warn' }), httpLogger: false });
      running.push(s);
      return s;
    };
    const workflow = await start('workflow', 1);
    const control = await start('control', 1);
    const control2 = await start('control', 2);
    const call = (s: Sluice, method: 'PUT' | 'POST', url: string, payload: unknown, key = ADMIN) =>
      s.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, payload: payload as object });

    const policy = {
      ...structuredClone(DEFAULT_POLICY),
      alerts: { notify: ['group:on-duty-supervisors'], channel: 'phone', level: { atLeast: 'L2' }, breakerOpen: {} },
    };
    const put = await call(control, 'PUT', '/v1/control/policy', { policy });
    expect(put.statusCode, put.body).toBe(200);
    // A refused alerts section names its field.
    const bad = await call(control, 'PUT', '/v1/control/policy', { policy: { ...policy, alerts: { level: { atLeast: 'L2' } } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('alerts.level.notify is required');

    const pin = await call(control, 'POST', '/v1/control/overrides', { tenant: 'acme', level: 2, forMs: 600_000, reason: 'drill' });
    expect(pin.statusCode, pin.body).toBeLessThan(300);
    const force = await call(
      control,
      'POST',
      '/v1/control/breakers/cti:cti-primary/force',
      { mode: 'open', forMs: 600_000, reason: 'maintenance' },
      PLATFORM,
    );
    expect(force.statusCode, force.body).toBeLessThan(300);

    const got = () => providers!.webhooks.received.filter((w) => w.path === '/hooks/fallback');
    await eventually(
      () => got().length >= 2,
      () => `two centre alerts at the fallback webhook: ${JSON.stringify(got().map((w) => w.body.alertId))}`,
      30_000,
    );
    // Several more ticks of both control instances: nothing more arrives.
    await new Promise((r) => setTimeout(r, 3_000));
    const bodies = got().map((w) => w.body);
    expect(bodies.map((b) => [b.alertId, b.alertKind, b.channel, b.language]).sort()).toEqual([
      ['breaker/cti:cti-primary', 'centre-breaker', 'phone', 'zh-CN'],
      ['level/L2', 'centre-level', 'phone', 'zh-CN'],
    ]);
    expect(bodies.find((b) => b.alertId === 'level/L2')).toMatchObject({
      tenant: 'acme',
      level: 'L2',
      recipient: '~fallback',
      subject: '【L2】acme：acme 进入 L2',
    });
    expect(providers.violations).toEqual([]);
    expect(control2).toBeDefined();
    // Counted where each part ran.
    expect(await workflow.metrics.registry.metrics()).toMatch(/sluice_alert_deliveries_total\{channel="webhook",result="sent"\} 2/);
    const raised = (await control.metrics.registry.metrics()) + (await control2.metrics.registry.metrics());
    expect(raised).toMatch(/sluice_centre_alerts_total\{kind="centre-level",stored="true"\} 1/);
  });
});
