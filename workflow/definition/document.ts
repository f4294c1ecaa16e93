/**
 * Flow definitions as authors write them (JSON or YAML), before validation. Durations are
 * numbers of ms or strings like `"1h30m"`; expressions are CEL source text.
 */
import type { CalendarSpec } from '../sla/calendar.js';
import type { ChannelName } from '../sla/policy.js';

/**
 * Who may do what with a flow's tickets; entries are principal refs (`*`, `system`, `user:ann`,
 * `group:billing`, `role:agent`, `organisation:acme-eu`) matched against the actor of the API key
 * (its user, groups and API role; workflow/README.md).
 */
export interface PermissionsDoc {
  /** May create tickets (default `*`). */
  readonly start?: readonly string[];
  /** May read tickets and comment (default `*`). */
  readonly view?: readonly string[];
  /** May act on any todo, reassign, pause, resume and migrate (default: system actors only). */
  readonly admin?: readonly string[];
}

/** When a ticket should be started on this flow; every criterion given must match. */
export interface TriggerDoc {
  /** Caller intents (from the smart IVR or bot) that start the flow. */
  readonly intent?: string | readonly string[];
  /** IVR path pattern: step names with `*` wildcards inside a step, `*` = any one step, `**` = any number of steps. */
  readonly trajectory?: readonly string[];
  /** Diversion channels of the control loop (`callback`, `chat`, …) that start the flow. */
  readonly diversion?: string | readonly string[];
  /** CEL condition over `fields` and `ticket`. */
  readonly when?: string;
  /** Higher wins when several flows match (default 0). */
  readonly priority?: number;
}

/**
 * People a todo goes to and how one of them is picked. Exactly one of `user`, `group`,
 * `organisation`, `head`, `manager`, `expression` (people refs: `workflow/people/refs.ts`).
 */
export interface AssigneesDoc {
  /** One user id. */
  readonly user?: string;
  /** Members of a group. */
  readonly group?: string;
  /** Members of an organisation (department, site, partner). */
  readonly organisation?: string;
  /** The head of an organisation (its department head), by organisation id. */
  readonly head?: string;
  /** The manager of `creator` (who opened the ticket), of `decider:<nodeId>` (who decided that node) or of a person id. */
  readonly manager?: string;
  /** CEL over `fields`/`ticket` returning a user id, a people ref, or a list of them. */
  readonly expression?: string;
  /** Pick strategy (default `round-robin`). */
  readonly strategy?: 'round-robin' | 'least-loaded' | 'skill-match';
  /** Most open todos a person may hold before being skipped (a person's own capacity wins). */
  readonly capacity?: number;
  /** Skills a person needs (`skill-match`). */
  readonly skills?: readonly string[];
  /** Attribute values a person needs (`skill-match`), e.g. `{ site: berlin }`. */
  readonly attributes?: Readonly<Record<string, string>>;
  /**
   * How the assignee is reminded: channels tried in order, `preferred` standing for the person's own
   * order of preference (default `[preferred, email]`). Alert delivery reads it from the todo.
   */
  readonly remind?: readonly string[];
  /** Who takes the todo when nobody of this spec can (nobody found, away, at capacity, barred): one more spec, without a fallback of its own. */
  readonly fallback?: AssigneesDoc;
}

/** One escalation level. */
export interface WarningDoc {
  /** SLA time after node entry at which the level fires. */
  readonly delay: string | number;
  /** Channel the level goes out on. */
  readonly channel: ChannelName;
  /** Extra firings after the first (default 0). */
  readonly repeat?: number;
  /** SLA time between repeats (required when `repeat` > 0). */
  readonly interval?: string | number;
  /** Recipients as principal refs, `assignees` standing for the node's assignees; default the assignees alone. */
  readonly notify?: readonly string[];
}

/** SLA of a waiting node. */
export interface SlaDoc {
  /** SLA time until breach (working time under a calendar). */
  readonly duration: string | number;
  /** Name of a calendar under `calendars`, or an inline calendar; default round-the-clock. */
  readonly calendar?: string | CalendarSpec;
  /** Hold statuses that stop the clock (e.g. `waiting_for_customer`). */
  readonly pauseOn?: readonly string[];
  /** Escalation levels in firing order. */
  readonly warnings?: readonly WarningDoc[];
  /** Channel announcing the breach (default `log`). */
  readonly breachChannel?: ChannelName;
}

/** A node; properties beyond these depend on its type. */
export interface NodeDoc {
  /** Unique within the flow; controls refer to it. */
  readonly id: string;
  /** A registered node type: `start`, `approval`, `task`, `notify`, `end`, or a plugin's. */
  readonly type: string;
  /** Display name (default the id). */
  readonly name?: string;
  readonly description?: string;
  /** SLA of a waiting node. */
  readonly sla?: SlaDoc;
  /** Type-specific settings (e.g. `assignees`), checked by the type's schema. */
  readonly [property: string]: unknown;
}

/** A transition from one node to another. */
export interface ControlDoc {
  /** Optional label, unique within the flow. */
  readonly id?: string;
  /** Node left. */
  readonly from: string;
  /** Node entered. */
  readonly to: string;
  /** The node outcome it applies to; may be left out when the node has a single outcome. */
  readonly on?: string;
  /** CEL condition over `fields`/`ticket`; controls are tried in order, the last one per outcome must have none. */
  readonly when?: string;
}

/**
 * Separation of duties: one person may decide (approve, reject, complete) the todos of at most one
 * of `nodes` on a ticket, so e.g. an approval ladder needs a different person at every level.
 */
export interface SeparationRuleDoc {
  /** Unique within the flow; named in the 403 that enforces the rule. */
  readonly name: string;
  /** Approval or task nodes (at least two) whose decisions need different people. */
  readonly nodes: readonly string[];
  readonly description?: string;
}

/** A whole flow definition. */
export interface FlowDocument {
  /** Flow id, stable across versions. */
  readonly id: string;
  /** Positive integer; each deploy must be newer than the last. */
  readonly version: number;
  /** Owning tenant; tickets of other tenants never see the flow. */
  readonly tenant: string;
  readonly name: string;
  readonly description?: string;
  readonly permissions?: PermissionsDoc;
  /** Nodes whose decisions must come from different people. */
  readonly separationOfDuties?: readonly SeparationRuleDoc[];
  /** When tickets open on this flow without naming it (intent, IVR path, diversion). */
  readonly triggers?: readonly TriggerDoc[];
  /** Named business calendars SLAs refer to. */
  readonly calendars?: Readonly<Record<string, CalendarSpec>>;
  readonly nodes: readonly NodeDoc[];
  /** Transitions, tried in order per node and outcome. */
  readonly controls: readonly ControlDoc[];
}
