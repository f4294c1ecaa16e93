import { workflowError } from '../errors.js';
import type { SlaTimer } from './timer-store.js';

/** A fired SLA timer on its way to a channel. */
export interface Notification {
  /** The timer that fired. */
  readonly timer: SlaTimer;
  /** Epoch ms the timer service fired it. */
  readonly firedAt: number;
  /** True when the timer fell due before the timer service started (it waited through downtime). */
  readonly late: boolean;
  /** `firedAt - timer.dueAt`, ms ≥ 0. */
  readonly latenessMs: number;
}

/** Delivers notifications; the timer service's only way out. */
export interface Notifier {
  /** Delivers one notification; rejects when delivery failed. */
  notify(notification: Notification): Promise<void>;
}

/** A channel plugin (`log`, `webhook`, `sms`, …). */
export interface NotificationChannel {
  /** Name warnings refer to in flow definitions. */
  readonly name: string;
  /** Sends one notification; rejects on failure (a `retriable` error invites a retry). */
  send(notification: Notification): Promise<void>;
}

/** Options of {@link ChannelRegistry}. */
export interface ChannelRegistryOptions {
  /**
   * Channel that carries notifications for channels nobody registered (the design's
   * "webhook by default": the receiving system sends the SMS or places the call).
   */
  readonly fallback?: string;
}

/**
 * Channel plugins by name; a {@link Notifier} that routes each notification to the channel
 * its timer names, or to the fallback.
 *
 * @example
 * const notifier = new ChannelRegistry({ fallback: 'webhook' })
 *   .register(createLogChannel(logger))
 *   .register(createWebhookChannel({ url }));
 */
export class ChannelRegistry implements Notifier {
  readonly #channels = new Map<string, NotificationChannel>();
  readonly #fallback: string | undefined;

  /** @param options fallback channel name */
  constructor(options: ChannelRegistryOptions = {}) {
    this.#fallback = options.fallback;
  }

  /** Adds or replaces a channel; returns this registry for chaining. */
  register(channel: NotificationChannel): this {
    this.#channels.set(channel.name, channel);
    return this;
  }

  /** True when a channel of that name is registered. */
  has(name: string): boolean {
    return this.#channels.has(name);
  }

  /** Names of the registered channels, sorted. */
  names(): string[] {
    return [...this.#channels.keys()].sort();
  }

  /** The channel a timer naming `name` is delivered through, after fallback. */
  resolve(name: string): NotificationChannel {
    const channel = this.#channels.get(name) ?? (this.#fallback === undefined ? undefined : this.#channels.get(this.#fallback));
    if (!channel) {
      throw workflowError(
        'SLUICE_ERR_UNKNOWN_CHANNEL',
        `no notification channel "${name}"${this.#fallback === undefined ? '' : ` and no fallback "${this.#fallback}"`} (registered: ${this.names().join(', ') || 'none'})`,
      );
    }
    return channel;
  }

  async notify(notification: Notification): Promise<void> {
    await this.resolve(notification.timer.channel).send(notification);
  }
}

/** The JSON body channels send: the notification flattened, stable for receivers. */
export function notificationPayload(n: Notification): Record<string, unknown> {
  const t = n.timer;
  return {
    tenant: t.tenant,
    ticketId: t.ticketId,
    nodeId: t.nodeId,
    kind: t.kind,
    level: t.level,
    repeat: t.repeat,
    channel: t.channel,
    recipients: t.recipients,
    message: t.message,
    timerId: t.id,
    attempt: t.attempt,
    dueAt: new Date(t.dueAt).toISOString(),
    firedAt: new Date(n.firedAt).toISOString(),
    late: n.late,
    latenessMs: n.latenessMs,
  };
}
