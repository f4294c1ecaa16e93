/**
 * A delivery worker alone in a process, for the restart tests: drains the Redis alert outbox into the channels of
 * the provider stand-in (`test/support/providers.ts`), with the fixed people of {@link ALERT_PEOPLE}. Prints
 * `ready` once polling. Environment: `REDIS_URL`, `OUTBOX_PREFIX`, `PROVIDERS_URL`, `LEASE_MS`.
 */
import { systemClock } from '../../adapters/clock.js';
import { silentLogger } from '../../core/logger.js';
import { type AlertChannelSettings, alertChannels } from '../../workflow/alerts/setup.js';
import { contactsOf } from '../../workflow/alerts/testing/contacts.js';
import { DeliveryWorker } from '../../workflow/alerts/worker.js';
import type { Contact } from '../../workflow/people/ports.js';
import { AlertOutboxKeys, RedisAlertOutbox } from '../../workflow/redis/alert-outbox.js';
import { connectWorkflowRedis } from '../../workflow/redis/connection.js';
import { DEFAULT_SETTINGS } from './providers.js';

/** The people the restart tests alert: one per channel. */
export const ALERT_PEOPLE: readonly Contact[] = [
  { personId: 'wei', language: 'zh-CN', addresses: { wecom: 'WeiZhang' }, preferred: ['wecom'] },
  { personId: 'ops', addresses: { webhook: '' }, preferred: ['webhook'] },
  { personId: 'sam', addresses: { sms: '+15550101' }, preferred: ['sms'] },
];

/** The channel settings pointing at a stand-in at `url` (its default credentials). */
export function standInChannels(url: string, secret: string): AlertChannelSettings {
  const s = DEFAULT_SETTINGS;
  return {
    twilio: { ...s.twilio, from: '+15005550006', baseUrl: url },
    wecomApp: { ...s.wecom, baseUrl: url },
    webhook: { secret },
  };
}

async function main(): Promise<void> {
  const env = process.env;
  const redis = await connectWorkflowRedis(env.REDIS_URL!);
  const outbox = new RedisAlertOutbox(redis, { keys: new AlertOutboxKeys(env.OUTBOX_PREFIX) });
  const people = ALERT_PEOPLE.map((p) => (p.personId === 'ops' ? { ...p, addresses: { webhook: `${env.PROVIDERS_URL}/hooks/ops` } } : p));
  const worker = new DeliveryWorker({
    outbox,
    clock: systemClock,
    contacts: contactsOf(people, { everyone: people.map((p) => p.personId) }),
    channels: alertChannels(standInChannels(env.PROVIDERS_URL!, env.WEBHOOK_SECRET!), { clock: systemClock, log: silentLogger }),
    leaseMs: Number(env.LEASE_MS),
    pollIntervalMs: 100,
  });
  worker.on('attempt', (a) => console.log(JSON.stringify({ attempt: a.deliveryId, result: a.result })));
  worker.start();
  console.log('ready');
}

if (process.argv[1]?.endsWith('alert-worker.ts')) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
