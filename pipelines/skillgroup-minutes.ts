import type { SkillGroupEvent } from './events/types.js';

/** A per-minute figure row for one skill group; `version` grows with every event counted into it. */
export interface MinuteRow {
  tenant: string;
  skillGroup: string;
  /** Window start, epoch ms (aligned to the window size). */
  windowStart: number;
  offered: number;
  answered: number;
  abandoned: number;
  /**
   * Number of distinct events counted. It only grows as a window fills, and a replay of the same
   * events reaches the same number, so "latest version wins" in ClickHouse never keeps a partial row.
   */
  version: number;
  /** True once the watermark passed the window's end (later rows are late corrections). */
  final: boolean;
}

interface Window {
  row: MinuteRow;
  ids: Set<string>;
  /** Smallest source offset that fed this window: replaying from it rebuilds the window. */
  minOffset: number;
  end: number;
}

/** Options for {@link SkillGroupMinutes}. All in ms. */
export interface MinuteWindowOptions {
  windowMs?: number;
  outOfOrdernessMs?: number;
  allowedLatenessMs?: number;
}

/**
 * Event-time tumbling windows counting offered/answered/abandoned calls per tenant + skill group,
 * for one source partition. Watermark = max event time − out-of-orderness; a window is final when the
 * watermark passes its end and its state is freed when the watermark passes end + allowed lateness.
 * Duplicate event ids inside a window are counted once.
 */
export class SkillGroupMinutes {
  readonly windowMs: number;
  readonly outOfOrdernessMs: number;
  readonly allowedLatenessMs: number;
  #windows = new Map<string, Window>();
  #dirty = new Set<Window>();
  #maxTs = Number.NEGATIVE_INFINITY;
  /** Events dropped because they arrived after their window's lateness horizon. */
  late = 0;
  /** Events seen twice inside a window's lifetime. */
  duplicates = 0;

  constructor(opts: MinuteWindowOptions = {}) {
    this.windowMs = opts.windowMs ?? 60_000;
    this.outOfOrdernessMs = opts.outOfOrdernessMs ?? 5_000;
    this.allowedLatenessMs = opts.allowedLatenessMs ?? 600_000;
    if (!(this.windowMs > 0) || this.outOfOrdernessMs < 0 || this.allowedLatenessMs < 0) {
      throw new Error('windowMs must be > 0 ms, outOfOrdernessMs and allowedLatenessMs must be ≥ 0 ms');
    }
  }

  /** Current watermark, epoch ms (−∞ before the first event). */
  get watermark(): number {
    return this.#maxTs - this.outOfOrdernessMs;
  }

  /** Number of windows holding state. */
  get size(): number {
    return this.#windows.size;
  }

  /** Counts one event read at `offset` of its partition. */
  add(e: SkillGroupEvent, offset: number): 'counted' | 'duplicate' | 'late' | 'ignored' {
    const start = Math.floor(e.ts / this.windowMs) * this.windowMs;
    const end = start + this.windowMs;
    if (end + this.allowedLatenessMs <= this.watermark) {
      this.late++;
      return 'late';
    }
    const key = `${e.tenant}\u0000${e.body.skillGroup}\u0000${start}`;
    let w = this.#windows.get(key);
    if (!w) {
      w = { row: { tenant: e.tenant, skillGroup: e.body.skillGroup, windowStart: start, offered: 0, answered: 0, abandoned: 0, version: 0, final: false }, ids: new Set(), minOffset: offset, end };
      this.#windows.set(key, w);
    }
    w.minOffset = Math.min(w.minOffset, offset);
    if (e.ts > this.#maxTs) this.#maxTs = e.ts;
    if (w.ids.has(e.id)) {
      this.duplicates++;
      return 'duplicate';
    }
    w.ids.add(e.id);
    w.row.version = w.ids.size;
    if (e.body.type === 'OFFERED') w.row.offered++;
    else if (e.body.type === 'ANSWERED') w.row.answered++;
    else if (e.body.type === 'ABANDONED') w.row.abandoned++;
    else return 'ignored';
    this.#dirty.add(w);
    return 'counted';
  }

  /**
   * Marks windows whose end the watermark passed as final, frees those past their lateness, and
   * returns copies of every row that changed since the last call (early, final and corrected rows).
   */
  flush(): MinuteRow[] {
    const wm = this.watermark;
    for (const [key, w] of this.#windows) {
      if (!w.row.final && w.end <= wm) {
        w.row.final = true;
        this.#dirty.add(w);
      }
      if (w.end + this.allowedLatenessMs <= wm) this.#windows.delete(key);
    }
    const out = [...this.#dirty].map((w) => ({ ...w.row }));
    this.#dirty.clear();
    return out;
  }

  /** Smallest offset still needed to rebuild an open window, or undefined when none is open. */
  minOpenOffset(): number | undefined {
    let min: number | undefined;
    for (const w of this.#windows.values()) if (min === undefined || w.minOffset < min) min = w.minOffset;
    return min;
  }
}
