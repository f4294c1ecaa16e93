import type { Logger } from '../../../core/logger.js';
import type { AlertChannel, SendReceipt, SendRequest } from '../types.js';
import { webhookBody } from './webhook.js';

/**
 * The `log` channel: one structured line per delivery (`event: "alert"`, the alert's facts, the rendered text).
 * The embedded default's only channel, and the last resort of an alert that reaches nobody.
 */
export function createAlertLogChannel(logger: Pick<Logger, 'info'>): AlertChannel {
  return {
    channel: 'log',
    async send(r: SendRequest): Promise<SendReceipt> {
      logger.info({ event: 'alert', ...webhookBody(r) }, r.message.subject);
      return {};
    },
  };
}
