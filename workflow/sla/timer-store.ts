/**
 * The durable side of SLA timers: a port the composition root fills with Redis (shared by
 * every workflow instance) or the in-memory twin. Every method keys by tenant.
 */

/** One scheduled firing: an SLA warning level (or repeat), the breach, or a notify node's message. Plain data. */
export interface SlaTimer {
  /** Deterministic id, unique within the tenant: the same firing always gets the same id. */
  readonly id: string;
  /** Tenant that owns the ticket. */
  readonly tenant: string;
  /** Ticket the timer belongs to. */
  readonly ticketId: string;
  /** Ticket revision that produced this timer; older revisions never overwrite newer ones. */
  readonly revision: number;
  /** Epoch ms the timer falls due. */
  readonly dueAt: number;
  /** `warning` (a level or one of its repeats), `breach`, or `notify` (sent by a notify node, due at once). */
  readonly kind: 'warning' | 'breach' | 'notify';
  /** Warning level (1-based); 0 for the breach and for notify. */
  readonly level: number;
  /** 0 for the first firing of a level, 1.. for repeats. */
  readonly repeat: number;
  /** Node the SLA (or notify node) belongs to. */
  readonly nodeId: string;
  /** Channel to notify on (`message`, `sms`, `email`, `phone`, `webhook`, `log` or a plugin's name). */
  readonly channel: string;
  /** Recipients as principal refs (`user:ann`, `group:managers`). */
  readonly recipients: readonly string[];
  /** Human-readable text of the notification. */
  readonly message: string;
  /** Delivery attempt, 1 for the first; retries are scheduled as new timers with a higher attempt. */
  readonly attempt: number;
  /** Flow id and version of the ticket (for SLA analytics). */
  readonly flow?: { readonly id: string; readonly version: number };
  /** Team working the node: the people source of its todos, e.g. `group:billing-managers` (for SLA analytics). */
  readonly team?: string;
  /** What the alert templates show: SLA time used at the firing and the SLA's length (`45m`, `1h`), the ticket's title. */
  readonly detail?: {
    readonly used?: string;
    readonly total?: string;
    readonly title?: string;
    /** The reminder method of the node's assignees (their todos' people spec `remind`). */
    readonly remind?: readonly string[];
  };
}

/** Names one timer: its tenant and id. */
export type TimerRef = Pick<SlaTimer, 'tenant' | 'id'>;

/** What {@link TimerStore.replace} did. */
export interface TimerReplacement {
  /** Pending timers of older revisions removed. */
  readonly removed: number;
  /** Timers scheduled (in flight or fired ids are not). */
  readonly scheduled: number;
  /** True when the store had seen a newer revision of the ticket: nothing changed. */
  readonly stale: boolean;
}

/** Throws when a timer handed to {@link TimerStore.replace} belongs to another tenant or ticket (a caller's bug). */
export function assertTimersOf(tenant: string, ticketId: string, timers: readonly SlaTimer[]): void {
  const other = timers.find((t) => t.tenant !== tenant || t.ticketId !== ticketId);
  if (other) throw new TypeError(`timer ${other.id} is of ticket ${other.tenant}/${other.ticketId}, not ${tenant}/${ticketId}`);
}

/** How long a claimed timer stays with its claimer before any instance may claim it again, ms. */
export const DEFAULT_TIMER_LEASE_MS = 60_000;

/**
 * Where SLA timers wait. Implementations must make `claimDue` atomic across processes.
 *
 * Claiming takes a lease instead of deleting: a claimed timer moves to an in-flight set
 * with a lease deadline, and only {@link TimerStore.ack} (sent after the notifier
 * succeeded) retires it and remembers its id as fired. An instance that dies between
 * claim and send loses nothing: once the lease expires any instance claims the timer
 * again. A timer in flight or fired is never scheduled again (after a pause, a re-applied
 * policy, a restart), so each firing happens once unless a claimer dies after sending
 * and before acking.
 */
export interface TimerStore {
  /**
   * Adds or moves one pending timer. Ignored (returns false) when the id is in flight or
   * has fired, or when the store has seen a newer revision of the ticket (a late writer
   * must not resurrect timers a newer transition removed).
   */
  schedule(timer: SlaTimer): Promise<boolean>;
  /**
   * Removes the ticket's pending timers scheduled before `revision` (all when omitted) and
   * remembers `revision` as the ticket's newest. Timers in flight (already claimed: their
   * firing was decided) and fired marks are kept.
   *
   * @returns how many pending timers were removed
   */
  cancel(tenant: string, ticketId: string, revision?: number): Promise<number>;
  /**
   * A ticket's pending timers after its transition to `revision`, in one atomic step: what
   * {@link TimerStore.cancel} with `revision` and a {@link TimerStore.schedule} of each timer
   * do, with nothing in between. A writer that dies (or loses the store) during the call
   * leaves the ticket's timers as they were before it or as they are after it, never
   * without them. Nothing changes when the store has seen a newer revision of the ticket.
   *
   * @param timers the ticket's timers at `revision` (each of this tenant and ticket)
   * @returns pending timers removed and timers scheduled; `stale` when a newer revision was seen
   */
  replace(tenant: string, ticketId: string, revision: number, timers: readonly SlaTimer[]): Promise<TimerReplacement>;
  /**
   * Atomically takes up to `limit` timers across all tenants: first those whose lease
   * expired (their claimer died), then pending ones with `dueAt <= now`, earliest first.
   * Each is leased to the caller until `now + leaseMs`.
   *
   * @param now epoch ms
   * @param limit maximum timers to return, ≥ 1
   * @param leaseMs lease length, ms (default {@link DEFAULT_TIMER_LEASE_MS}); longer than the slowest delivery
   */
  claimDue(now: number, limit: number, leaseMs?: number): Promise<SlaTimer[]>;
  /**
   * Retires claimed timers after they were handled (delivered, retry scheduled, or given
   * up): removes them from the in-flight set and remembers them as fired at `now`. Ids not
   * in flight are ignored.
   *
   * @param now epoch ms
   * @returns how many were in flight
   */
  ack(timers: readonly TimerRef[], now: number): Promise<number>;
  /**
   * Earliest instant (epoch ms) anything needs a claimer: a pending timer's `dueAt` or an
   * in-flight lease's deadline; undefined when nothing waits.
   */
  nextDueAt(): Promise<number | undefined>;
  /**
   * When each of the tenant's timer ids was acked (epoch ms), undefined for ids not (or no
   * longer) remembered as fired. Same order as `ids`.
   */
  firedAt(tenant: string, ids: readonly string[]): Promise<(number | undefined)[]>;
}
