/**
 * WeChat Work (企业微信): application messages to a person (`wecom`, the person's WeChat Work user id) and
 * group-robot posts (`wecom-robot`, one per alert, mentioning the recipients' mobiles). Both answer HTTP 200 with
 * `{errcode, errmsg}`: errcode 0 is success, anything else a failure.
 */
import type { Clock } from '../../../adapters/clock.js';
import { systemClock } from '../../../adapters/clock.js';
import { workflowError } from '../../errors.js';
import type { AlertChannel, SendReceipt, SendRequest } from '../types.js';
import { baseUrl, type HttpChannelOptions, jsonOf, request, retriableStatus } from './http.js';

/** WeChat Work errcodes worth a retry: system busy, frequency and concurrency limits. */
export const WECOM_RETRIABLE = new Set([-1, 45009, 45033, 45047]);
/** Errcodes meaning the access token is no longer valid: fetch a new one and send again at once. */
export const WECOM_TOKEN_INVALID = new Set([40014, 42001]);

const DEFAULT_BASE = 'https://qyapi.weixin.qq.com';

/** Fails with the errcode; retriable for busy and limit codes. */
function errcodeFailure(what: string, json: Record<string, unknown> | undefined, status: number): never {
  if (!json) {
    throw workflowError('SLUICE_ERR_ALERT_SEND_FAILED', `${what} answered ${status} without JSON`, {
      retriable: retriableStatus(status) || status === 200,
    });
  }
  const code = Number(json.errcode);
  throw workflowError('SLUICE_ERR_ALERT_SEND_FAILED', `${what} answered errcode ${code}: ${String(json.errmsg ?? '').slice(0, 200)}`, {
    retriable: WECOM_RETRIABLE.has(code) || retriableStatus(status),
  });
}

/** Settings of {@link createWeComRobotChannel}. */
export interface WeComRobotOptions extends HttpChannelOptions {
  /** The robot's webhook key (the `key=` of its URL). */
  readonly key: string;
  /** API base (default `https://qyapi.weixin.qq.com`). */
  readonly baseUrl?: string;
}

/**
 * Group robot: `POST {base}/cgi-bin/webhook/send?key=…` with
 * `{"msgtype":"text","text":{"content":…,"mentioned_mobile_list":[…]}}`. The delivery's address is the
 * comma-separated mobiles to mention (may be empty). The robot has no duplicate check of its own.
 */
export function createWeComRobotChannel(o: WeComRobotOptions): AlertChannel {
  const base = baseUrl('SLUICE_ALERT_WECOM_BASE_URL', o.baseUrl ?? DEFAULT_BASE);
  if (!/^[A-Za-z0-9-]{8,128}$/.test(o.key)) {
    throw workflowError(
      'SLUICE_ERR_ALERT_CHANNEL_CONFIG',
      'SLUICE_ALERT_WECOM_ROBOT_KEY must be the key of the robot webhook URL (letters, digits, -)',
    );
  }
  const url = `${base}/cgi-bin/webhook/send?key=${encodeURIComponent(o.key)}`;
  return {
    channel: 'wecom-robot',
    async send(r: SendRequest): Promise<SendReceipt> {
      const mobiles = r.delivery.address.split(',').filter((m) => m !== '');
      const body = { msgtype: 'text', text: { content: r.message.text, ...(mobiles.length > 0 && { mentioned_mobile_list: mobiles }) } };
      const res = await request(
        'WeChat Work robot',
        url,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
        o,
      );
      const json = jsonOf(res.body);
      if (res.status === 200 && json && Number(json.errcode) === 0) return {};
      return errcodeFailure('WeChat Work robot', json, res.status);
    },
  };
}

/** Settings of {@link createWeComAppChannel}. */
export interface WeComAppOptions extends HttpChannelOptions {
  readonly corpId: string;
  readonly corpSecret: string;
  /** The application's agent id (an integer). */
  readonly agentId: number;
  /** API base (default `https://qyapi.weixin.qq.com`). */
  readonly baseUrl?: string;
  /**
   * Seconds WeChat Work drops a repeat of the same request body (`duplicate_check_interval`, default 600, at most
   * 14 400): a send repeated after a worker died mid-send is not delivered twice.
   */
  readonly duplicateCheckSeconds?: number;
  readonly clock?: Clock;
}

/**
 * Application messages: `GET {base}/cgi-bin/gettoken?corpid&corpsecret` → `access_token`, cached until 5 minutes
 * before its `expires_in` (one fetch at a time); `POST {base}/cgi-bin/message/send?access_token=…` with
 * `{"touser":"<id>","msgtype":"text","agentid":…,"text":{"content":…},"enable_duplicate_check":1,
 * "duplicate_check_interval":…}`. errcode 40014/42001 (token invalid or expired) fetch a new token and send once
 * more; a user id WeChat Work reports in `invaliduser` fails the delivery for good.
 */
export function createWeComAppChannel(o: WeComAppOptions): AlertChannel {
  const base = baseUrl('SLUICE_ALERT_WECOM_BASE_URL', o.baseUrl ?? DEFAULT_BASE);
  const clock = o.clock ?? systemClock;
  if (o.corpId === '' || o.corpSecret === '') {
    throw workflowError(
      'SLUICE_ERR_ALERT_CHANNEL_CONFIG',
      'SLUICE_ALERT_WECOM_CORP_ID and SLUICE_ALERT_WECOM_CORP_SECRET must both be set',
    );
  }
  if (!Number.isSafeInteger(o.agentId) || o.agentId <= 0) {
    throw workflowError('SLUICE_ERR_ALERT_CHANNEL_CONFIG', 'SLUICE_ALERT_WECOM_AGENT_ID must be a positive integer');
  }
  const interval = Math.min(14_400, Math.max(1, Math.round(o.duplicateCheckSeconds ?? 600)));
  let token: { value: string; until: number } | undefined;
  let fetching: Promise<string> | undefined;

  const fetchToken = async (): Promise<string> => {
    const url = `${base}/cgi-bin/gettoken?corpid=${encodeURIComponent(o.corpId)}&corpsecret=${encodeURIComponent(o.corpSecret)}`;
    const res = await request('WeChat Work gettoken', url, { method: 'GET', headers: { accept: 'application/json' } }, { ...o, clock });
    const json = jsonOf(res.body);
    if (res.status !== 200 || !json || Number(json.errcode ?? 0) !== 0 || typeof json.access_token !== 'string') {
      return errcodeFailure('WeChat Work gettoken', json, res.status);
    }
    const expiresIn = typeof json.expires_in === 'number' ? json.expires_in : 7_200;
    token = { value: json.access_token, until: clock.now() + Math.max(60, expiresIn - 300) * 1000 };
    return token.value;
  };
  const currentToken = (): Promise<string> => {
    if (token && token.until > clock.now()) return Promise.resolve(token.value);
    fetching ??= fetchToken().finally(() => {
      fetching = undefined;
    });
    return fetching;
  };

  const sendOnce = async (r: SendRequest, accessToken: string) => {
    const body = {
      touser: r.delivery.address,
      msgtype: 'text',
      agentid: o.agentId,
      text: { content: r.message.text },
      enable_duplicate_check: 1,
      duplicate_check_interval: interval,
    };
    const url = `${base}/cgi-bin/message/send?access_token=${encodeURIComponent(accessToken)}`;
    const res = await request(
      'WeChat Work message/send',
      url,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      { ...o, clock },
    );
    return { res, json: jsonOf(res.body) };
  };

  return {
    channel: 'wecom',
    async send(r: SendRequest): Promise<SendReceipt> {
      let { res, json } = await sendOnce(r, await currentToken());
      if (json && WECOM_TOKEN_INVALID.has(Number(json.errcode))) {
        token = undefined;
        ({ res, json } = await sendOnce(r, await currentToken()));
      }
      if (res.status === 200 && json && Number(json.errcode) === 0) {
        const invalid = [json.invaliduser, json.unlicenseduser].filter((x) => typeof x === 'string' && x !== '');
        if (invalid.length > 0) {
          throw workflowError(
            'SLUICE_ERR_ALERT_SEND_FAILED',
            `WeChat Work message/send: user ${invalid.join(', ')} cannot receive messages`,
            {
              retriable: false,
            },
          );
        }
        return typeof json.msgid === 'string' ? { providerId: json.msgid } : {};
      }
      return errcodeFailure('WeChat Work message/send', json, res.status);
    },
  };
}
