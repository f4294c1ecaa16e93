/**
 * The delivery worker: drains the outbox on the injected clock. An expand job resolves the alert's recipients
 * through the {@link ContactDirectory} and settles with one deliver job per recipient and channel; a deliver job
 * renders the template and sends it. A send that the provider accepted is settled `done` (marked sent) before the
 * job leaves the lease set; a retriable failure is retried with exponential backoff up to a cap and a number of
 * attempts; a failure for good (or the last attempt) moves down the person's channels, and past the end of them
 * to the deployment's fallback. Every attempt is reported (`attempt` event): the ticket's history and the metrics
 * listen to it.
 *
 * What "never sent twice" rests on: a job is leased to one worker at a time, and the lease (60 s) is far longer
 * than a send may take (channel timeouts of 10 s), so a live worker always settles before anyone else may claim.
 * The one window left is a worker that dies (or stalls past its lease) after the provider accepted a message and
 * before its settlement reached the outbox: the next claimer sees the job "in doubt" and sends again, with the
 * same delivery id — the webhook's `Idempotency-Key`/`X-Sluice-Delivery`, the e-mail's Message-ID, and WeChat
 * Work's duplicate check on the same request body make the provider or receiver drop that repeat; an SMS in doubt
 * is first looked up in Twilio's Messages list (same number, same text, since the alert was raised) and not sent
 * again when found. A voice call and a WeChat Work robot post have no such means: one in flight when its worker
 * died may be placed or posted twice.
 */
import type { Clock, TimerHandle } from '../../adapters/clock.js';
import type { AlertRequest } from '../../core/alerts.js';
import { Emitter, type Listener } from '../../core/emitter.js';
import type { ContactDirectory, RecipientContext } from '../people/ports.js';
import { type AlertOutbox, type ClaimedJob, inDoubt, type OutboxJob, type Settlement } from './outbox.js';
import { fallbackJob, logJob, nextFallback, type PlanContext, planDeliveries } from './plan.js';
import { renderAlert } from './templates.js';
import { type AlertChannel, type DeliveryChannel, type SendReceipt, SYSTEM_RECIPIENTS } from './types.js';

/** One attempt and its result: what the ticket's history and the metrics record. */
export interface DeliveryAttempt {
  readonly tenant: string;
  readonly alertId: string;
  readonly alertKind: AlertRequest['kind'];
  readonly ticketId?: string;
  readonly deliveryId: string;
  /** Person id, or `~log`, `~robot`, `~fallback`. */
  readonly recipient: string;
  readonly channel: DeliveryChannel;
  /** 1 for the first attempt of this delivery (0 for a channel skipped at planning). */
  readonly attempt: number;
  /** `sent`; `retry` (will be tried again); `failed` (given up on this channel); `undeliverable` (no address or adapter). */
  readonly result: 'sent' | 'retry' | 'failed' | 'undeliverable';
  /** Why it did not succeed. */
  readonly error?: string;
  /** The provider's message id, when it gave one. */
  readonly providerId?: string;
  /** An earlier attempt of this delivery was never settled (its worker died mid-send). */
  readonly inDoubt: boolean;
  /** Epoch ms. */
  readonly at: number;
}

/** Instrumentation events of {@link DeliveryWorker}. */
export interface DeliveryWorkerEvents {
  attempt: DeliveryAttempt;
  /** The outbox or the directory failed; the loop carries on. */
  error: unknown;
}

/** Options of {@link DeliveryWorker}. */
export interface DeliveryWorkerOptions {
  readonly outbox: AlertOutbox;
  readonly contacts: ContactDirectory;
  /** Adapters by delivery channel; `log` should always be there. */
  readonly channels: readonly AlertChannel[];
  readonly clock: Clock;
  /** The recipients' context of a ticket alert (the ticket's creator and fields), for refs like the creator's manager. */
  readonly context?: (tenant: string, ticketId: string) => Promise<RecipientContext | undefined>;
  /** Default language of each tenant (`SLUICE_ALERT_LANGUAGES`), else `defaultLanguage`. */
  readonly tenantLanguages?: Readonly<Record<string, string>>;
  /** The deployment's default language (default `en`). */
  readonly defaultLanguage?: string;
  /** The deployment's fallback webhook (`SLUICE_WEBHOOK_URL`). */
  readonly fallbackWebhook?: string;
  /** Longest sleep between polls, ms (default 1000). */
  readonly pollIntervalMs?: number;
  /** Jobs claimed per round trip (default 20). */
  readonly batchSize?: number;
  /** Lease of a claimed job, ms (default 60 000): far above the channels' timeouts. */
  readonly leaseMs?: number;
  /** Attempts per delivery on one channel, including the first (default 5). */
  readonly maxAttempts?: number;
  /** Delay before the first retry, ms, doubled for each further one (default 10 000). */
  readonly retryBaseMs?: number;
  /** Longest delay between retries, ms (default 600 000). */
  readonly retryCapMs?: number;
}

/** See the module comment. */
export class DeliveryWorker {
  readonly #o: Required<Omit<DeliveryWorkerOptions, 'context' | 'fallbackWebhook' | 'tenantLanguages'>> & DeliveryWorkerOptions;
  readonly #channels: Map<DeliveryChannel, AlertChannel>;
  readonly #plan: PlanContext;
  readonly #events = new Emitter<DeliveryWorkerEvents>();
  #handle: TimerHandle | undefined;
  #running = false;
  #inFlight: Promise<unknown> = Promise.resolve();

  /** @param options outbox, directory, channels, clock and tuning */
  constructor(options: DeliveryWorkerOptions) {
    this.#o = {
      pollIntervalMs: 1_000,
      batchSize: 20,
      leaseMs: 60_000,
      maxAttempts: 5,
      retryBaseMs: 10_000,
      retryCapMs: 600_000,
      defaultLanguage: 'en',
      ...options,
    };
    this.#channels = new Map(options.channels.map((c) => [c.channel, c]));
    const languages = options.tenantLanguages ?? {};
    this.#plan = {
      configured: new Set(this.#channels.keys()),
      language: (tenant) => languages[tenant] ?? this.#o.defaultLanguage,
      ...(options.fallbackWebhook !== undefined && { fallbackWebhook: options.fallbackWebhook }),
    };
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof DeliveryWorkerEvents>(event: K, listener: Listener<DeliveryWorkerEvents[K]>): () => void {
    return this.#events.on(event, listener);
  }

  /** Starts polling at once; a second call is a no-op. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#inFlight = this.#poll();
  }

  /** Stops polling, waits for the jobs in flight, and closes the channels. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#handle !== undefined) this.#o.clock.clearTimeout(this.#handle);
    this.#handle = undefined;
    await this.#inFlight;
    await Promise.all([...this.#channels.values()].map((c) => c.close?.().catch(() => undefined)));
  }

  async #poll(): Promise<void> {
    let delay = this.#o.pollIntervalMs;
    try {
      await this.tick();
      const next = await this.#o.outbox.nextDueAt();
      if (next !== undefined) delay = Math.min(delay, Math.max(0, next - this.#o.clock.now()));
    } catch (err) {
      this.#events.emit('error', err);
    }
    if (!this.#running) return;
    this.#handle = this.#o.clock.setTimeout(() => {
      this.#handle = undefined;
      this.#inFlight = this.#poll();
    }, delay);
  }

  /** Claims and handles every job due now, batch after batch (at most 50 batches a call). */
  async tick(): Promise<void> {
    for (let round = 0; round < 50; round++) {
      const batch = await this.#o.outbox.claim(this.#o.clock.now(), this.#o.batchSize, this.#o.leaseMs);
      await Promise.all(batch.map((c) => this.#handle1(c).catch((err: unknown) => this.#events.emit('error', err))));
      if (batch.length < this.#o.batchSize || !this.#running) return;
    }
  }

  #settle(c: ClaimedJob, s: Settlement): Promise<boolean> {
    return this.#o.outbox.settle(c.job.tenant, c.job.id, c.token, s, this.#o.clock.now());
  }

  #backoff(failures: number): number {
    return Math.min(this.#o.retryCapMs, this.#o.retryBaseMs * 2 ** failures);
  }

  async #handle1(c: ClaimedJob): Promise<void> {
    if (c.job.kind === 'expand') return this.#expand(c, c.job);
    return this.#deliver(c, c.job);
  }

  async #expand(c: ClaimedJob, job: Extract<OutboxJob, { kind: 'expand' }>): Promise<void> {
    const { alert } = job;
    let plan: ReturnType<typeof planDeliveries>;
    try {
      const context = alert.ticketId !== undefined && this.#o.context ? await this.#o.context(alert.tenant, alert.ticketId) : undefined;
      const contacts = alert.channel === 'log' ? [] : await this.#o.contacts.contacts(alert.tenant, alert.recipients, context);
      plan = planDeliveries(alert, contacts, this.#plan);
    } catch (err) {
      this.#events.emit('error', err);
      await this.#settle(c, {
        state: 'retry',
        dueAt: this.#o.clock.now() + this.#backoff(c.failures),
        result: `recipients: ${(err as Error).message}`,
      });
      return;
    }
    const settled = await this.#settle(c, { state: 'done', add: plan.jobs, result: `${plan.jobs.length} deliveries` });
    if (!settled) return;
    const at = this.#o.clock.now();
    for (const s of plan.skipped) {
      this.#report({
        tenant: alert.tenant,
        alertId: alert.id,
        alertKind: alert.kind,
        ...(alert.ticketId !== undefined && { ticketId: alert.ticketId }),
        deliveryId: `${job.id}|${s.recipient}|${s.channel}`,
        recipient: s.recipient,
        channel: s.channel,
        attempt: 0,
        result: 'undeliverable',
        error: s.reason,
        inDoubt: false,
        at,
      });
    }
  }

  async #deliver(c: ClaimedJob, job: Extract<OutboxJob, { kind: 'deliver' }>): Promise<void> {
    const { alert, delivery } = job;
    const base = {
      tenant: alert.tenant,
      alertId: alert.id,
      alertKind: alert.kind,
      ...(alert.ticketId !== undefined && { ticketId: alert.ticketId }),
      deliveryId: delivery.id,
      recipient: delivery.recipient,
      channel: delivery.channel,
      attempt: c.claims,
      inDoubt: inDoubt(c),
    };
    const channel = this.#channels.get(delivery.channel);
    let error: { message: string; retriable: boolean } | undefined;
    if (channel) {
      let receipt: SendReceipt | undefined;
      try {
        const message = renderAlert(alert, delivery.channel, delivery.language);
        receipt = await channel.send({ delivery, alert, message, attempt: c.claims, inDoubt: inDoubt(c) });
      } catch (err) {
        error = { message: (err as Error).message, retriable: (err as { retriable?: unknown }).retriable !== false };
      }
      if (receipt) {
        // Sent: reported even when the mark fails (the outbox is away: the job is claimed again, in doubt, after its lease).
        this.#report({
          ...base,
          result: 'sent',
          ...(receipt.providerId !== undefined && { providerId: receipt.providerId }),
          at: this.#o.clock.now(),
        });
        await this.#settle(c, { state: 'done', result: 'sent' });
        return;
      }
      error ??= { message: 'no receipt', retriable: true };
    } else error = { message: `channel ${delivery.channel} is not configured on this instance`, retriable: false };
    if (error.retriable && c.claims < this.#o.maxAttempts) {
      const dueAt = this.#o.clock.now() + this.#backoff(c.failures);
      await this.#settle(c, { state: 'retry', dueAt, result: error.message });
      this.#report({ ...base, result: 'retry', error: error.message, at: this.#o.clock.now() });
      return;
    }
    // Given up on this channel: the person's next one, else the deployment's fallback (never for the fallback itself).
    const next =
      nextFallback(job) ??
      (delivery.recipient === SYSTEM_RECIPIENTS.log
        ? undefined
        : delivery.recipient === SYSTEM_RECIPIENTS.fallback
          ? logJob(alert, this.#plan)
          : fallbackJob(alert, this.#plan));
    await this.#settle(c, { state: 'failed', result: error.message, ...(next && { add: [next] }) });
    this.#report({ ...base, result: 'failed', error: error.message, at: this.#o.clock.now() });
  }

  #report(a: DeliveryAttempt): void {
    this.#events.emit('attempt', a);
  }
}
