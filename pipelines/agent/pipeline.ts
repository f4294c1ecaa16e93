import type { AgentEvent, AgentState } from '../events/types.js';
import { AGENT_STATES, toAgentRow, type AgentWindowRow } from './rows.js';
import { StatePartition, type StateSource, type StateWindowOptions } from '../timelines/state-partition.js';

/** How agent events map onto state timelines: AUX time by reason, LOGGED_OUT not accumulated, HOLD → ON_CALL a resume. */
export const AGENT_SOURCE: StateSource<AgentEvent, AgentState> = {
  spec: { states: AGENT_STATES, untracked: ['LOGGED_OUT'], reasoned: 'AUX', continuations: [['HOLD', 'ON_CALL']] },
  key: (e) => `${e.tenant}\u0000${e.body.agentId}`,
  id: (e) => e.id,
  ts: (e) => e.ts,
  change: (e) => (e.body.reason === undefined ? { state: e.body.state } : { state: e.body.state, reason: e.body.reason }),
};

/** What one batch of agent events produced. */
export interface AgentOutput {
  /** Changed 1-minute and interval rows (early, final, late corrections), newest version of each. */
  rows: AgentWindowRow[];
  duplicates: number;
  late: number;
}

/**
 * The agent pipeline of one source partition: time in each state (AUX by reason), entries and calls
 * handled per (tenant, agent), per 1-minute window and per 15/30-minute interval of event time.
 * A state spanning window boundaries is split at them; the open state is cut at the end of each
 * window the watermark completes; a late change within the allowed lateness corrects every window
 * it touches. See timelines.ts for the approach.
 */
export class AgentPartition {
  readonly #p: StatePartition<AgentEvent, AgentState>;

  /** `resume`: what the partition's previous reader committed (see `StatePartition.commitMetadata`). */
  constructor(opts: StateWindowOptions, resume?: string) {
    this.#p = new StatePartition(AGENT_SOURCE, opts, resume);
  }

  /** Current watermark, epoch ms. */
  get watermark(): number {
    return this.#p.watermark;
  }

  /** Agents held in memory (staffed, or changed within the allowed lateness). */
  get agents(): number {
    return this.#p.entities;
  }

  /** Feeds one batch (offset order); `now` is processing time, epoch ms, pacing early rows only. */
  process(items: readonly { event: AgentEvent; offset: number }[], now: number): AgentOutput {
    const out = this.#p.process(items, now);
    return { rows: out.windows.map(toAgentRow), duplicates: out.duplicates, late: out.late };
  }

  /** State held in memory (see `StatePartition.stateSize`). */
  get stateSize(): number {
    return this.#p.stateSize;
  }

  /** Offset to commit once everything before `next` is stored. */
  commitPosition(next: number): number {
    return this.#p.commitPosition(next);
  }

  /** What to commit beside {@link commitPosition}, for the next reader of the partition. */
  commitMetadata(): string {
    return this.#p.commitMetadata();
  }

  /** Stops the operators and frees their state. */
  close(): void {
    this.#p.close();
  }
}
