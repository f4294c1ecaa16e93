import { createHash } from 'node:crypto';
import type { PipelineFactory } from '../partition-pipeline.js';
import { AgentPartition } from './pipeline.js';
import type { AgentWindowRow } from './rows.js';
import type { StateWindowOptions } from './state-partition.js';

/** Where stored agent figures go next (real-time state, push). */
export interface AgentHooks {
  onRows?(rows: AgentWindowRow[]): void;
}

/** Token of a set of rows: the same rows (same versions) always get the same token. */
export function agentRowsToken(rows: AgentWindowRow[]): string {
  const h = createHash('sha1');
  for (const r of rows) h.update(`${r.tenant}|${r.agentId}|${r.windowSec}|${r.windowStart}|${r.version}|${r.final}\n`);
  return h.digest('base64url').slice(0, 16);
}

/**
 * The agent pipeline as a {@link PipelineFactory} for the worker: each assigned partition of the
 * agent topic gets its own {@link AgentPartition}; each batch's changed 1-minute and interval rows
 * are upserted (idempotent: a retry sends the same token) before the commit.
 * @example pipelines: { agent: agentPipeline({ outOfOrdernessMs: 5_000, allowedLatenessMs: 600_000, intervalMinutes: 15 }) }
 */
export function agentPipeline(opts: StateWindowOptions, hooks: AgentHooks = {}): PipelineFactory {
  return () => {
    const p = new AgentPartition(opts);
    return {
      process(items, now) {
        const out = p.process(items.flatMap((i) => (i.event.source === 'agent' ? [{ event: i.event, offset: i.offset }] : [])), now);
        return {
          store: async (store) => {
            if (out.rows.length > 0) await store.upsertAgentWindows(out.rows, agentRowsToken(out.rows));
          },
          afterStore: () => {
            if (out.rows.length > 0) hooks.onRows?.(out.rows);
          },
          late: out.late,
          duplicates: out.duplicates,
        };
      },
      commitPosition: (next) => p.commitPosition(next),
      close: () => p.close(),
    };
  };
}
