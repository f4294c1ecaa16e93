import type { AgentEvent, AgentState } from '../events/types.js';
import type { PipelineFactory } from '../partition.js';
import { StatePartition, type StateHooks, type StateSource, type StateWindowOptions } from '../timelines/state-partition.js';
import { AGENT_STATES, toAgentRow, type AgentWindowRow } from './rows.js';

/** How agent events map onto state timelines: AUX time by reason, LOGGED_OUT not accumulated, HOLD → ON_CALL a resume. */
export const AGENT_SOURCE: StateSource<AgentEvent, AgentState, AgentWindowRow> = {
  source: 'agent',
  spec: { states: AGENT_STATES, untracked: ['LOGGED_OUT'], reasoned: 'AUX', continuations: [['HOLD', 'ON_CALL']] },
  key: (e) => `${e.tenant}\u0000${e.body.agentId}`,
  id: (e) => e.id,
  ts: (e) => e.ts,
  change: (e) => (e.body.reason === undefined ? { state: e.body.state } : { state: e.body.state, reason: e.body.reason }),
  toRow: toAgentRow,
  write: (store, rows) => store.upsertAgentWindows(rows),
};

/**
 * The agent pipeline of one source partition: time in each state (AUX by reason), entries and calls
 * handled per (tenant, agent), per 1-minute window and per 15/30-minute interval of event time.
 * A state spanning window boundaries is split at them; the open state is cut at the end of each
 * window the watermark completes; a late change within the allowed lateness corrects every window
 * it touches (pipelines/timelines/README.md). Each batch's changed rows are upserted (idempotent: a
 * retry sends the same token) before the commit.
 */
export class AgentPartition extends StatePartition<AgentEvent, AgentState, AgentWindowRow> {
  /** `resume`: what the partition's previous reader committed (see `StatePartition.commitMetadata`). */
  constructor(opts: StateWindowOptions, resume?: string, hooks?: StateHooks<AgentWindowRow>) {
    super(AGENT_SOURCE, opts, resume, hooks);
  }

  /** Agents held in memory (staffed, or changed within the allowed lateness). */
  get agents(): number {
    return this.entities;
  }
}

/**
 * The agent pipeline for the worker: each assigned partition of the agent topic gets its own {@link AgentPartition}.
 * @example pipelines: { agent: agentPipeline({ outOfOrdernessMs: 5_000, allowedLatenessMs: 600_000, intervalMinutes: 15 }) }
 */
export function agentPipeline(opts: StateWindowOptions, hooks?: StateHooks<AgentWindowRow>): PipelineFactory<AgentEvent> {
  return (resume) => new AgentPartition(opts, resume, hooks);
}
