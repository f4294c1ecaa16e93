import { partitionPipeline, type PipelineFactory } from '../partition-pipeline.js';
import { AgentPartition, type AgentOutput } from './pipeline.js';
import type { AgentWindowRow } from './rows.js';
import type { StateWindowOptions } from '../timelines/state-partition.js';

/** Where stored agent figures go next (real-time state, push). */
export interface AgentHooks {
  onRows?(rows: AgentWindowRow[]): void;
}

/**
 * The agent pipeline as a {@link PipelineFactory} for the worker: each assigned partition of the
 * agent topic gets its own {@link AgentPartition}; each batch's changed 1-minute and interval rows
 * are upserted (idempotent: a retry sends the same token) before the commit.
 * @example pipelines: { agent: agentPipeline({ outOfOrdernessMs: 5_000, allowedLatenessMs: 600_000, intervalMinutes: 15 }) }
 */
export function agentPipeline(opts: StateWindowOptions, hooks: AgentHooks = {}): PipelineFactory {
  return partitionPipeline<'agent', AgentWindowRow, AgentOutput>({
    source: 'agent',
    create: (resume) => new AgentPartition(opts, resume),
    write: (store, rows) => store.upsertAgentWindows(rows),
    afterStore: (out) => {
      if (out.rows.length > 0) hooks.onRows?.(out.rows);
    },
  });
}
