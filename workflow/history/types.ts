/** One ticket event as stored for SLA analytics (`ticket_events`). */
export interface TicketEventRow {
  readonly tenant: string;
  readonly ticketId: string;
  readonly flowId: string;
  readonly flowVersion: number;
  /** Node the event is about (the ticket's node when the event names none). */
  readonly nodeId: string;
  /** People source of the node's todos (`group:billing-managers`), `''` when none. */
  readonly team: string;
  /** Assignee of the node's todo (first one), `''` when none. */
  readonly assignee: string;
  /** Event type, e.g. `ticket.created`, `sla.stopped`, `ticket.closed`. */
  readonly event: string;
  /**
   * Who made the transition the event belongs to: the audit entry's actor — a person id (`ann`, from
   * an API key's user or an OpenID token), `key:<name>`, or `system:…`; `''` when unknown.
   */
  readonly actor: string;
  /** For `sla.stopped`: whether the node's SLA was breached when its clock stopped. */
  readonly breached: boolean;
  /** For `sla.stopped`: SLA time used, ms; 0 otherwise. */
  readonly elapsedMs: number;
  /** Ticket revision the transition produced. */
  readonly revision: number;
  /** Position of the event within its transition (with `revision`, a unique key per ticket). */
  readonly seq: number;
  /** Epoch ms. */
  readonly ts: number;
}

/** One fired SLA timer as stored for analytics (`sla_warnings`). */
export interface SlaWarningRow {
  readonly tenant: string;
  readonly ticketId: string;
  readonly flowId: string;
  readonly flowVersion: number;
  readonly nodeId: string;
  readonly team: string;
  readonly timerId: string;
  /** `warning`, `breach` or `notify`. */
  readonly kind: string;
  /** Warning level (1-based), 0 for breach and notify. */
  readonly level: number;
  readonly repeat: number;
  readonly channel: string;
  readonly delivered: boolean;
  /** Fell due while no instance ran. */
  readonly late: boolean;
  /** Claim instant minus due time, ms. */
  readonly latenessMs: number;
  /** Epoch ms the timer was due. */
  readonly dueAt: number;
  /** Epoch ms it fired (was claimed). */
  readonly ts: number;
}

/** One alert delivery attempt as stored (`alert_deliveries`): who, over what, and what came of it. */
export interface AlertDeliveryRow {
  readonly tenant: string;
  readonly alertId: string;
  /** `sla-warning`, `sla-breach`, `notify`, `centre-level`, `centre-breaker`, `centre-service-level`. */
  readonly alertKind: string;
  /** Ticket of a ticket alert, `''` for centre alerts. */
  readonly ticketId: string;
  readonly deliveryId: string;
  /** Person id, or `~log`, `~robot`, `~fallback`. */
  readonly recipient: string;
  /** Delivery channel: `email`, `sms`, `voice`, `wecom`, `wecom-robot`, `webhook`, `log`. */
  readonly channel: string;
  /** 1-based; 0 for a channel skipped when planning. */
  readonly attempt: number;
  /** `sent`, `retry`, `failed`, `undeliverable`. */
  readonly result: string;
  readonly error: string;
  readonly providerId: string;
  readonly inDoubt: boolean;
  /** Epoch ms. */
  readonly ts: number;
}

/** How {@link HistoryQueries.breachRate} groups. */
export type BreachGrouping = 'flow' | 'node' | 'team';

/** A breach-rate question: SLA clocks of one tenant that stopped in `[from, to)`. */
export interface BreachRateQuery {
  readonly tenant: string;
  /** Epoch ms, inclusive. */
  readonly from: number;
  /** Epoch ms, exclusive. */
  readonly to: number;
  readonly by: BreachGrouping;
}

/** One group of a breach-rate answer. */
export interface BreachRateRow {
  /** Set when grouped by flow or node. */
  readonly flowId?: string;
  /** Set when grouped by node. */
  readonly nodeId?: string;
  /** Set when grouped by team. */
  readonly team?: string;
  /** SLA clocks that stopped in the window. */
  readonly clocks: number;
  /** Of those, how many had breached. */
  readonly breached: number;
  /** `breached / clocks` (0 when no clock). */
  readonly rate: number;
  /** Warnings delivered in the window (levels and repeats; not breaches, not failed attempts). */
  readonly warnings: number;
}

/**
 * Where workflow history goes for analytics. Recording never waits for the store and never
 * throws: rows are queued and written in batches in the background.
 */
export interface HistorySink {
  /** Queues ticket events. */
  recordTicketEvents(rows: readonly TicketEventRow[]): void;
  /** Queues fired SLA timers. */
  recordSlaWarnings(rows: readonly SlaWarningRow[]): void;
  /** Queues alert delivery attempts. */
  recordAlertDeliveries(rows: readonly AlertDeliveryRow[]): void;
  /** Writes everything queued so far; resolves when it is stored (rejects if the store fails). */
  flush(): Promise<void>;
  /** Flushes (best effort) and stops background work. */
  close(): Promise<void>;
}

/** A per-node question about one flow version: events of one tenant in `[from, to)`. */
export interface NodeFiguresQuery {
  readonly tenant: string;
  readonly flowId: string;
  readonly flowVersion: number;
  /** Epoch ms, inclusive. */
  readonly from: number;
  /** Epoch ms, exclusive. */
  readonly to: number;
}

/** What the history says about one node of a flow version. */
export interface NodeFigureRow {
  readonly nodeId: string;
  /** Tickets whose SLA at this node breached (a breach timer fired) in the window. */
  readonly breaches: number;
  /** Stays at the node that ended in the window (entered and left, both recorded). */
  readonly stays: number;
  /**
   * Median time between entering and leaving the node, wall ms, over those stays (the
   * upper median for an even count, as ClickHouse's `quantileExact(0.5)`); 0 without stays.
   */
  readonly medianMs: number;
}

/** Analytics over the recorded history. */
export interface HistoryQueries {
  /** Breach rate of SLA clocks by flow, node or team, groups sorted by key. */
  breachRate(q: BreachRateQuery): Promise<BreachRateRow[]>;
  /** Breaches, stays and median time spent per node of one flow version, sorted by node id. */
  nodeFigures(q: NodeFiguresQuery): Promise<NodeFigureRow[]>;
}

/** A history sink that also answers queries. */
export type HistoryStore = HistorySink & HistoryQueries;
