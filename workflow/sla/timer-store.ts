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
}

/**
 * Where SLA timers wait. Implementations must make `claimDue` atomic across processes:
 * a timer is handed to exactly one caller, once, and is then remembered as fired so that
 * re-scheduling the same id (after a pause, a re-applied policy, a restart) is a no-op.
 */
export interface TimerStore {
  /**
   * Adds or moves one timer. Ignored (returns false) when the id has already fired, or when
   * the store has seen a newer revision of the ticket (a late writer must not resurrect
   * timers a newer transition removed).
   */
  schedule(timer: SlaTimer): Promise<boolean>;
  /**
   * Removes the ticket's pending timers scheduled before `revision` (all when omitted) and
   * remembers `revision` as the ticket's newest. Fired marks are kept.
   *
   * @returns how many timers were removed
   */
  cancel(tenant: string, ticketId: string, revision?: number): Promise<number>;
  /**
   * Atomically takes up to `limit` timers with `dueAt <= now`, earliest first, across all
   * tenants, and marks them fired.
   *
   * @param now epoch ms
   * @param limit maximum timers to return, ≥ 1
   */
  claimDue(now: number, limit: number): Promise<SlaTimer[]>;
  /** Earliest `dueAt` of any pending timer (epoch ms), or undefined when none is pending. */
  nextDueAt(): Promise<number | undefined>;
}
