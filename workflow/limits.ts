/**
 * The workflow's own bounds on what a flow definition and a ticket may hold. They are part of
 * the API contract, not tuning knobs: a flow validated on one instance must deploy and run the
 * same on every other, and the expression budget checked at deploy relies on the ticket field
 * limits holding everywhere. Each is far above what a contact-center flow or ticket needs; a
 * request beyond one is refused with a 400 naming the place (documented in the README).
 */
export const WORKFLOW_LIMITS = Object.freeze({
  /** Longest SLA duration, warning delay or repeat interval: 365 days (of working time under a calendar), ms. */
  maxDurationMs: 365 * 86_400_000,
  /** Highest flow `version`: an int32, so a deployed version can always be raised by one. */
  maxFlowVersion: 2_147_483_647,
  /** Characters of a ticket or flow id (fastify's `maxParamLength`: every accepted id fits `/v1/tickets/{id}`). */
  maxIdLength: 100,
  /** Nodes of one flow. */
  maxNodes: 1_000,
  /** Controls of one flow. */
  maxControls: 5_000,
  /** Triggers of one flow. */
  maxTriggers: 100,
  /** Named calendars of one flow. */
  maxCalendars: 50,
  /** Holidays of one calendar. */
  maxHolidays: 1_000,
  /** Working windows of one weekday. */
  maxWindowsPerDay: 24,
  /** Containers (objects, arrays) a flow document may nest. */
  maxDocumentDepth: 32,
  /**
   * Elementary steps one CEL evaluation may take in the worst case on fields within the
   * limits below (estimated at deploy: macros multiply their body by the size of the list
   * they walk). Measured at 20–80 ns a step: at most a few tens of milliseconds of CPU.
   */
  maxExpressionCost: 2_000_000,
  /** Different CEL expressions in one flow (conditions, trigger conditions, assignee expressions). */
  maxFlowExpressions: 500,
  /** RE2 instructions a flow's `matches` patterns may compile to together (compiling takes time in proportion). */
  maxFlowPatternProgram: 10_000,
  /** Macros (`all`, `exists`, `exists_one`, `map`, `filter`) nested inside each other's bodies. */
  maxMacroNesting: 3,
  /** Containers ticket `fields` may nest (`{"a": {"b": 1}}` nests 2). */
  maxFieldDepth: 32,
  /** Keys of one object, or items of one array, inside ticket `fields` (also at the top level). */
  maxFieldEntries: 1_000,
  /** Values (scalars, objects and arrays) in all of a ticket's `fields`. */
  maxFieldValues: 10_000,
  /** Characters of one string inside ticket `fields` (as long as a comment). */
  maxFieldStringLength: 10_000,
  /** Characters of all strings and keys in a ticket's `fields`. */
  maxFieldChars: 1_000_000,
  /** Characters of one key inside ticket `fields`. */
  maxFieldKeyLength: 256,
  /**
   * Alert delivery attempts kept in one ticket's own history; later ones are in the `alert_deliveries` history
   * (ClickHouse) only, so a ticket warning a large group many times stays a small document.
   */
  maxAlertEntriesPerTicket: 500,
});
