import { createHash } from 'node:crypto';
import type { PipelineFactory } from '../partition-pipeline.js';
import { SkillGroupPartition, type SkillGroupPipelineOptions } from './pipeline.js';
import type { MinuteRow, SlidingFigures } from './rows.js';

/** Where stored skill-group figures go next. */
export interface SkillGroupHooks {
  onRows?(rows: MinuteRow[]): void;
  onSliding?(figures: SlidingFigures[]): void;
}

/** Token of a set of rows: the same rows (same versions) always get the same token. */
export function rowsToken(rows: MinuteRow[]): string {
  const h = createHash('sha1');
  for (const r of rows) h.update(`${r.tenant}|${r.skillGroup}|${r.windowStart}|${r.version}|${r.final}\n`);
  return h.digest('base64url').slice(0, 16);
}

/** The skill-group pipeline as a {@link PipelineFactory} for the worker. */
export function skillGroupPipeline(opts: SkillGroupPipelineOptions, hooks: SkillGroupHooks = {}): PipelineFactory {
  return () => {
    const p = new SkillGroupPartition(opts);
    return {
      process(items, now) {
        const out = p.process(items.flatMap((i) => (i.event.source === 'skillgroup' ? [{ event: i.event, offset: i.offset }] : [])), now);
        return {
          store: async (store) => {
            if (out.minutes.length > 0) await store.upsertMinutes(out.minutes, rowsToken(out.minutes));
          },
          afterStore: () => {
            if (out.minutes.length > 0) hooks.onRows?.(out.minutes);
            if (out.sliding.length > 0) hooks.onSliding?.(out.sliding);
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
