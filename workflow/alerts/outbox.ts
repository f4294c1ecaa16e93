/**
 * The alert outbox: where raised alerts wait for delivery, shared by every instance (Redis) or kept in the
 * process (the in-memory twin). Two kinds of job go through it: an alert's `expand` job (resolve the recipients,
 * add one `deliver` job per recipient and channel) and the `deliver` jobs. A job is claimed with a lease and a
 * token; only the holder of the current token may settle it, and settling is atomic: the job's new state, its
 * removal from the lease set and the jobs it adds (each at most once, by id) happen together, so a delivery is
 * marked sent before it stops being leased, and a worker whose lease ran out cannot overwrite what its successor
 * did.
 */
import type { AlertRequest, AlertSink } from '../../core/alerts.js';
import type { Delivery } from './types.js';

/** One unit of outbox work. */
export type OutboxJob =
  | { readonly kind: 'expand'; readonly id: string; readonly tenant: string; readonly alert: AlertRequest }
  | { readonly kind: 'deliver'; readonly id: string; readonly tenant: string; readonly alert: AlertRequest; readonly delivery: Delivery };

/** A job handed to a worker. */
export interface ClaimedJob {
  readonly job: OutboxJob;
  /** Lease token: {@link AlertOutbox.settle} with it; a later claim makes it stale. */
  readonly token: string;
  /** Claims of this job so far, this one included (1 the first time). */
  readonly claims: number;
  /** Retries settled so far. */
  readonly failures: number;
}

/** True when an earlier claim of the job was never settled: its worker died (or stalled past its lease) mid-send. */
export const inDoubt = (c: ClaimedJob): boolean => c.claims > c.failures + 1;

/** How a claimed job ends. */
export interface Settlement {
  /** `done` (sent, or expanded), `retry` (pending again at `dueAt`), `failed` (given up). */
  readonly state: 'done' | 'retry' | 'failed';
  /** Epoch ms a retry falls due (required with `retry`). */
  readonly dueAt?: number;
  /** Jobs to add with it, due now; a job whose id exists already is not added again. */
  readonly add?: readonly OutboxJob[];
  /** What happened, kept on the job for its status (`sent`, `undeliverable: no address`, the error). */
  readonly result?: string;
}

/** A job as {@link AlertOutbox.jobs} reports it. */
export interface JobStatus {
  readonly id: string;
  readonly kind: OutboxJob['kind'];
  readonly state: 'pending' | 'leased' | 'done' | 'retry' | 'failed';
  readonly claims: number;
  readonly failures: number;
  readonly result?: string;
  /** For deliver jobs. */
  readonly recipient?: string;
  readonly channel?: string;
}

/** Default time a raised alert id keeps duplicates out, and finished jobs are kept for their status, ms (7 days). */
export const DEFAULT_OUTBOX_RETENTION_MS = 7 * 24 * 3_600_000;

/** See the module comment. Every method keys by tenant; `claim` serves every tenant, oldest due first. */
export interface AlertOutbox extends AlertSink {
  /**
   * Stores the alert's expand job (id `<alert id>@<at>`, due at once) unless an alert with the same tenant and id
   * was raised within `dedupeMs` (default the retention).
   */
  raise(alert: AlertRequest, options?: { readonly dedupeMs?: number }): Promise<boolean>;
  /**
   * Atomically leases up to `limit` jobs to the caller until `now + leaseMs`: first those whose lease ran out,
   * then pending ones due by `now`, earliest first.
   */
  claim(now: number, limit: number, leaseMs: number): Promise<ClaimedJob[]>;
  /**
   * Settles a claimed job (see {@link Settlement}).
   *
   * @returns false, changing nothing, when the token is stale (another claim took the job over)
   */
  settle(tenant: string, jobId: string, token: string, settlement: Settlement, now: number): Promise<boolean>;
  /** The jobs of one alert id (every raise of it), for status and tests. */
  jobs(tenant: string, alertId: string): Promise<JobStatus[]>;
  /** Earliest instant anything needs a claimer (a due job, a lease deadline); undefined when nothing waits. */
  nextDueAt(): Promise<number | undefined>;
}

/** The id of an alert's expand job: one per raise. */
export const expandJobId = (alert: AlertRequest): string => `${alert.id}@${alert.at}`;

/** The fields of a job's status that come from its body. */
export function statusFields(job: OutboxJob): Pick<JobStatus, 'kind' | 'recipient' | 'channel'> {
  return job.kind === 'deliver'
    ? { kind: 'deliver', recipient: job.delivery.recipient, channel: job.delivery.channel }
    : { kind: 'expand' };
}
