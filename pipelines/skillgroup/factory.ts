import { partitionPipeline, type PipelineFactory } from '../partition-pipeline.js';
import { SkillGroupPartition, type SkillGroupPipelineOptions } from './pipeline.js';
import type { MinuteRow, SlidingFigures } from './rows.js';

/** Where stored skill-group figures go next. */
export interface SkillGroupHooks {
  onRows?(rows: MinuteRow[]): void;
  onSliding?(figures: SlidingFigures[]): void;
}

/** The skill-group pipeline as a {@link PipelineFactory} for the worker. */
export function skillGroupPipeline(opts: SkillGroupPipelineOptions, hooks: SkillGroupHooks = {}): PipelineFactory {
  return partitionPipeline({
    source: 'skillgroup',
    create: () => {
      const p = new SkillGroupPartition(opts);
      return {
        process: (items, now) => {
          const out = p.process(items, now);
          return { rows: out.minutes, sliding: out.sliding, late: out.late, duplicates: out.duplicates };
        },
        commitPosition: (next) => p.commitPosition(next),
        get stateSize() {
          return p.stateSize;
        },
        close: () => p.close(),
      };
    },
    write: (store, rows: MinuteRow[]) => store.upsertMinutes(rows),
    afterStore: (out) => {
      if (out.rows.length > 0) hooks.onRows?.(out.rows);
      if (out.sliding.length > 0) hooks.onSliding?.(out.sliding);
    },
  });
}
