import type { MinuteRow } from './skillgroup-minutes.js';

/** Current figures of one skill group, as served by `GET /v1/realtime/skillgroups`. */
export interface SkillGroupNow {
  tenant: string;
  skillGroup: string;
  /** The newest minute seen (in progress until final). */
  currentMinute: MinuteFigures;
  /** The minute before it, when known. */
  previousMinute: MinuteFigures | null;
  /** Epoch ms when these figures last changed (processing time). */
  updatedAt: number;
}

export interface MinuteFigures {
  /** Epoch ms. */
  windowStart: number;
  offered: number;
  answered: number;
  abandoned: number;
  final: boolean;
}

const figures = (r: MinuteRow): MinuteFigures => ({ windowStart: r.windowStart, offered: r.offered, answered: r.answered, abandoned: r.abandoned, final: r.final });

/**
 * The latest per-skill-group figures in memory, fed with every stored minute row. Holds two minutes
 * per skill group, so its size is bounded by the number of skill groups.
 */
export class RealtimeSkillGroups {
  #byKey = new Map<string, SkillGroupNow>();

  /** Applies stored rows; `now` is processing time, epoch ms. */
  apply(rows: MinuteRow[], now: number): void {
    for (const r of rows) {
      const key = `${r.tenant}\u0000${r.skillGroup}`;
      const cur = this.#byKey.get(key);
      if (!cur) {
        this.#byKey.set(key, { tenant: r.tenant, skillGroup: r.skillGroup, currentMinute: figures(r), previousMinute: null, updatedAt: now });
      } else if (r.windowStart > cur.currentMinute.windowStart) {
        cur.previousMinute = cur.currentMinute;
        cur.currentMinute = figures(r);
        cur.updatedAt = now;
      } else if (r.windowStart === cur.currentMinute.windowStart) {
        cur.currentMinute = figures(r);
        cur.updatedAt = now;
      } else if (cur.previousMinute === null || r.windowStart >= cur.previousMinute.windowStart) {
        cur.previousMinute = figures(r);
        cur.updatedAt = now;
      }
    }
  }

  /** Figures for a tenant (or every tenant when `tenant` is undefined), ordered by tenant then skill group. */
  list(tenant?: string, skillGroup?: string): SkillGroupNow[] {
    return [...this.#byKey.values()]
      .filter((s) => (tenant === undefined || s.tenant === tenant) && (skillGroup === undefined || s.skillGroup === skillGroup))
      .sort((a, b) => a.tenant.localeCompare(b.tenant) || a.skillGroup.localeCompare(b.skillGroup))
      .map((s) => structuredClone(s));
  }
}
