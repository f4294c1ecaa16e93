/**
 * The alert outbox on a real redis-server: the contract suite, and a restart in the middle of deliveries — two
 * delivery workers on the same Redis, one a separate process killed with SIGKILL while its sends are in flight at a
 * slow provider; the other takes the leased jobs over when their lease ends. Each alert arrives once: by the
 * provider's or receiver's idempotency means (webhook delivery id, WeChat Work duplicate check) or, for Twilio SMS,
 * by looking the message up in Twilio's Messages list before sending a delivery in doubt again.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { systemClock } from '../../adapters/clock.js';
import type { AlertRequest } from '../../core/alerts.js';
import { silentLogger } from '../../core/logger.js';
import { eventually } from '../../core/testing/eventually.js';
import { alertOutboxContract } from '../../workflow/alerts/outbox.contract.js';
import { alertChannels } from '../../workflow/alerts/setup.js';
import { contactsOf } from '../../workflow/alerts/testing/contacts.js';
import { DeliveryWorker } from '../../workflow/alerts/worker.js';
import { AlertOutboxKeys, RedisAlertOutbox } from '../../workflow/redis/alert-outbox.js';
import { connectWorkflowRedis } from '../../workflow/redis/connection.js';
import { ALERT_PEOPLE, standInChannels } from '../support/alert-worker.js';
import { startProviders } from '../support/providers.js';

let shared: Promise<Redis> | undefined;
const redis = (): Promise<Redis> => (shared ??= connectWorkflowRedis(inject('redisUrl')));
const fresh = () => `test:alerts:${randomUUID().slice(0, 8)}:`;

afterAll(async () => {
  await (await shared)?.quit();
});

alertOutboxContract('redis-server via ioredis', async () => new RedisAlertOutbox(await redis(), { keys: new AlertOutboxKeys(fresh()) }));

describe('alert delivery across a worker killed mid-send', () => {
  it('delivers each alert once (webhook, WeChat Work, Twilio SMS) although the kill came mid-send', async () => {
    const providers = await startProviders();
    const prefix = fresh();
    const outbox = new RedisAlertOutbox(await redis(), { keys: new AlertOutboxKeys(prefix) });
    const secret = providers.settings.webhookSecret;
    const LEASE_MS = 3_000;
    providers.delay(1_500);
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/alert-worker.ts'], {
      env: {
        ...process.env,
        REDIS_URL: inject('redisUrl'),
        OUTBOX_PREFIX: prefix,
        PROVIDERS_URL: providers.url,
        WEBHOOK_SECRET: secret,
        LEASE_MS: String(LEASE_MS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    let survivor: DeliveryWorker | undefined;
    try {
      await eventually(
        () => out.includes('ready'),
        () => `the worker process to start: ${out}`,
        30_000,
      );
      const ALERTS = 12;
      const now = Date.now();
      const alerts: AlertRequest[] = Array.from({ length: ALERTS }, (_, i) => ({
        id: `t-${i}/1/warning/1/0`,
        tenant: 'acme',
        kind: 'sla-warning',
        channel: 'message',
        recipients: ['group:everyone'],
        facts: { ticketId: `t-${i}`, nodeId: 'manager', level: 1, repeat: 0, used: '30m', total: '1h', message: `ticket ${i}` },
        ticketId: `t-${i}`,
        at: now + i,
      }));
      for (const a of alerts) expect(await outbox.raise(a)).toBe(true);
      // The child has the expansions done and sends in flight at the slow provider: kill it there.
      await eventually(() => providers.requests.filter((r) => r.method === 'POST').length > 5, 'sends in flight at the provider', 30_000);
      child.kill('SIGKILL');
      await exited;

      const people = ALERT_PEOPLE.map((p) => (p.personId === 'ops' ? { ...p, addresses: { webhook: `${providers.url}/hooks/ops` } } : p));
      survivor = new DeliveryWorker({
        outbox,
        clock: systemClock,
        contacts: contactsOf(people, { everyone: people.map((p) => p.personId) }),
        channels: alertChannels(standInChannels(providers.url, secret), { clock: systemClock, log: silentLogger }),
        leaseMs: LEASE_MS,
        pollIntervalMs: 100,
      });
      const inDoubt = new Set<string>();
      survivor.on('attempt', (a) => {
        if (a.inDoubt) inDoubt.add(a.deliveryId);
      });
      survivor.start();
      const states = async () => (await Promise.all(alerts.map((a) => outbox.jobs('acme', a.id)))).flat();
      await eventually(
        states,
        (s) => s.filter((j) => j.kind === 'deliver').length === ALERTS * 3 && s.every((j) => j.state === 'done'),
        'every delivery done',
        60_000,
      );
      // Wait for anything the slow provider still holds to land before counting.
      await new Promise((r) => setTimeout(r, 2_000));

      const count = (xs: string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
      const webhook = count(providers.webhooks.received.map((w) => String(w.body.alertId)));
      const wecom = count(providers.wecom.delivered.map((d) => d.content.match(/工单 (t-\d+)/)?.[1] ?? '?'));
      const sms = count(providers.twilio.accepted.map((m) => m.text.match(/ticket (t-\d+)/)?.[1] ?? '?'));
      for (const a of alerts) {
        const t = String(a.facts.ticketId);
        expect(webhook.get(a.id), `webhook ${a.id}`).toBe(1);
        expect(wecom.get(t), `wecom ${t}`).toBe(1);
        // Twilio takes no idempotency key: an SMS in doubt is looked up in Twilio's Messages list before it is sent again.
        expect(sms.get(t), `sms ${t}`).toBe(1);
      }
      const smsRepeats = [...sms.values()].reduce((n, c) => n + c - 1, 0);
      // The kill did land mid-send: the survivor took jobs over in doubt.
      expect(inDoubt.size).toBeGreaterThan(0);
      expect(providers.violations).toEqual([]);
      console.log(`restart: ${inDoubt.size} deliveries taken over in doubt; SMS repeated ${smsRepeats} time(s)`);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await survivor?.stop();
      await providers.close();
    }
  });
});
