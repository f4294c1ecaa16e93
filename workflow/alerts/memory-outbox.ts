import { alertRequestProblem, type AlertRequest } from '../../core/alerts.js';
import { workflowError } from '../errors.js';
import {
  type AlertOutbox,
  type ClaimedJob,
  DEFAULT_OUTBOX_RETENTION_MS,
  expandJobId,
  type JobStatus,
  type OutboxJob,
  type Settlement,
  statusFields,
} from './outbox.js';

interface Entry {
  job: OutboxJob;
  state: JobStatus['state'];
  claims: number;
  failures: number;
  result?: string;
  /** Due time while pending/retry, lease deadline while leased. */
  at: number;
  /** Epoch ms it finished (done/failed), for expiry. */
  finished?: number;
}

/**
 * The in-memory {@link AlertOutbox}: one process, nothing survives it (the embedded default and unit tests).
 * Same semantics as the Redis one; finished jobs and dedupe marks are forgotten after the retention.
 */
export class MemoryAlertOutbox implements AlertOutbox {
  readonly #jobs = new Map<string, Entry>();
  readonly #dedupe = new Map<string, number>();
  readonly #byAlert = new Map<string, Set<string>>();
  /** Jobs not finished: what claims and nextDueAt look at. */
  readonly #live = new Set<Entry>();
  readonly #retentionMs: number;
  #lastExpiry = Number.NEGATIVE_INFINITY;

  /** @param retentionMs how long finished jobs are kept for status, ms */
  constructor(options: { readonly retentionMs?: number } = {}) {
    this.#retentionMs = options.retentionMs ?? DEFAULT_OUTBOX_RETENTION_MS;
  }

  async raise(alert: AlertRequest, options: { readonly dedupeMs?: number } = {}): Promise<boolean> {
    const problem = alertRequestProblem(alert);
    if (problem)
      throw workflowError('SLUICE_ERR_ALERT_INVALID', `alert refused: ${problem}`, { details: { field: problem.split(' ')[0] } });
    const key = `${alert.tenant}\0${alert.id}`;
    const until = this.#dedupe.get(key);
    if (until !== undefined && until > alert.at) return false;
    this.#dedupe.set(key, alert.at + (options.dedupeMs ?? this.#retentionMs));
    this.#add({ kind: 'expand', id: expandJobId(alert), tenant: alert.tenant, alert }, alert.at);
    return true;
  }

  #add(job: OutboxJob, now: number): void {
    const key = `${job.tenant}\0${job.id}`;
    if (this.#jobs.has(key)) return;
    const entry: Entry = { job, state: 'pending', claims: 0, failures: 0, at: now };
    this.#jobs.set(key, entry);
    this.#live.add(entry);
    const alertKey = `${job.tenant}\0${job.alert.id}`;
    const set = this.#byAlert.get(alertKey) ?? new Set<string>();
    set.add(key);
    this.#byAlert.set(alertKey, set);
  }

  async claim(now: number, limit: number, leaseMs: number): Promise<ClaimedJob[]> {
    this.#expire(now);
    const expired = [...this.#live].filter((e) => e.state === 'leased' && e.at <= now).sort((a, b) => a.at - b.at);
    const due = [...this.#live].filter((e) => (e.state === 'pending' || e.state === 'retry') && e.at <= now).sort((a, b) => a.at - b.at);
    return [...expired, ...due].slice(0, limit).map((e) => {
      e.state = 'leased';
      e.claims += 1;
      e.at = now + leaseMs;
      return { job: e.job, token: String(e.claims), claims: e.claims, failures: e.failures };
    });
  }

  async settle(tenant: string, jobId: string, token: string, s: Settlement, now: number): Promise<boolean> {
    const e = this.#jobs.get(`${tenant}\0${jobId}`);
    if (e?.state !== 'leased' || String(e.claims) !== token) return false;
    e.state = s.state;
    if (s.result !== undefined) e.result = s.result;
    if (s.state === 'retry') {
      e.failures += 1;
      e.at = s.dueAt ?? now;
    } else {
      e.finished = now;
      this.#live.delete(e);
    }
    for (const job of s.add ?? []) this.#add(job, now);
    return true;
  }

  async jobs(tenant: string, alertId: string): Promise<JobStatus[]> {
    return [...(this.#byAlert.get(`${tenant}\0${alertId}`) ?? [])]
      .flatMap((k) => {
        const e = this.#jobs.get(k);
        return e
          ? [
              {
                id: e.job.id,
                ...statusFields(e.job),
                state: e.state,
                claims: e.claims,
                failures: e.failures,
                ...(e.result !== undefined && { result: e.result }),
              },
            ]
          : [];
      })
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async nextDueAt(): Promise<number | undefined> {
    let next: number | undefined;
    for (const e of this.#live) if (next === undefined || e.at < next) next = e.at;
    return next;
  }

  /** Forgets finished jobs and dedupe marks past the retention (bounded memory). */
  #expire(now: number): void {
    if (now - this.#lastExpiry < 60_000) return;
    this.#lastExpiry = now;
    for (const [k, e] of this.#jobs) {
      if (e.finished !== undefined && e.finished + this.#retentionMs <= now) {
        this.#jobs.delete(k);
        this.#byAlert.get(`${e.job.tenant}\0${e.job.alert.id}`)?.delete(k);
      }
    }
    for (const [k, until] of this.#dedupe) if (until <= now) this.#dedupe.delete(k);
  }
}
