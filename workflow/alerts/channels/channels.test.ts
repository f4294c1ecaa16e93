import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../adapters/clock.js';
import { isSluiceError } from '../../../core/errors.js';
import { startProviders, type ProviderStandIn } from '../../../test/support/providers.js';
import { startSmtpServer, type SmtpStandIn } from '../../../test/support/smtp.js';
import { sampleAlert } from '../outbox.contract.js';
import { renderAlert } from '../templates.js';
import type { Delivery, SendRequest } from '../types.js';
import { createEmailChannel, messageIdOf, smtpOptions } from './email.js';
import { createSmsChannel, createVoiceChannel, twilioProvider } from './telephony.js';
import { createSignedWebhookChannel, verifyWebhookSignature, webhookSignature } from './webhook.js';
import { createWeComAppChannel, createWeComRobotChannel } from './wecom.js';

const T0 = Date.UTC(2026, 2, 2, 9, 30); // Monday 2 March 2026, 09:30 UTC
const alert = sampleAlert({
  id: 'fr-1/2/warning/2/0',
  ticketId: 'fr-1',
  at: T0,
  facts: {
    ticketId: 'fr-1',
    ticketTitle: 'Late fee',
    nodeId: 'manager',
    level: 2,
    repeat: 0,
    used: '45m',
    total: '1h',
    message: 'Please decide.',
  },
});
const request = (channel: Delivery['channel'], address: string, language = 'en'): SendRequest => {
  const delivery: Delivery = {
    id: `${alert.id}@${alert.at}|ann|${channel}`,
    tenant: 'acme',
    alertId: alert.id,
    recipient: 'ann',
    channel,
    address,
    language,
    fallbacks: [],
  };
  return { delivery, alert, message: renderAlert(alert, channel, language), attempt: 1, inDoubt: false };
};
const failure = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isSluiceError(err, 'SLUICE_ERR_ALERT_SEND_FAILED'), String(err)).toBe(true);
  return err as Error & { retriable: boolean };
};

let smtp: SmtpStandIn;
let providers: ProviderStandIn;
beforeAll(async () => {
  [smtp, providers] = await Promise.all([startSmtpServer({ auth: { user: 'alerts', pass: 's3cret pass' } }), startProviders()]);
});
afterAll(async () => {
  await Promise.all([smtp?.close(), providers?.close()]);
});

describe('email over SMTP (nodemailer → smtp-server)', () => {
  it('sends one message, byte for byte, with the deterministic Message-ID', async () => {
    const clock = new ManualClock(T0);
    const email = createEmailChannel({ url: smtp.url, from: 'Sluice alerts <alerts@sluice.example>', clock });
    const receipt = await email.send(request('email', 'ann@bank.example'));
    await email.close?.();
    expect(receipt.providerId).toBe(messageIdOf(`${alert.id}@${alert.at}|ann|email`));
    const mail = smtp.received.at(-1)!;
    expect(mail).toMatchObject({ from: 'alerts@sluice.example', to: ['ann@bank.example'], user: 'alerts' });
    // What nodemailer puts on the wire (quoted-printable body, RFC 2047 subject), as smtp-server received it.
    expect(mail.raw).toBe(
      [
        'X-Sluice-Alert: acme/fr-1/2/warning/2/0',
        'Content-Language: en',
        'From: Sluice alerts <alerts@sluice.example>',
        'To: ann@bank.example',
        'Subject: =?UTF-8?Q?=5BSLA_L2=5D_Ticket_fr-1_=22Late_fee=22_?=',
        ' =?UTF-8?Q?at_manager?=',
        `Message-ID: ${messageIdOf(`${alert.id}@${alert.at}|ann|email`)}`,
        'Date: Mon, 02 Mar 2026 09:30:00 +0000',
        'Content-Transfer-Encoding: quoted-printable',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Ticket fr-1 "Late fee" has been waiting at "manager" for 45m of its 1h SLA =',
        '(warning level 2).',
        '',
      ].join('\r\n'),
    );
  });

  it('sends Chinese text in UTF-8 and retries a 4xx, refuses for good on a 5xx or bad credentials', async () => {
    const email = createEmailChannel({ url: smtp.url, from: 'alerts@sluice.example', clock: new ManualClock(T0) });
    await email.send(request('email', 'li@bank.example', 'zh-CN'));
    expect(smtp.received.at(-1)!.raw).toContain('Subject: =?UTF-8?');
    smtp.failNext(451);
    expect((await failure(email.send(request('email', 'ann@bank.example')))).retriable).toBe(true);
    smtp.failNext(550);
    expect((await failure(email.send(request('email', 'ann@bank.example')))).retriable).toBe(false);
    await email.close?.();
    const wrong = createEmailChannel({ url: smtp.url.replace('s3cret%20pass', 'nope'), from: 'alerts@sluice.example' });
    const err = await failure(wrong.send(request('email', 'ann@bank.example')));
    expect(err.retriable).toBe(false);
    expect(err.message).not.toContain('nope');
    await wrong.close?.();
  });

  it('reads TLS options from the URL and refuses anything else, naming the setting', () => {
    expect(smtpOptions('smtps://u:p%40ss@mail.example?tls.rejectUnauthorized=false')).toMatchObject({
      host: 'mail.example',
      port: 465,
      secure: true,
      auth: { user: 'u', pass: 'p@ss' },
      tls: { rejectUnauthorized: false },
    });
    expect(smtpOptions('smtp://mail.example?requireTLS=true')).toMatchObject({ port: 587, secure: false, requireTLS: true });
    expect(() => smtpOptions('http://mail.example')).toThrow(/SLUICE_ALERT_SMTP_URL must start with smtp/);
    expect(() => smtpOptions('smtp://mail.example?pool=true')).toThrow(/option "pool" is not one of/);
  });
});

describe('SMS and voice through Twilio (local stand-in checking the documented format)', () => {
  const twilio = () =>
    twilioProvider({
      accountSid: providers.settings.twilio.accountSid,
      authToken: providers.settings.twilio.authToken,
      from: '+15005550006',
      baseUrl: providers.url,
    });

  it('posts Messages.json and Calls.json as Twilio documents them', async () => {
    const sms = await createSmsChannel(twilio()).send(request('sms', '+8613800138000'));
    const call = await createVoiceChannel(twilio()).send(request('voice', '+8613800138000', 'zh-CN'));
    expect(sms.providerId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(call.providerId).toMatch(/^CA[0-9a-f]{32}$/);
    expect(providers.twilio.accepted.slice(-2)).toMatchObject([
      {
        sid: sms.providerId,
        kind: 'sms',
        to: '+8613800138000',
        from: '+15005550006',
        text: 'SLA L2: ticket fr-1 at manager, 45m of 1h used.',
      },
      {
        sid: call.providerId,
        kind: 'call',
        to: '+8613800138000',
        from: '+15005550006',
        language: 'zh-CN',
        text: '服务时限2级预警。工单fr-1在manager环节已用时45m，时限1h。',
      },
    ]);
    expect(providers.violations).toEqual([]);
  });

  it('does not send an SMS in doubt again when Twilio lists it as sent since the alert was raised', async () => {
    const channel = createSmsChannel(twilio());
    const first = await channel.send(request('sms', '+8613900139000'));
    const count = providers.twilio.accepted.length;
    const again = await channel.send({ ...request('sms', '+8613900139000'), inDoubt: true, alert: { ...alert, at: Date.now() - 60_000 } });
    expect(again.providerId).toBe(first.providerId);
    expect(providers.twilio.accepted).toHaveLength(count);
    // In doubt but never sent (the worker died before the provider took it): sent now.
    const other = { ...request('sms', '+8613700137000'), inDoubt: true, alert: { ...alert, at: Date.now() - 60_000 } };
    await channel.send(other);
    expect(providers.twilio.accepted).toHaveLength(count + 1);
    expect(providers.requests.filter((r) => r.method === 'GET' && r.url.includes('/Messages.json?')).at(-1)!.url).toMatch(
      /\?To=%2B8613700137000&From=%2B15005550006&DateSent%3E=\d{4}-\d{2}-\d{2}&PageSize=50$/,
    );
    expect(providers.violations).toEqual([]);
  });

  it('retries 429 and 5xx, refuses a number Twilio refuses (21211) for good', async () => {
    const channel = createSmsChannel(twilio());
    providers.twilio.failNext({ status: 429 });
    expect((await failure(channel.send(request('sms', '+8613800138000')))).retriable).toBe(true);
    providers.twilio.failNext({ status: 503 });
    expect((await failure(channel.send(request('sms', '+8613800138000')))).retriable).toBe(true);
    const bad = await failure(channel.send(request('sms', '12345')));
    expect(bad.retriable).toBe(false);
    expect(bad.message).toContain('code 21211');
    const wrongToken = twilioProvider({
      accountSid: providers.settings.twilio.accountSid,
      authToken: 'wrong',
      from: '+15005550006',
      baseUrl: providers.url,
    });
    expect((await failure(createSmsChannel(wrongToken).send(request('sms', '+8613800138000')))).retriable).toBe(false);
    providers.violations.length = 0; // the wrong token was a violation on purpose
  });

  it('refuses a bad account SID at start', () => {
    expect(() => twilioProvider({ accountSid: 'nope', authToken: 'x', from: '+1' })).toThrow(/SLUICE_ALERT_TWILIO_ACCOUNT_SID/);
  });
});

describe('WeChat Work (local stand-in checking the documented format)', () => {
  const app = (clock = new ManualClock(T0)) =>
    createWeComAppChannel({ ...providers.settings.wecom, baseUrl: providers.url, clock, duplicateCheckSeconds: 600 });

  it('fetches one access token, caches it, and sends application messages to the person', async () => {
    const before = providers.wecom.tokensIssued();
    const channel = app();
    await channel.send(request('wecom', 'ZhangSan', 'zh-CN'));
    await channel.send(request('wecom', 'LiSi'));
    expect(providers.wecom.tokensIssued() - before).toBe(1);
    expect(providers.wecom.delivered.slice(-2).map((d) => [d.kind, d.to])).toEqual([
      ['app', 'ZhangSan'],
      ['app', 'LiSi'],
    ]);
    expect(providers.wecom.delivered.at(-2)!.content).toContain('工单 fr-1「Late fee」');
    expect(providers.violations).toEqual([]);
  });

  it('fetches a new token on 42001 and sends again; a repeat of the same body is dropped by the duplicate check', async () => {
    const channel = app();
    await channel.send(request('wecom', 'WangWu'));
    providers.wecom.expireTokens();
    const before = providers.wecom.tokensIssued();
    const count = providers.wecom.delivered.length;
    await channel.send(request('wecom', 'ZhaoLiu'));
    expect(providers.wecom.tokensIssued() - before).toBe(1);
    // The same delivery again (a resend after a worker died mid-send): accepted, not delivered twice.
    await channel.send(request('wecom', 'ZhaoLiu'));
    expect(providers.wecom.delivered.slice(count).map((d) => d.to)).toEqual(['ZhaoLiu']);
  });

  it('retries busy and limit errcodes, fails for good on others and on HTTP 5xx retries', async () => {
    const channel = app();
    providers.wecom.failNext({ errcode: -1 });
    expect((await failure(channel.send(request('wecom', 'ann')))).retriable).toBe(true);
    providers.wecom.failNext({ errcode: 45009 });
    expect((await failure(channel.send(request('wecom', 'ann')))).retriable).toBe(true);
    providers.wecom.failNext({ errcode: 81013 });
    const e = await failure(channel.send(request('wecom', 'ann')));
    expect(e).toMatchObject({ retriable: false, message: 'WeChat Work message/send answered errcode 81013: scripted failure' });
    providers.wecom.failNext({ status: 502 });
    expect((await failure(channel.send(request('wecom', 'ann')))).retriable).toBe(true);
  });

  it('posts to the group robot, mentioning mobiles; a wrong key fails for good', async () => {
    const robot = createWeComRobotChannel({ key: providers.settings.wecom.robotKey, baseUrl: providers.url });
    await robot.send(request('wecom-robot', '+8613800138000,+8613900139000'));
    expect(providers.wecom.delivered.at(-1)).toEqual({
      kind: 'robot',
      to: providers.settings.wecom.robotKey,
      content: renderAlert(alert, 'wecom-robot', 'en').text,
      mentioned: ['+8613800138000', '+8613900139000'],
    });
    const wrong = createWeComRobotChannel({ key: 'wrong-key-12345678', baseUrl: providers.url });
    expect((await failure(wrong.send(request('wecom-robot', '')))).message).toContain('errcode 93000');
    expect(providers.violations).toEqual([]);
  });
});

describe('signed webhooks', () => {
  it('signs timestamp.body with HMAC-SHA256; the receiver verifies it and the delivery id', async () => {
    const channel = createSignedWebhookChannel({ secret: providers.settings.webhookSecret });
    await channel.send(request('webhook', `${providers.url}/hooks/ops`));
    await channel.send(request('webhook', `${providers.url}/hooks/ops`));
    const got = providers.webhooks.received.filter((r) => r.path === '/hooks/ops');
    expect(got).toHaveLength(1);
    expect(got[0]!.body).toMatchObject({
      tenant: 'acme',
      alertId: alert.id,
      ticketId: 'fr-1',
      level: 2,
      deliveryId: `${alert.id}@${alert.at}|ann|webhook`,
    });
    expect(providers.violations).toEqual([]);
  });

  it('retries 5xx and 429, fails for good on other statuses', async () => {
    const channel = createSignedWebhookChannel({ secret: providers.settings.webhookSecret });
    providers.webhooks.failNext({ status: 503 });
    expect((await failure(channel.send(request('webhook', `${providers.url}/hooks/x`)))).retriable).toBe(true);
    providers.webhooks.failNext({ status: 410 });
    expect((await failure(channel.send(request('webhook', `${providers.url}/hooks/x`)))).retriable).toBe(false);
  });

  it('verification refuses a changed body, another secret and a stale timestamp', () => {
    const body = '{"a":1}';
    const ts = '1772443800';
    const headers = { 'x-sluice-timestamp': ts, 'x-sluice-signature': webhookSignature('k'.repeat(16), ts, body) };
    const now = Number(ts) * 1000;
    expect(verifyWebhookSignature('k'.repeat(16), headers, body, now)).toBeNull();
    expect(verifyWebhookSignature('k'.repeat(16), headers, '{"a":2}', now)).toBe('signature does not match');
    expect(verifyWebhookSignature('j'.repeat(16), headers, body, now)).toBe('signature does not match');
    expect(verifyWebhookSignature('k'.repeat(16), headers, body, now + 300_001)).toBe('timestamp outside the replay window');
    expect(() => createSignedWebhookChannel({ secret: 'short' })).toThrow(/at least 16 characters/);
  });
});
