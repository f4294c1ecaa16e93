/**
 * State time per window, from state changes in event time — the engine behind the agent and the
 * extension pipelines (pipelines/extension/ imports it from here).
 *
 * How the figures are built (and why replays and late events give exact rows):
 * - Each entity (an agent, an extension) keeps its recent changes sorted by event time. The time
 *   between two changes belongs to the earlier change's state; the open (latest) state is *credited*
 *   up to a horizon `H = min(closed end, last change + maxOpenStateMs)`, where the closed end is the
 *   end of the last window the watermark completed. So the open state at a watermark is cut at the
 *   window end, and a state spanning window boundaries is split at them.
 * - A window's figures are a pure function of (changes, H): time over `[start, min(end, H))`, entries
 *   (the state changed) over `[start, end)`. When a change arrives, or the watermark moves H, the
 *   engine emits, per window whose figures changed, the *difference* after − before (a
 *   {@link Correction}). A downstream tumbling window sums the corrections, so a late change inside
 *   a span both takes the time away from the old state and gives it to the new one, in every window
 *   it touches — and nothing else changes.
 * - A change older than the allowed lateness (its window is already closed for good) is refused
 *   (late). Corrections are only ever emitted for windows still within their lateness.
 * - States listed as `untracked` (an agent's LOGGED_OUT) never accumulate time: an entity in one is
 *   not ticking and is forgotten once its last change falls behind the lateness horizon.
 * - An open state older than `maxOpenStateMs` (a lost logout, a dead collector) goes *stale*: a
 *   marker at `last change + maxOpenStateMs` makes the time after it unknown, and the entity is
 *   forgotten like an untracked one. This bounds memory and how far back a restart must replay.
 * - Changes are kept until every window containing them — the longest kind, an interval — is past
 *   its lateness, plus the change in effect at the oldest such window's start. {@link minOffset} is
 *   the smallest offset among them: committing it lets a restart rebuild every window that can still
 *   change, whole. (Windows already finished, which a replay rebuilds from partial history, are kept
 *   quiet: see `ResumePoint` in state-partition.ts.)
 * Everything depends only on the order of changes and watermarks, never on processing time, so
 * where batches are cut changes nothing.
 */
import { addDelta, emptyDelta, isZeroDelta, type Delta } from './figures.js';

/** One state change of an entity, as fed to {@link StateTimelines.change}. */
export interface TimelineChange<S extends string> {
  /** Event time, epoch ms. */
  readonly ts: number;
  readonly state: S;
  /** Reason code (AUX reasons), if any. */
  readonly reason?: string;
  /** Source offset (what a restart must replay from to rebuild it). */
  readonly offset: number;
}

/** A change as kept: state index `si` into the spec's states, −1 for a stale marker (time unknown from `ts`). */
interface Kept {
  readonly ts: number;
  readonly si: number;
  readonly reason: string | undefined;
  /** Infinity for a stale marker: nothing to replay for it. */
  readonly offset: number;
}

/**
 * A change to one entity's figures in one window (a {@link Delta} indexed like the spec's states). The
 * engine hands `out` a correction that is valid only during the call (it reuses one for the common
 * cases, a change or a watermark crediting open time): add it up, or copy it, but do not keep it.
 */
export interface Correction {
  readonly key: string;
  /** Epoch ms, aligned to the window size. */
  readonly windowStart: number;
  readonly delta: Delta;
}

/** What a kind of entity looks like to the engine. */
export interface TimelineSpec<S extends string> {
  readonly states: readonly S[];
  /** States whose time is never accumulated (agents: LOGGED_OUT). */
  readonly untracked?: readonly S[];
  /** The state whose time is also kept by reason code (agents: AUX). */
  readonly reasoned?: S;
  /** `[from, to]` pairs that continue rather than enter `to` (HOLD → ON_CALL resumes the same call). */
  readonly continuations?: readonly (readonly [S, S])[];
}

/** Timing of a {@link StateTimelines}, all in ms. */
export interface TimelineOptions {
  /** Window size (the finest one: 60 000). */
  readonly windowMs: number;
  readonly allowedLatenessMs: number;
  /** Longest an open state is credited without a new change; must exceed allowedLatenessMs + windowMs. */
  readonly maxOpenStateMs: number;
  /**
   * The longest window built from the corrections (an interval: 900 000 or 1 800 000; default
   * windowMs): changes are kept, and the commit position held, until every such window containing
   * them is past its lateness, so a restart rebuilds it whole.
   */
  readonly retainWindowMs?: number;
}

/**
 * Tracks the state timelines of many entities (one partition) and turns changes and watermarks into
 * window {@link Correction}s. Deterministic: the same changes and watermarks, in the same order,
 * always produce the same corrections.
 */
export class StateTimelines<S extends string> {
  readonly #n: number;
  readonly #index: ReadonlyMap<S, number>;
  readonly #ticks: readonly boolean[];
  readonly #reasoned: number;
  /** `#continues[from * n + to]`: a change from → to is no entry. */
  readonly #continues: readonly boolean[];
  readonly #w: number;
  readonly #lateness: number;
  readonly #cap: number;
  readonly #retain: number;
  readonly #entities = new Map<string, Kept[]>();
  /** The correction handed to `out` on the common paths, zeroed again after each call. */
  readonly #scratch: { key: string; windowStart: number; delta: Delta };
  #watermark = Number.NEGATIVE_INFINITY;
  #closedEnd = Number.NEGATIVE_INFINITY;

  constructor(spec: TimelineSpec<S>, opts: TimelineOptions) {
    if (!(Number.isInteger(opts.windowMs) && opts.windowMs > 0))
      throw new RangeError(`windowMs must be a whole number of ms > 0, got ${opts.windowMs}`);
    if (!(Number.isInteger(opts.allowedLatenessMs) && opts.allowedLatenessMs >= 0))
      throw new RangeError(`allowedLatenessMs must be a whole number of ms ≥ 0, got ${opts.allowedLatenessMs}`);
    if (!(opts.maxOpenStateMs > opts.allowedLatenessMs + opts.windowMs)) {
      throw new RangeError(`maxOpenStateMs must exceed allowedLatenessMs + ${opts.windowMs} ms, got ${opts.maxOpenStateMs}`);
    }
    const n = (this.#n = spec.states.length);
    this.#scratch = { key: '', windowStart: 0, delta: emptyDelta(n) };
    this.#index = new Map(spec.states.map((s, i) => [s, i]));
    this.#ticks = spec.states.map((s) => !(spec.untracked ?? []).includes(s));
    this.#reasoned = spec.reasoned === undefined ? -1 : spec.states.indexOf(spec.reasoned);
    const cont = new Array<boolean>(n * n).fill(false);
    for (const [a, b] of spec.continuations ?? []) cont[spec.states.indexOf(a) * n + spec.states.indexOf(b)] = true;
    this.#continues = cont;
    this.#w = opts.windowMs;
    this.#lateness = opts.allowedLatenessMs;
    this.#cap = opts.maxOpenStateMs;
    this.#retain = opts.retainWindowMs ?? opts.windowMs;
    if (!(Number.isInteger(this.#retain) && this.#retain >= opts.windowMs && this.#retain % opts.windowMs === 0)) {
      throw new RangeError(`retainWindowMs must be a multiple of windowMs, got ${this.#retain}`);
    }
  }

  /** Start of the oldest (finest) window still within its allowed lateness, epoch ms: older changes are late. */
  get floor(): number {
    return this.#floorOf(this.#w);
  }

  /** Start of the oldest window of `size` ms still within its allowed lateness, epoch ms. */
  #floorOf(size: number): number {
    // A window [s, s + size) takes late data while watermark < s + size − 1 + lateness (as the operators do).
    return Math.ceil((this.#watermark - this.#lateness - size + 2) / size) * size;
  }

  /** Number of entities held. */
  get size(): number {
    return this.#entities.size;
  }

  /**
   * Applies one change of entity `key`. Returns false (and changes nothing) when it is too late:
   * its window is past the allowed lateness. Corrections go to `out`.
   */
  change(key: string, change: TimelineChange<S>, out: (c: Correction) => void): boolean {
    const floor = this.floor;
    if (change.ts < floor) return false;
    const si = this.#index.get(change.state);
    if (si === undefined) throw new RangeError(`unknown state ${String(change.state)}`);
    const c: Kept = { ts: change.ts, si, reason: change.reason, offset: change.offset };
    const before = this.#entities.get(key);
    const last = before?.[before.length - 1];
    const hb = before ? this.#horizon(before) : Number.NEGATIVE_INFINITY;
    if (c.ts >= this.#closedEnd && (!last || (c.ts >= last.ts && c.ts >= hb))) {
      this.#append(key, before, last, hb, floor, c, out);
      return true;
    }
    // Out of order (or inside credited time): recompute every window between the change and the horizon.
    const list = before ?? [];
    let i = list.length;
    while (i > 0 && (list[i - 1] as Kept).ts > c.ts) i--;
    const after = [...list.slice(0, i), c, ...list.slice(i)];
    // A fresher last change clears the stale marker right after it.
    if (i + 2 === after.length && (after[i + 1] as Kept).si < 0) after.pop();
    const ha = this.#horizon(after);
    const lo = Math.max(floor, before ? Math.min(c.ts, hb) : c.ts);
    const hi = Math.max(hb, ha, (after[after.length - 1] as Kept).ts + 1);
    for (let s = Math.floor(lo / this.#w) * this.#w; s < hi; s += this.#w) {
      const delta = addDelta(this.#figures(after, s, ha), this.#figures(list, s, hb), -1);
      if (!isZeroDelta(delta)) out({ key, windowStart: s, delta });
    }
    this.#entities.set(key, after);
    return true;
  }

  /**
   * The common case, a change after everything known and past the closed end: the previous state is
   * credited from the horizon to the change, and the change counts as an entry in its window.
   */
  #append(
    key: string,
    list: Kept[] | undefined,
    last: Kept | undefined,
    hb: number,
    floor: number,
    c: Kept,
    out: (c: Correction) => void,
  ): void {
    const w = this.#w;
    const at = Math.floor(c.ts / w) * w;
    let hereMs = 0;
    if (last && this.#ticks[last.si] === true) {
      const from = Math.max(hb, floor);
      for (let s = Math.floor(from / w) * w; s < c.ts; s += w) {
        const ms = Math.min(c.ts, s + w) - Math.max(from, s);
        if (s === at) hereMs = ms;
        else this.#emit(key, s, last, ms, -1, out);
      }
    }
    const prev = last ? last.si : -1;
    const entry = prev !== c.si && !(prev >= 0 && this.#continues[prev * this.#n + c.si]) ? c.si : -1;
    if (hereMs > 0 || entry >= 0) this.#emit(key, at, last, hereMs, entry, out);
    if (list) list.push(c);
    else this.#entities.set(key, [c]);
  }

  /**
   * Moves the watermark (epoch ms): credits every open state up to the end of the last completed
   * window, marks stale states, and forgets what no window within its lateness (the longest kind,
   * `retainWindowMs`) needs any more.
   */
  advance(watermark: number, out: (c: Correction) => void): void {
    if (!(watermark > this.#watermark)) return;
    this.#watermark = watermark;
    const closedEnd = Math.floor((watermark + 1) / this.#w) * this.#w;
    const floor = this.#floorOf(this.#retain);
    const old = this.#closedEnd;
    if (closedEnd > old) this.#closedEnd = closedEnd;
    for (const [key, list] of this.#entities) {
      const last = list[list.length - 1] as Kept;
      if (closedEnd > old && this.#ticking(last)) {
        const hb = Math.max(last.ts, Math.min(old, last.ts + this.#cap));
        const ha = Math.max(last.ts, Math.min(closedEnd, last.ts + this.#cap));
        for (let s = Math.floor(hb / this.#w) * this.#w; s < ha; s += this.#w) {
          const d = Math.min(ha, s + this.#w) - Math.max(hb, s);
          if (d > 0) this.#emit(key, s, last, d, -1, out);
        }
        if (last.ts + this.#cap <= closedEnd)
          list.push({ ts: last.ts + this.#cap, si: -1, reason: undefined, offset: Number.POSITIVE_INFINITY });
      }
      let k = 0;
      while (k + 1 < list.length && (list[k + 1] as Kept).ts < floor) k++;
      if (k > 0) list.splice(0, k);
      if (list.length === 1 && (list[0] as Kept).ts < floor && !this.#ticking(list[0] as Kept)) this.#entities.delete(key);
    }
  }

  /** Smallest source offset a rebuild of the open windows needs (Infinity when none). */
  minOffset(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const list of this.#entities.values()) for (const c of list) if (c.offset < min) min = c.offset;
    return min;
  }

  /** True when the change's state accumulates time while open. */
  #ticking(c: Kept): boolean {
    return c.si >= 0 && this.#ticks[c.si] === true;
  }

  /** How far an entity's time is credited, epoch ms. */
  #horizon(list: readonly Kept[]): number {
    const last = list[list.length - 1] as Kept;
    if (!this.#ticking(last)) return last.ts;
    return Math.max(last.ts, Math.min(this.#closedEnd, last.ts + this.#cap));
  }

  /**
   * Emits, through the scratch correction, `ms` of time in the state of `span` (a ticking change; none
   * when `ms` is 0) and one entry into state `entry` (none when −1), in the window starting at `start`.
   */
  #emit(key: string, start: number, span: Kept | undefined, ms: number, entry: number, out: (c: Correction) => void): void {
    const c = this.#scratch;
    const d = c.delta;
    c.key = key;
    c.windowStart = start;
    const spans = span !== undefined && ms !== 0;
    if (spans) {
      d.ms[span.si] = ms;
      if (span.si === this.#reasoned) d.byReason = { [span.reason ?? '']: ms };
    }
    if (entry >= 0) d.entries[entry] = 1;
    out(c);
    if (spans) d.ms[span.si] = 0;
    if (entry >= 0) d.entries[entry] = 0;
    d.byReason = undefined;
  }

  /**
   * Figures of one window `[start, start + windowMs)` from a sorted timeline credited up to `credited`:
   * time over `[start, min(end, credited))`, entries over the whole window. Same rules as
   * `agentStateTimes` in metrics/timeline.ts (the last change before `start` gives the state at it;
   * a repeat of the current state is no entry), plus untracked states, stale markers and continuations.
   */
  #figures(list: readonly Kept[], start: number, credited: number): Delta {
    const out = emptyDelta(this.#n);
    const end = start + this.#w;
    const timeEnd = Math.min(end, credited);
    let current: Kept | undefined;
    let at = start;
    for (let j = 0; j <= list.length; j++) {
      const c = list[j];
      if (c && c.ts < start) {
        current = c;
        continue;
      }
      // Spend the current state up to this change (or to the end of the credited time).
      const until = c && c.ts < timeEnd ? c.ts : timeEnd;
      if (until > at) {
        if (current && this.#ticking(current)) {
          out.ms[current.si] = (out.ms[current.si] as number) + until - at;
          if (current.si === this.#reasoned) {
            const r = (out.byReason ??= {});
            r[current.reason ?? ''] = (r[current.reason ?? ''] ?? 0) + until - at;
          }
        }
        at = until;
      }
      if (!c || c.ts >= end) break;
      const prev = current ? current.si : -1;
      if (c.si >= 0 && prev !== c.si && !(prev >= 0 && this.#continues[prev * this.#n + c.si]))
        out.entries[c.si] = (out.entries[c.si] as number) + 1;
      current = c;
    }
    return out;
  }
}
