/**
 * A local HTTP stand-in for the SMS/voice and WeChat Work providers, and a webhook receiver, for tests. Every
 * request is checked against the provider's documented format — path, method, authentication, content type,
 * required fields and their form — and answered as the provider answers (Twilio: 201 with a SID, 400/401 with its
 * JSON error and code; WeChat Work: HTTP 200 with `errcode`/`errmsg`). A request that breaks the format is kept
 * in `violations` (a test asserts there are none) and refused as the provider would. Scripted failures
 * (`failNext`) answer 429/5xx or an errcode to exercise retries.
 *
 * Formats checked (provider documentation):
 * - Twilio `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`: basic auth `AccountSid:AuthToken`,
 *   `application/x-www-form-urlencoded`, `To` (E.164), `From`, `Body` (1–1600 characters).
 * - Twilio `POST /2010-04-01/Accounts/{AccountSid}/Calls.json`: same auth and encoding, `To` (E.164), `From`, and
 *   one of `Url`, `Twiml` (a `<Response>` document, here with one `<Say language="…">`), `ApplicationSid`.
 * - WeChat Work `GET /cgi-bin/gettoken?corpid=…&corpsecret=…` → `{errcode:0, access_token, expires_in:7200}`.
 * - WeChat Work `POST /cgi-bin/message/send?access_token=…`: JSON `{touser, msgtype:"text", agentid (integer),
 *   text:{content}}` (content at most 2048 bytes); a token not issued → errcode 40014, expired → 42001;
 *   `enable_duplicate_check: 1` drops a repeat of the same body within `duplicate_check_interval` seconds.
 * - WeChat Work robot `POST /cgi-bin/webhook/send?key=…`: JSON `{msgtype:"text", text:{content,
 *   mentioned_mobile_list?}}` or `{msgtype:"markdown", markdown:{content}}`; a wrong key → errcode 93000.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature, WEBHOOK_HEADERS } from '../../workflow/alerts/channels/webhook.js';

/** One request as it reached the stand-in. */
export interface ProviderRequest {
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The request line and header lines as they arrived (names in their case, in order). */
  readonly head: string;
  /** The body, byte for byte. */
  readonly body: string;
  readonly at: number;
}

/** An SMS or a call Twilio accepted. */
export interface TwilioItem {
  readonly sid: string;
  readonly kind: 'sms' | 'call';
  readonly to: string;
  readonly from: string;
  /** The SMS body, or the text of the call's `<Say>`. */
  readonly text: string;
  /** The `<Say language>` of a call. */
  readonly language?: string;
  /** Epoch ms it was accepted. */
  readonly at: number;
}

/** A WeChat Work message delivered to a user (application) or a group (robot). */
export interface WeComItem {
  readonly kind: 'app' | 'robot';
  /** The user id (application) or the robot key. */
  readonly to: string;
  readonly content: string;
  readonly mentioned?: readonly string[];
}

/** A scripted answer: an HTTP status (Twilio and WeChat Work) or a WeChat errcode (HTTP 200). */
export type ScriptedFailure = { readonly status: number } | { readonly errcode: number };

/** Settings of the stand-in. */
export interface ProviderSettings {
  readonly twilio: { readonly accountSid: string; readonly authToken: string };
  readonly wecom: { readonly corpId: string; readonly corpSecret: string; readonly agentId: number; readonly robotKey: string };
  /** Secret the webhook receiver verifies signatures with. */
  readonly webhookSecret: string;
}

/** A running stand-in. */
export interface ProviderStandIn {
  /** Base URL: the Twilio and WeChat Work base, and `…/hooks/<name>` for webhooks. */
  readonly url: string;
  readonly settings: ProviderSettings;
  /** Every request, in arrival order. */
  readonly requests: ProviderRequest[];
  /** Requests that broke the provider's documented format, with why. */
  readonly violations: { readonly url: string; readonly why: string }[];
  readonly twilio: { readonly accepted: TwilioItem[]; failNext(f: ScriptedFailure, times?: number): void };
  readonly wecom: {
    readonly delivered: WeComItem[];
    /** Access tokens issued so far. */
    readonly tokensIssued: () => number;
    /** Makes every token issued so far expired (the next send answers 42001). */
    expireTokens(): void;
    failNext(f: ScriptedFailure, times?: number): void;
  };
  /** Holds every request this long before handling it (a slow provider: a worker can die with requests in flight), ms. */
  delay(ms: number): void;
  readonly webhooks: {
    /** Deliveries with a valid signature, by path, with their parsed body; a repeated delivery id is kept once. */
    readonly received: {
      readonly path: string;
      readonly deliveryId: string;
      readonly body: Record<string, unknown>;
      readonly raw: string;
    }[];
    failNext(f: ScriptedFailure, times?: number): void;
  };
  close(): Promise<void>;
}

const E164 = /^\+[1-9]\d{1,14}$/;
/** The credentials the stand-in expects unless told otherwise. */
export const DEFAULT_SETTINGS: ProviderSettings = {
  twilio: { accountSid: `AC${'0123456789abcdef'.repeat(2)}`, authToken: 'twilio-test-token-0123456789' },
  wecom: {
    corpId: 'ww0123456789abcdef',
    corpSecret: 'wecom-secret-0123456789',
    agentId: 1000002,
    robotKey: '693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa',
  },
  webhookSecret: 'webhook-secret-0123456789abcdef',
};

/** Starts the stand-in on a free loopback port. */
export async function startProviders(
  settings: ProviderSettings = DEFAULT_SETTINGS,
  options: {
    /** The receiver's clock for the webhook replay window (default the wall clock), epoch ms. */ readonly now?: () => number;
  } = {},
): Promise<ProviderStandIn> {
  const now = options.now ?? Date.now;
  const requests: ProviderRequest[] = [];
  const violations: { url: string; why: string }[] = [];
  const twilioAccepted: TwilioItem[] = [];
  const wecomDelivered: WeComItem[] = [];
  const webhookReceived: ProviderStandIn['webhooks']['received'] = [];
  const seenDeliveries = new Set<string>();
  const scripts = { twilio: [] as ScriptedFailure[], wecom: [] as ScriptedFailure[], webhook: [] as ScriptedFailure[] };
  const tokens = new Map<string, { expired: boolean }>();
  const recent = new Map<string, number>();
  let seq = 0;
  let delayMs = 0;

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const violate = (req: IncomingMessage, why: string) => violations.push({ url: req.url ?? '', why });

  const twilio = (req: IncomingMessage, res: ServerResponse, body: string, path: string, q: URLSearchParams) => {
    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/.exec(path);
    const fail = (status: number, code: number, message: string) =>
      json(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
    if (m && req.method === 'GET' && m[2] === 'Messages') {
      // The Messages list: filters To, From, DateSent> (a day, YYYY-MM-DD), newest first.
      const expected = `Basic ${Buffer.from(`${settings.twilio.accountSid}:${settings.twilio.authToken}`).toString('base64')}`;
      if (req.headers.authorization !== expected)
        return (violate(req, 'Twilio basic auth missing or wrong'), fail(401, 20003, 'Authenticate'));
      const day = q.get('DateSent>');
      if (day !== null && !/^\d{4}-\d{2}-\d{2}$/.test(day))
        return (violate(req, `DateSent> must be YYYY-MM-DD, got ${day}`), fail(400, 20001, 'Invalid DateSent'));
      const messages = twilioAccepted
        .filter(
          (x) => x.kind === 'sms' && (q.get('To') === null || x.to === q.get('To')) && (q.get('From') === null || x.from === q.get('From')),
        )
        .reverse()
        .map((x) => ({
          sid: x.sid,
          to: x.to,
          from: x.from,
          body: x.text,
          status: 'delivered',
          date_created: new Date(x.at).toUTCString(),
        }));
      return json(res, 200, { messages, page: 0, page_size: Number(q.get('PageSize') ?? 50) });
    }
    if (!m || req.method !== 'POST') {
      violate(req, `not a Twilio resource: ${req.method} ${path}`);
      return fail(404, 20404, 'The requested resource was not found');
    }
    const expected = `Basic ${Buffer.from(`${settings.twilio.accountSid}:${settings.twilio.authToken}`).toString('base64')}`;
    if (m[1] !== settings.twilio.accountSid || req.headers.authorization !== expected) {
      violate(req, 'Twilio basic auth AccountSid:AuthToken missing or wrong');
      return fail(401, 20003, 'Authenticate');
    }
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
      violate(req, `Twilio content-type must be application/x-www-form-urlencoded, got ${req.headers['content-type']}`);
      return fail(400, 20001, 'Invalid content type');
    }
    const scripted = scripts.twilio.shift();
    if (scripted && 'status' in scripted) return fail(scripted.status, scripted.status === 429 ? 20429 : 20500, 'scripted failure');
    const form = new URLSearchParams(body);
    const to = form.get('To');
    const from = form.get('From');
    if (!to) return (violate(req, 'To is required'), fail(400, 21604, "A 'To' phone number is required."));
    if (!E164.test(to)) return fail(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (!from) return (violate(req, 'From is required'), fail(400, 21603, "A 'From' phone number is required."));
    const sid = (p: string) => `${p}${(++seq).toString(16).padStart(32, '0')}`;
    if (m[2] === 'Messages') {
      const text = form.get('Body');
      if (!text || [...text].length > 1600)
        return (violate(req, 'Body is required, at most 1600 characters'), fail(400, 21602, 'Message body is required.'));
      const item: TwilioItem = { sid: sid('SM'), kind: 'sms', to, from, text, at: Date.now() };
      twilioAccepted.push(item);
      return json(res, 201, { sid: item.sid, status: 'queued', to, from, body: text, account_sid: settings.twilio.accountSid });
    }
    const twiml = form.get('Twiml');
    if (!twiml && !form.get('Url') && !form.get('ApplicationSid')) {
      violate(req, 'a call needs one of Url, Twiml, ApplicationSid');
      return fail(400, 21205, 'Url parameter is required.');
    }
    const say = twiml ? /^<Response><Say language="([A-Za-z-]+)">([^<]*)<\/Say><\/Response>$/.exec(twiml) : null;
    if (twiml && !say) {
      violate(req, `Twiml is not a <Response><Say language="…">…</Say></Response> document: ${twiml}`);
      return fail(400, 12100, 'Document parse failure');
    }
    const unxml = (s: string) =>
      s.replace(/&(lt|gt|amp|apos|quot);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' })[e] as string);
    const item: TwilioItem = {
      sid: sid('CA'),
      kind: 'call',
      to,
      from,
      text: unxml(say?.[2] ?? ''),
      at: Date.now(),
      ...(say && { language: say[1]! }),
    };
    twilioAccepted.push(item);
    return json(res, 201, { sid: item.sid, status: 'queued', to, from, account_sid: settings.twilio.accountSid });
  };

  const wecom = (req: IncomingMessage, res: ServerResponse, body: string, path: string, q: URLSearchParams) => {
    const err = (errcode: number, errmsg: string) => json(res, 200, { errcode, errmsg });
    if (path === '/cgi-bin/gettoken') {
      if (req.method !== 'GET') return (violate(req, 'gettoken is a GET'), err(43004, 'method not allowed'));
      if (!q.get('corpid')) return (violate(req, 'corpid missing'), err(41002, 'corpid missing'));
      if (!q.get('corpsecret')) return (violate(req, 'corpsecret missing'), err(41004, 'corpsecret missing'));
      if (q.get('corpid') !== settings.wecom.corpId || q.get('corpsecret') !== settings.wecom.corpSecret)
        return err(40001, 'invalid credential');
      const token = randomBytes(24).toString('base64url');
      tokens.set(token, { expired: false });
      return json(res, 200, { errcode: 0, errmsg: 'ok', access_token: token, expires_in: 7200 });
    }
    if (req.method !== 'POST') return (violate(req, `${path} is a POST`), err(43004, 'method not allowed'));
    if (!String(req.headers['content-type']).startsWith('application/json'))
      violate(req, `content-type must be application/json, got ${req.headers['content-type']}`);
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return (violate(req, 'body is not JSON'), err(47001, 'data format error'));
    }
    const scripted = scripts.wecom.shift();
    if (scripted) return 'status' in scripted ? res.writeHead(scripted.status).end() : err(scripted.errcode, 'scripted failure');
    const text = msg.text as { content?: unknown; mentioned_mobile_list?: unknown } | undefined;
    const content = msg.msgtype === 'markdown' ? (msg.markdown as { content?: unknown } | undefined)?.content : text?.content;
    if (typeof content !== 'string' || content === '') return (violate(req, 'content missing'), err(44004, 'empty content'));
    if (path === '/cgi-bin/webhook/send') {
      if (q.get('key') !== settings.wecom.robotKey) return err(93000, 'invalid webhook url');
      if (msg.msgtype !== 'text' && msg.msgtype !== 'markdown')
        return (violate(req, `robot msgtype ${String(msg.msgtype)}`), err(40008, 'invalid message type'));
      if (Buffer.byteLength(content) > (msg.msgtype === 'text' ? 2048 : 4096))
        return (violate(req, 'robot content too long'), err(45002, 'content size out of limit'));
      const mentioned = text?.mentioned_mobile_list;
      if (mentioned !== undefined && !(Array.isArray(mentioned) && mentioned.every((x) => typeof x === 'string')))
        violate(req, 'mentioned_mobile_list must be an array of strings');
      wecomDelivered.push({
        kind: 'robot',
        to: settings.wecom.robotKey,
        content,
        ...(Array.isArray(mentioned) && { mentioned: mentioned as string[] }),
      });
      return err(0, 'ok');
    }
    if (path === '/cgi-bin/message/send') {
      const token = tokens.get(q.get('access_token') ?? '');
      if (!token) return err(40014, 'invalid access_token');
      if (token.expired) return err(42001, 'access_token expired');
      if (typeof msg.touser !== 'string' || msg.touser === '') return (violate(req, 'touser missing'), err(40031, 'invalid user list'));
      if (msg.msgtype !== 'text') return (violate(req, `msgtype ${String(msg.msgtype)}`), err(40008, 'invalid message type'));
      if (msg.agentid !== settings.wecom.agentId)
        return (
          violate(req, `agentid ${String(msg.agentid)} must be the integer ${settings.wecom.agentId}`), err(40056, 'invalid agentid')
        );
      if (Buffer.byteLength(content) > 2048) return (violate(req, 'content too long'), err(45002, 'content size out of limit'));
      if (msg.enable_duplicate_check === 1) {
        const last = recent.get(body);
        const interval = typeof msg.duplicate_check_interval === 'number' ? msg.duplicate_check_interval : 1800;
        if (last !== undefined && Date.now() - last < interval * 1000) return json(res, 200, { errcode: 0, errmsg: 'ok', msgid: 'dup' });
        recent.set(body, Date.now());
      }
      for (const user of msg.touser.split('|')) wecomDelivered.push({ kind: 'app', to: user, content });
      return json(res, 200, { errcode: 0, errmsg: 'ok', invaliduser: '', msgid: `msg${++seq}` });
    }
    violate(req, `not a WeChat Work path: ${path}`);
    return err(404, 'not found');
  };

  const webhook = (req: IncomingMessage, res: ServerResponse, body: string, path: string) => {
    const why = verifyWebhookSignature(settings.webhookSecret, req.headers, body, now());
    if (why) return (violate(req, `webhook signature: ${why}`), res.writeHead(401).end());
    const scripted = scripts.webhook.shift();
    if (scripted && 'status' in scripted) return res.writeHead(scripted.status).end();
    const deliveryId = String(req.headers[WEBHOOK_HEADERS.delivery] ?? '');
    if (!seenDeliveries.has(deliveryId)) {
      seenDeliveries.add(deliveryId);
      webhookReceived.push({ path, deliveryId, body: JSON.parse(body) as Record<string, unknown>, raw: body });
    }
    return res.writeHead(204).end();
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      // A slow provider: what it received it still handles after the client went away.
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      const body = Buffer.concat(chunks).toString('utf8');
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, head: lines.join('\r\n'), body, at: Date.now() });
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname.startsWith('/2010-04-01/')) return twilio(req, res, body, u.pathname, u.searchParams);
      if (u.pathname.startsWith('/cgi-bin/')) return wecom(req, res, body, u.pathname, u.searchParams);
      if (u.pathname.startsWith('/hooks/')) return webhook(req, res, body, u.pathname);
      violate(req, `unknown path ${u.pathname}`);
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  const script =
    (list: ScriptedFailure[]) =>
    (f: ScriptedFailure, times = 1) => {
      for (let i = 0; i < times; i++) list.push(f);
    };
  return {
    url: `http://127.0.0.1:${port}`,
    settings,
    requests,
    violations,
    twilio: { accepted: twilioAccepted, failNext: script(scripts.twilio) },
    wecom: {
      delivered: wecomDelivered,
      tokensIssued: () => tokens.size,
      expireTokens() {
        for (const t of tokens.values()) t.expired = true;
      },
      failNext: script(scripts.wecom),
    },
    webhooks: { received: webhookReceived, failNext: script(scripts.webhook) },
    delay(ms) {
      delayMs = ms;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
