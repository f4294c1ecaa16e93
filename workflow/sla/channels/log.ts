import type { Logger } from '../../../core/logger.js';
import { notificationPayload, type Notification, type NotificationChannel } from '../notifier.js';

/**
 * A channel that writes each notification as a structured log line: the default for
 * breaches and a dry-run target for every other channel.
 *
 * @param logger e.g. a pino child logger
 * @param name channel name (default `log`)
 */
export function createLogChannel(logger: Pick<Logger, 'info'>, name = 'log'): NotificationChannel {
  return {
    name,
    async send(n: Notification): Promise<void> {
      logger.info({ event: 'sla.notification', ...notificationPayload(n) }, n.timer.message);
    },
  };
}
