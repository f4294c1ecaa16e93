import type { AgentState, TelemetryEvent } from '../events/types.js';
import type { MinuteRow, SlidingFigures } from '../skillgroup/rows.js';
import type { QueueSnapshot } from '../../core/messages.js';
import { queueSnapshot, type RealtimeReader } from './merge.js';
import {
  DEFAULT_SPAN_SERVICE_LEVEL,
  span,
  type SpanServiceLevel,
  type AgentNow,
  type ExtensionNow,
  type MinuteFigures,
  type SkillGroupNow,
  type SpanFigures,
} from './figures.js';

export type { AgentNow, ExtensionNow, MinuteFigures, SkillGroupNow, SpanFigures } from './figures.js';

/** Bounds on the state kept. All in ms. */
export interface RealtimeOptions {
  /** A call waiting longer than this without news is forgotten (a lost terminal event). */
  callTtlMs?: number;
  /**
   * A skill group, agent or extension with no event (nor, for a skill group, a figure) for this long is
   * forgotten: nothing lists it any more. A logged-in agent silent this long lost its log-out.
   */
  idleTtlMs?: number;
  /**
   * An event at most this late (processing time minus event time) is on time: its queue is live and its calls age
   * with the wall clock; a queue whose newest event is later than that is catching up on a backlog, and its calls
   * age as of its event time (default 5 000, the pipelines' out-of-orderness `SLUICE_OUT_OF_ORDERNESS_MS`).
   */
  onTimeMs?: number;
  /** A tenant's one service-level definition: the variant and objective of its span figures (default `answeredAndAbandoned`, 0.8). */
  serviceLevelOf?: (tenant: string) => SpanServiceLevel;
}

interface Queue {
  tenant: string;
  skillGroup: string;
  /** callId → event time it entered, epoch ms. */
  waiting: Map<string, number>;
  /** callIds that left, with the event time they left: a late OFFERED for them is ignored. */
  gone: Map<string, number>;
  /** The queue's event time so far (its events are one partition's, in order): null before its first event. */
  clock: EventClock | null;
  current: MinuteFigures | null;
  previous: MinuteFigures | null;
  last5m: SpanFigures | null;
  last60m: SpanFigures | null;
  updatedAt: number;
}

/** An agent or extension as held: its state, and when (processing time, epoch ms) an event last named it. */
interface Seen<T> {
  now: T;
  seenAt: number;
}

/**
 * How far a queue's events have got in event time: the newest event time applied (the skill-group pipeline's
 * watermark for the queue, before its out-of-orderness allowance) and when (processing time) it was applied.
 */
interface EventClock {
  ts: number;
  at: number;
}

/**
 * A queue's "now" for the ages of its calls (whose times are event times), epoch ms: `now` less how much later than
 * `onTimeMs` its newest event was applied. Live (events on time), that is `now`, and a quiet queue's calls keep
 * ageing; while the pipeline catches up on a backlog it is the backlog's position (its newest event time, plus
 * `onTimeMs`, plus the processing time since), so a call offered two hours back in the backlog is as old as it was
 * then, not two hours old.
 */
export function queueNow(q: { clock: EventClock | null }, now: number, onTimeMs: number): number {
  return q.clock ? now - Math.max(0, q.clock.at - q.clock.ts - onTimeMs) : now;
}

/** Map key of an id (skill group, agent, extension) within a tenant. */
const tenantKey = (tenant: string, id: string) => `${tenant}\u0000${id}`;

/**
 * The current state of the contact center in memory: calls waiting per skill group, agents and
 * extensions by state, and the latest minute figures. Fed with events (in any order within a call)
 * and stored minute rows; bounded by the number of live calls, skill groups, agents and extensions
 * (which the pipeline worker's per-tenant limits bound), with TTLs for what went silent: {@link expire}
 * evicts them, so a name that stopped sending events leaves the wallboard and `/v1/realtime`.
 */
export class RealtimeState implements RealtimeReader {
  readonly #queues = new Map<string, Queue>();
  readonly #agents = new Map<string, Seen<AgentNow>>();
  readonly #extensions = new Map<string, Seen<ExtensionNow>>();
  readonly #callTtlMs: number;
  readonly #idleTtlMs: number;
  readonly #onTimeMs: number;
  readonly #serviceLevelOf: (tenant: string) => SpanServiceLevel;
  #listeners = new Set<(tenant: string) => void>();

  constructor(opts: RealtimeOptions = {}) {
    this.#callTtlMs = opts.callTtlMs ?? 4 * 3600_000;
    this.#idleTtlMs = opts.idleTtlMs ?? 24 * 3600_000;
    this.#onTimeMs = opts.onTimeMs ?? 5_000;
    this.#serviceLevelOf = opts.serviceLevelOf ?? (() => DEFAULT_SPAN_SERVICE_LEVEL);
  }

  /** Calls `fn(tenant)` after each change; returns an unsubscribe function. */
  onChange(fn: (tenant: string) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #changed(tenant: string): void {
    for (const l of this.#listeners) l(tenant);
  }

  #queue(tenant: string, skillGroup: string): Queue {
    const key = tenantKey(tenant, skillGroup);
    let q = this.#queues.get(key);
    if (!q)
      this.#queues.set(
        key,
        (q = {
          tenant,
          skillGroup,
          waiting: new Map(),
          gone: new Map(),
          clock: null,
          current: null,
          previous: null,
          last5m: null,
          last60m: null,
          updatedAt: 0,
        }),
      );
    return q;
  }

  /** Applies one event; `now` is processing time, epoch ms. */
  apply(e: TelemetryEvent, now: number): void {
    switch (e.source) {
      case 'skillgroup': {
        const q = this.#queue(e.tenant, e.body.skillGroup);
        const { callId, type } = e.body;
        if (!q.clock || e.ts >= q.clock.ts) q.clock = { ts: e.ts, at: now };
        if (type === 'OFFERED') {
          if (!q.gone.has(callId)) q.waiting.set(callId, e.ts);
        } else if (type === 'ANSWERED' || type === 'ABANDONED' || type === 'OVERFLOWED' || type === 'TRANSFERRED' || type === 'COMPLETED') {
          q.waiting.delete(callId);
          q.gone.set(callId, e.ts);
        }
        q.updatedAt = now;
        break;
      }
      case 'agent': {
        const key = tenantKey(e.tenant, e.body.agentId);
        const prev = this.#agents.get(key);
        if (prev) prev.seenAt = now;
        if (prev && prev.now.since > e.ts) return;
        this.#agents.set(key, {
          now: {
            tenant: e.tenant,
            agentId: e.body.agentId,
            state: e.body.state,
            reason: e.body.reason,
            skillGroups: e.body.skillGroups ?? prev?.now.skillGroups ?? [],
            since: e.ts,
          },
          seenAt: now,
        });
        break;
      }
      case 'extension': {
        const key = tenantKey(e.tenant, e.body.extension);
        const prev = this.#extensions.get(key);
        if (prev) prev.seenAt = now;
        if (prev && prev.now.since > e.ts) return;
        this.#extensions.set(key, {
          now: { tenant: e.tenant, extension: e.body.extension, state: e.body.state, since: e.ts },
          seenAt: now,
        });
        break;
      }
      case 'interval':
        return;
    }
    this.#changed(e.tenant);
  }

  /** Applies stored minute rows (newer windows shift the current one to previous). */
  applyRows(
    rows: Pick<MinuteRow, 'tenant' | 'skillGroup' | 'windowStart' | 'offered' | 'answered' | 'abandoned' | 'final'>[],
    now: number,
  ): void {
    const tenants = new Set<string>();
    for (const r of rows) {
      const q = this.#queue(r.tenant, r.skillGroup);
      const f: MinuteFigures = {
        windowStart: r.windowStart,
        offered: r.offered,
        answered: r.answered,
        abandoned: r.abandoned,
        final: r.final,
      };
      if (!q.current || r.windowStart > q.current.windowStart) {
        if (q.current) q.previous = q.current;
        q.current = f;
      } else if (r.windowStart === q.current.windowStart) q.current = f;
      else if (!q.previous || r.windowStart >= q.previous.windowStart) q.previous = f;
      q.updatedAt = now;
      tenants.add(r.tenant);
    }
    for (const t of tenants) this.#changed(t);
  }

  /** Applies sliding 5/60-minute figures (the newest of each span wins). */
  applySliding(figures: SlidingFigures[], now: number): void {
    const tenants = new Set<string>();
    for (const f of figures) {
      const q = this.#queue(f.tenant, f.skillGroup);
      const slot = f.sizeMs <= 300_000 ? 'last5m' : 'last60m';
      if (!q[slot] || f.windowEnd >= q[slot].windowEnd) q[slot] = span(f, this.#serviceLevelOf(f.tenant));
      q.updatedAt = now;
      tenants.add(f.tenant);
    }
    for (const t of tenants) this.#changed(t);
  }

  /**
   * Forgets calls without news past the call TTL (aged as the longest wait is, by the queue's event time while its
   * pipeline catches up: {@link queueNow}), and skill groups, agents and extensions with no event past the idle TTL;
   * `now` is the wall clock, epoch ms (call times are event times, last sights processing times).
   * @returns how many skill groups, agents and extensions were forgotten
   */
  expire(now: number): number {
    let forgotten = 0;
    for (const [k, q] of this.#queues) {
      // Call times are event times: aged by the queue's own "now", so a backlog being caught up keeps its calls.
      const qNow = queueNow(q, now, this.#onTimeMs);
      for (const [id, at] of q.waiting) if (qNow - at > this.#callTtlMs) q.waiting.delete(id);
      for (const [id, at] of q.gone) if (qNow - at > this.#callTtlMs) q.gone.delete(id);
      if (now - q.updatedAt > this.#idleTtlMs) forgotten += Number(this.#queues.delete(k));
    }
    for (const [k, a] of this.#agents) {
      // A logged-out agent's own event time counts too: a log-out replayed long after is not news.
      if (now - a.seenAt > this.#idleTtlMs || (a.now.state === 'LOGGED_OUT' && now - a.now.since > this.#idleTtlMs))
        forgotten += Number(this.#agents.delete(k));
    }
    for (const [k, x] of this.#extensions) if (now - x.seenAt > this.#idleTtlMs) forgotten += Number(this.#extensions.delete(k));
    return forgotten;
  }

  /** Entries held: skill groups (with figures or calls), agents and extensions, over every tenant. */
  get size(): { skillGroups: number; agents: number; extensions: number } {
    return { skillGroups: this.#queues.size, agents: this.#agents.size, extensions: this.#extensions.size };
  }

  #agentsBySkillGroup(): Map<string, Partial<Record<AgentState, number>>> {
    const out = new Map<string, Partial<Record<AgentState, number>>>();
    for (const { now: a } of this.#agents.values()) {
      for (const sg of a.skillGroups) {
        const key = tenantKey(a.tenant, sg);
        let counts = out.get(key);
        if (!counts) out.set(key, (counts = {}));
        counts[a.state] = (counts[a.state] ?? 0) + 1;
      }
    }
    return out;
  }

  /** Skill groups of a tenant (every tenant when undefined), by tenant then name. */
  skillGroups(now: number, tenant?: string, skillGroup?: string): SkillGroupNow[] {
    const agents = this.#agentsBySkillGroup();
    const keys = new Set([...this.#queues.keys(), ...agents.keys()]);
    const out: SkillGroupNow[] = [];
    for (const key of keys) {
      const [t, sg] = key.split('\u0000') as [string, string];
      if ((tenant !== undefined && t !== tenant) || (skillGroup !== undefined && sg !== skillGroup)) continue;
      const q = this.#queues.get(key);
      let oldest = Number.POSITIVE_INFINITY;
      for (const at of q?.waiting.values() ?? []) if (at < oldest) oldest = at;
      out.push({
        tenant: t,
        skillGroup: sg,
        callsWaiting: q?.waiting.size ?? 0,
        longestWaitMs: Number.isFinite(oldest) && q ? Math.max(0, queueNow(q, now, this.#onTimeMs) - oldest) : 0,
        agents: { ...(agents.get(key) ?? {}) },
        currentMinute: q?.current ? { ...q.current } : null,
        previousMinute: q?.previous ? { ...q.previous } : null,
        last5m: q?.last5m ? { ...q.last5m } : null,
        last60m: q?.last60m ? { ...q.last60m } : null,
        updatedAt: q?.updatedAt ?? 0,
      });
    }
    return out.sort((a, b) => a.tenant.localeCompare(b.tenant) || a.skillGroup.localeCompare(b.skillGroup));
  }

  /** Agents of a tenant (every tenant when undefined), by tenant then id. */
  agents(tenant?: string): AgentNow[] {
    return [...this.#agents.values()]
      .map((x) => x.now)
      .filter((a) => tenant === undefined || a.tenant === tenant)
      .sort((a, b) => a.tenant.localeCompare(b.tenant) || a.agentId.localeCompare(b.agentId))
      .map((a) => ({ ...a, skillGroups: [...a.skillGroups] }));
  }

  /** Extensions of a tenant (every tenant when undefined), by tenant then name. */
  extensions(tenant?: string): ExtensionNow[] {
    return [...this.#extensions.values()]
      .map((x) => x.now)
      .filter((x) => tenant === undefined || x.tenant === tenant)
      .sort((a, b) => a.tenant.localeCompare(b.tenant) || a.extension.localeCompare(b.extension))
      .map((x) => ({ ...x }));
  }

  /** Per-queue signals for the control loop. */
  snapshots(now: number): QueueSnapshot[] {
    return this.skillGroups(now).map((s) => queueSnapshot(s, now));
  }
}
