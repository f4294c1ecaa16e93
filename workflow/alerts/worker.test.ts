import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../adapters/clock.js';
import type { Contact } from '../people/ports.js';
import { MemoryAlertOutbox } from './memory-outbox.js';
import { sampleAlert } from './outbox.contract.js';
import { contactsOf, recordingChannel } from './testing/contacts.js';
import type { DeliveryChannel } from './types.js';
import { type DeliveryAttempt, DeliveryWorker, type DeliveryWorkerOptions } from './worker.js';

const ann: Contact = {
  personId: 'ann',
  name: 'Ann',
  language: 'en',
  addresses: { email: 'ann@bank.example', sms: '+15550001', voice: '+15550001' },
  preferred: ['email', 'sms'],
};
const li: Contact = {
  personId: 'li',
  name: '李雷',
  language: 'zh-CN',
  addresses: { wecom: 'LiLei', sms: '+8613800138000' },
  preferred: ['wecom', 'sms'],
};
const bob: Contact = { personId: 'bob', addresses: {} };

function setup(channels: DeliveryChannel[] = ['email', 'sms', 'voice', 'wecom', 'log'], over: Partial<DeliveryWorkerOptions> = {}) {
  const clock = new ManualClock(1_000);
  const outbox = new MemoryAlertOutbox();
  const ch = Object.fromEntries(channels.map((c) => [c, recordingChannel(c)])) as Record<
    DeliveryChannel,
    ReturnType<typeof recordingChannel>
  >;
  const worker = new DeliveryWorker({
    outbox,
    clock,
    contacts: contactsOf([ann, li, bob], { supervisors: ['ann', 'li', 'bob'] }),
    channels: Object.values(ch),
    retryBaseMs: 1_000,
    retryCapMs: 4_000,
    maxAttempts: 3,
    ...over,
  });
  const attempts: DeliveryAttempt[] = [];
  worker.on('attempt', (a) => attempts.push(a));
  const run = async (ms = 0) => {
    clock.advance(ms);
    await worker.tick();
  };
  return { clock, outbox, ch, worker, attempts, run };
}
const brief = (a: DeliveryAttempt) => `${a.recipient}:${a.channel}:${a.result}${a.error ? `(${a.error})` : ''}`;

describe('DeliveryWorker', () => {
  it('sends an explicit channel to each person, in their language, and falls back for one without an address', async () => {
    const { outbox, ch, attempts, run } = setup();
    await outbox.raise(sampleAlert({ channel: 'sms', recipients: ['group:supervisors'], at: 1_000 }));
    await run();
    await run();
    expect(ch.sms.sent.map((s) => [s.delivery.recipient, s.delivery.address, s.message.language])).toEqual([
      ['ann', '+15550001', 'en'],
      ['li', '+8613800138000', 'zh-CN'],
    ]);
    expect(ch.sms.sent[1]!.message.text).toBe('SLA1级预警：工单t-1（manager）已用30m/1h');
    // Bob has no address at all: every channel skipped, nobody else missed, so no deployment fallback.
    expect(attempts.map(brief)).toEqual([
      'bob:sms:undeliverable(no address: sms, wecom, email, voice, webhook)',
      'ann:sms:sent',
      'li:sms:sent',
    ]);
    expect(ch.log.sent).toEqual([]);
  });

  it("`message` goes to each person's preferred channel and moves down their list when one fails for good", async () => {
    const { outbox, ch, attempts, run } = setup();
    ch.email.failNext(false);
    await outbox.raise(sampleAlert({ channel: 'message', recipients: ['user:ann', 'user:li'] }));
    await run();
    await run();
    await run();
    expect(attempts.map(brief).sort()).toEqual(['ann:email:failed(email scripted failure)', 'ann:sms:sent', 'li:wecom:sent']);
    expect(ch.sms.sent.map((s) => s.delivery.recipient)).toEqual(['ann']);
  });

  it("follows the flow's reminder method for `message` (`preferred` = the person's own order)", async () => {
    const { outbox, ch, attempts, run } = setup();
    ch.sms.failNext(false);
    await outbox.raise(sampleAlert({ channel: 'message', recipients: ['user:ann'], remind: ['sms', 'preferred'] }));
    await run();
    await run();
    await run();
    // SMS first (the method), then Ann's own order: e-mail.
    expect(attempts.map(brief)).toEqual(['ann:sms:failed(sms scripted failure)', 'ann:email:sent']);
  });

  it('retries a retriable failure with exponential backoff up to the cap, then falls back', async () => {
    const { outbox, ch, attempts, run, clock } = setup();
    ch.email.failNext(true, 3);
    await outbox.raise(sampleAlert({ channel: 'email', recipients: ['user:ann'], at: 1_000 }));
    await run();
    await run();
    expect(attempts.map(brief)).toEqual(['ann:email:retry(email scripted failure)']);
    expect(await outbox.nextDueAt()).toBe(clock.now() + 1_000);
    await run(999);
    expect(attempts).toHaveLength(1);
    await run(1);
    expect(attempts.at(-1)!.result).toBe('retry');
    expect(await outbox.nextDueAt()).toBe(clock.now() + 2_000);
    await run(2_000);
    // Third attempt of three: given up on e-mail; SMS next on Ann's list.
    expect(attempts.at(-1)).toMatchObject({ channel: 'email', result: 'failed', attempt: 3 });
    await run();
    expect(attempts.map(brief).slice(-1)).toEqual(['ann:sms:sent']);
    expect(ch.email.sent).toEqual([]);
  });

  it('sends an alert that reaches nobody to the deployment fallback once, and a `log` alert to the log', async () => {
    const { outbox, ch, attempts, run } = setup(['email', 'log', 'webhook'], { fallbackWebhook: 'https://hooks.example/sla' });
    await outbox.raise(sampleAlert({ id: 'a', channel: 'sms', recipients: ['user:ann', 'user:nobody'] }));
    await outbox.raise(sampleAlert({ id: 'b', channel: 'log', recipients: ['user:ann'] }));
    await run();
    await run();
    // SMS is not configured: Ann falls back to e-mail (her list), so the alert reached someone.
    expect(attempts.filter((a) => a.alertId === 'a').map(brief)).toEqual(['ann:sms:undeliverable(not configured: sms)', 'ann:email:sent']);
    expect(ch.log.sent.map((s) => s.alert.id)).toEqual(['b']);
    await outbox.raise(sampleAlert({ id: 'c', channel: 'phone', recipients: ['user:bob', 'group:none'] }));
    await run();
    await run();
    expect(ch.webhook.sent.map((s) => [s.alert.id, s.delivery.recipient, s.delivery.address])).toEqual([
      ['c', '~fallback', 'https://hooks.example/sla'],
    ]);
  });

  it('a worker that stops mid-send leaves the job to the next claimer after the lease, in doubt; it is sent once', async () => {
    const { outbox, ch, clock } = setup();
    const contacts = contactsOf([ann]);
    const a = new DeliveryWorker({ outbox, clock, contacts, channels: [ch.email], leaseMs: 60_000 });
    const b = new DeliveryWorker({ outbox, clock, contacts, channels: [ch.email], leaseMs: 60_000 });
    const seen: DeliveryAttempt[] = [];
    b.on('attempt', (x) => seen.push(x));
    await outbox.raise(sampleAlert({ channel: 'email', recipients: ['user:ann'] }));
    await a.tick(); // expanded
    const release = ch.email.hold();
    const stuck = a.tick(); // claims the delivery and hangs in the provider call: a dead worker, as far as the outbox knows
    await Promise.resolve();
    clock.advance(59_999);
    await b.tick();
    expect(seen).toEqual([]);
    clock.advance(1);
    const bTick = b.tick();
    release();
    await Promise.all([stuck, bTick]);
    // Both sends reached the (recording) provider — the window the module comment documents — but only b's settled.
    expect(ch.email.sent.map((s) => s.inDoubt).sort()).toEqual([false, true]);
    expect(seen.map((x) => [x.result, x.inDoubt, x.attempt])).toEqual([['sent', true, 2]]);
    const jobs = await outbox.jobs('acme', 't-1/1/warning/1/0');
    expect(jobs.map((j) => [j.kind, j.state, j.claims])).toEqual([
      ['expand', 'done', 1],
      ['deliver', 'done', 2],
    ]);
  });

  it('uses the tenant language when the person has none, and the deployment default last', async () => {
    const { outbox, ch, run } = setup(['email', 'log'], { tenantLanguages: { acme: 'zh-CN' }, defaultLanguage: 'en' });
    const contacts = contactsOf([{ personId: 'x', addresses: { email: 'x@e' } }]);
    const w = new DeliveryWorker({
      outbox,
      clock: new ManualClock(1_000),
      contacts,
      channels: [ch.email],
      tenantLanguages: { acme: 'zh-CN' },
    });
    await outbox.raise(sampleAlert({ channel: 'email', recipients: ['user:x'] }));
    await outbox.raise(sampleAlert({ id: 'other', tenant: 'other', channel: 'email', recipients: ['user:x'] }));
    await w.tick();
    await w.tick();
    expect(ch.email.sent.map((s) => [s.alert.tenant, s.message.language])).toEqual([
      ['acme', 'zh-CN'],
      ['other', 'en'],
    ]);
    await run();
  });

  it('retries the expansion when the directory fails, and reports the error', async () => {
    const { outbox, ch, clock } = setup();
    let down = true;
    const errors: unknown[] = [];
    const w = new DeliveryWorker({
      outbox,
      clock,
      channels: [ch.email],
      retryBaseMs: 5_000,
      contacts: { contacts: async (t, r) => (down ? Promise.reject(new Error('directory down')) : contactsOf([ann]).contacts(t, r)) },
    });
    w.on('error', (e) => errors.push(e));
    await outbox.raise(sampleAlert({ channel: 'email', recipients: ['user:ann'] }));
    await w.tick();
    expect(errors).toHaveLength(1);
    down = false;
    clock.advance(5_000);
    await w.tick();
    await w.tick();
    expect(ch.email.sent).toHaveLength(1);
  });
});
