import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../adapters/clock.js';
import { isSluiceError } from '../../../core/errors.js';
import { ChannelRegistry, type Notification } from '../notifier.js';
import { sampleTimer } from '../timer-store.contract.js';
import { createLogChannel } from './log.js';
import { createWebhookChannel, type FetchLike } from './webhook.js';

const note = (channel = 'webhook'): Notification => ({ timer: sampleTimer({ channel }), firedAt: 1_500, late: false, latenessMs: 500 });

describe('log channel', () => {
  it('writes one structured line per notification', async () => {
    const lines: object[] = [];
    await createLogChannel({ info: (obj) => lines.push(obj) }).send(note('log'));
    expect(lines).toEqual([expect.objectContaining({ event: 'sla.notification', ticketId: 't-1', level: 1, latenessMs: 500 })]);
  });
});

describe('webhook channel', () => {
  it('POSTs the notification as JSON', async () => {
    const calls: { url: string; body: unknown; headers: Record<string, string> }[] = [];
    const fetch: FetchLike = async (url, init) => {
      calls.push({ url, body: JSON.parse(init.body), headers: init.headers });
      return { ok: true, status: 204 };
    };
    await createWebhookChannel({ url: 'https://hooks.example/sla', fetch, headers: { authorization: 'Bearer x' } }).send(note());
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('https://hooks.example/sla');
    expect(calls[0]?.headers).toMatchObject({ 'content-type': 'application/json', authorization: 'Bearer x' });
    expect(calls[0]?.body).toMatchObject({
      tenant: 'acme',
      ticketId: 't-1',
      channel: 'webhook',
      dueAt: '1970-01-01T00:00:01.000Z',
      late: false,
    });
  });

  it('aborts after the timeout, measured on the injected clock', async () => {
    const clock = new ManualClock();
    const fetch: FetchLike = (_url, init) =>
      new Promise((_resolve, reject) => init.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    const sent = createWebhookChannel({ url: 'http://hooks.local', fetch, clock, timeoutMs: 2_000 }).send(note());
    clock.advance(1_999);
    clock.advance(1);
    const err = await sent.catch((e: unknown) => e);
    expect(isSluiceError(err, 'SLUICE_ERR_WEBHOOK_FAILED')).toBe(true);
    expect((err as Error).message).toBe('webhook http://hooks.local timed out after 2000 ms for timer t-1/1/warning/1/0');
    expect((err as { retriable: boolean }).retriable).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('fails retriably on 5xx and for good on 4xx', async () => {
    const status =
      (code: number): FetchLike =>
      async () => ({ ok: false, status: code });
    const e503 = await createWebhookChannel({ url: 'http://h', fetch: status(503), clock: new ManualClock() })
      .send(note())
      .catch((e: unknown) => e);
    const e400 = await createWebhookChannel({ url: 'http://h', fetch: status(400), clock: new ManualClock() })
      .send(note())
      .catch((e: unknown) => e);
    expect(e503).toMatchObject({
      code: 'SLUICE_ERR_WEBHOOK_FAILED',
      retriable: true,
      message: 'webhook http://h answered 503 for timer t-1/1/warning/1/0',
    });
    expect(e400).toMatchObject({ code: 'SLUICE_ERR_WEBHOOK_FAILED', retriable: false });
    // A password or token in the URL never reaches an error message (logs, ticket history).
    const leaky = await createWebhookChannel({
      url: 'https://ops:hunter2@hooks.example/sla?token=s3cret',
      fetch: status(500),
      clock: new ManualClock(),
    })
      .send(note())
      .catch((e: unknown) => e);
    expect((leaky as Error).message).toBe('webhook https://ops:***@hooks.example/sla?token=*** answered 500 for timer t-1/1/warning/1/0');
  });

  it('refuses a url that is not http(s)', () => {
    expect(() => createWebhookChannel({ url: 'ftp://x' })).toThrow(/must start with http/);
    expect(() => createWebhookChannel({ url: 'ftp://ops:hunter2@x' })).toThrow('url "ftp://ops:***@x/" must start with http');
  });
});

describe('ChannelRegistry', () => {
  it('routes by channel name and falls back for unregistered channels', async () => {
    const seen: string[] = [];
    const registry = new ChannelRegistry({ fallback: 'webhook' })
      .register({ name: 'sms', send: async (n) => void seen.push(`sms:${n.timer.level}`) })
      .register({ name: 'webhook', send: async (n) => void seen.push(`webhook:${n.timer.channel}`) });
    await registry.notify(note('sms'));
    await registry.notify(note('phone'));
    expect(seen).toEqual(['sms:1', 'webhook:phone']);
  });

  it('names the missing channel when there is no fallback', async () => {
    const registry = new ChannelRegistry().register(createLogChannel({ info: () => undefined }));
    await expect(registry.notify(note('sms'))).rejects.toMatchObject({
      code: 'SLUICE_ERR_UNKNOWN_CHANNEL',
      message: 'no notification channel "sms" (registered: log)',
    });
  });
});
