/**
 * The shapes of alert delivery: the ways a message leaves Sluice (delivery channels), one delivery (an alert to
 * one recipient over one channel), the rendered message, and the port every channel adapter implements.
 */
import type { AlertRequest } from '../../core/alerts.js';
import type { ContactChannel } from '../people/ports.js';

/**
 * How one delivery leaves: a person's address channels, a WeChat Work group robot post (`wecom-robot`, one per
 * alert, mentioning the recipients' mobiles), and `log`.
 */
export type DeliveryChannel = ContactChannel | 'wecom-robot' | 'log';

/** Every delivery channel, in the default order of preference of a person who states none. */
export const DELIVERY_CHANNELS: readonly DeliveryChannel[] = ['wecom', 'email', 'sms', 'voice', 'webhook', 'wecom-robot', 'log'];

/** Recipient id of deliveries that go to no person: the log, the group robot, the deployment's fallback webhook. */
export const SYSTEM_RECIPIENTS = Object.freeze({ log: '~log', robot: '~robot', fallback: '~fallback' });

/** One alert to one recipient over one channel: the unit the outbox retries and deduplicates. */
export interface Delivery {
  /** `<alert id>|<recipient>|<channel>`: deterministic, so a retried expansion adds nothing. */
  readonly id: string;
  readonly tenant: string;
  readonly alertId: string;
  /** Person id, or one of {@link SYSTEM_RECIPIENTS}. */
  readonly recipient: string;
  /** Display name of the person, when known. */
  readonly name?: string;
  readonly channel: DeliveryChannel;
  /** E-mail address, E.164 number, WeChat Work user id, webhook URL; for the robot, the mobiles to mention (comma-separated). */
  readonly address: string;
  /** Language the message is rendered in (the person's, else the alert's, else the deployment's). */
  readonly language: string;
  /** The person's channels still to try, in order, should this one fail for good. */
  readonly fallbacks: readonly { readonly channel: DeliveryChannel; readonly address: string }[];
}

/** A message rendered for one channel and language. */
export interface RenderedMessage {
  /** E-mail subject (other channels ignore it). */
  readonly subject: string;
  /** The text: the e-mail body, the chat message, the SMS (short). */
  readonly text: string;
  /** What a voice call says: one or two sentences. */
  readonly speech: string;
  /** BCP 47 language of the text, for the voice engine. */
  readonly language: string;
}

/** What a channel is handed for one attempt. */
export interface SendRequest {
  readonly delivery: Delivery;
  readonly alert: AlertRequest;
  readonly message: RenderedMessage;
  /** 1 for the first attempt of this delivery. */
  readonly attempt: number;
  /**
   * True when an earlier attempt was claimed and never settled (its worker died mid-send): the channel should
   * use the provider's idempotency means (same key, same message id) so a send that did happen is not repeated.
   */
  readonly inDoubt: boolean;
}

/** What a provider said about a send that it accepted. */
export interface SendReceipt {
  /** The provider's id of the message or call (Twilio SID, WeChat msgid, SMTP message id), when it gives one. */
  readonly providerId?: string;
}

/**
 * A channel adapter. `send` resolves once the provider accepted the message and rejects with a SluiceError
 * `SLUICE_ERR_ALERT_SEND_FAILED` otherwise, whose `retriable` says whether the same send may succeed later
 * (network, timeout, 429, 5xx) or never will (a refused address, bad credentials).
 */
export interface AlertChannel {
  readonly channel: DeliveryChannel;
  send(request: SendRequest): Promise<SendReceipt>;
  /** Releases connections (SMTP pool). */
  close?(): Promise<void>;
}
