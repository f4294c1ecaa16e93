/**
 * The real-time view of several source partitions as one: each partition's state holds the entities whose
 * events it carries (a skill group's queue in one skill-group partition, each agent in one agent partition,
 * each extension in one extension partition: messages are keyed by tenant + entity, `pipelines/topics.ts`),
 * so the whole is the sum of the parts. A skill group's calls waiting and its agents by state are added up
 * over the parts (an agent partition contributes the agents it holds to each of their skill groups); the
 * longest wait is the longest of them; the minute and span figures come from the one part that holds the
 * queue. Should an entity show up in two parts anyway (a topic whose partition count changed, a takeover
 * seen half-way), the newer figures, agent or extension state wins rather than being counted twice.
 */
import type { AgentState } from '../events/types.js';
import type { QueueSnapshot } from '../../core/messages.js';
import type { AgentNow, ExtensionNow, MinuteFigures, SkillGroupNow, SpanFigures } from './figures.js';

/** What `GET /v1/realtime/*`, the stream and the wallboard read: one process's partitions, or every worker's. */
export interface RealtimeReader {
  /** Skill groups of a tenant (every tenant when undefined), by tenant then name; `now` is epoch ms. */
  skillGroups(now: number, tenant?: string, skillGroup?: string): SkillGroupNow[];
  /** Agents of a tenant (every tenant when undefined), by tenant then id. */
  agents(tenant?: string): AgentNow[];
  /** Extensions of a tenant (every tenant when undefined), by tenant then name. */
  extensions(tenant?: string): ExtensionNow[];
  /** Calls `fn(tenant)` after each change of that tenant's figures; returns an unsubscribe function. */
  onChange(fn: (tenant: string) => void): () => void;
}

const BUSY: ReadonlySet<AgentState> = new Set(['RINGING', 'ON_CALL', 'HOLD', 'ACW']);

const newerMinute = (a: MinuteFigures | null, b: MinuteFigures | null) =>
  a === null || (b !== null && b.windowStart > a.windowStart) ? b : a;
const newerSpan = (a: SpanFigures | null, b: SpanFigures | null) => (a === null || (b !== null && b.windowEnd > a.windowEnd) ? b : a);

/** Adds `b` into `a` (a fresh object the caller owns). */
function add(a: SkillGroupNow, b: SkillGroupNow): void {
  a.callsWaiting += b.callsWaiting;
  a.longestWaitMs = Math.max(a.longestWaitMs, b.longestWaitMs);
  for (const [state, n] of Object.entries(b.agents) as [AgentState, number][]) a.agents[state] = (a.agents[state] ?? 0) + n;
  a.currentMinute = newerMinute(a.currentMinute, b.currentMinute);
  a.previousMinute = newerMinute(a.previousMinute, b.previousMinute);
  a.last5m = newerSpan(a.last5m, b.last5m);
  a.last60m = newerSpan(a.last60m, b.last60m);
  a.updatedAt = Math.max(a.updatedAt, b.updatedAt);
}

const copy = (g: SkillGroupNow): SkillGroupNow => ({ ...g, agents: { ...g.agents } });

/** The sum of several parts' skill groups (see the module comment), by tenant then name. */
export function sumSkillGroups(parts: Iterable<readonly SkillGroupNow[]>): SkillGroupNow[] {
  const out = new Map<string, SkillGroupNow>();
  for (const part of parts) {
    for (const g of part) {
      const key = `${g.tenant}\u0000${g.skillGroup}`;
      const have = out.get(key);
      if (have === undefined) out.set(key, copy(g));
      else add(have, g);
    }
  }
  return [...out.values()].sort((a, b) => a.tenant.localeCompare(b.tenant) || a.skillGroup.localeCompare(b.skillGroup));
}

/** The union of several parts' entities, the newest state of each (`since`), sorted by tenant then `id`. */
function union<T extends { tenant: string; since: number }>(parts: Iterable<readonly T[]>, id: (x: T) => string): T[] {
  const out = new Map<string, T>();
  for (const part of parts) {
    for (const x of part) {
      const key = `${x.tenant}\u0000${id(x)}`;
      const have = out.get(key);
      if (have === undefined || x.since > have.since) out.set(key, x);
    }
  }
  return [...out.values()].sort((a, b) => a.tenant.localeCompare(b.tenant) || id(a).localeCompare(id(b)));
}

/** The agents of several parts as one list. */
export const unionAgents = (parts: Iterable<readonly AgentNow[]>): AgentNow[] => union(parts, (a) => a.agentId);

/** The extensions of several parts as one list. */
export const unionExtensions = (parts: Iterable<readonly ExtensionNow[]>): ExtensionNow[] => union(parts, (x) => x.extension);

/** The control loop's queue snapshot of a skill group; `asOf` is how old the figures are (epoch ms). */
export function queueSnapshot(s: SkillGroupNow, asOf: number): QueueSnapshot {
  let total = 0;
  let busy = 0;
  for (const [state, n] of Object.entries(s.agents) as [AgentState, number][]) {
    if (state !== 'LOGGED_OUT') total += n;
    if (BUSY.has(state)) busy += n;
  }
  const last = s.currentMinute?.final ? s.currentMinute : (s.previousMinute ?? s.currentMinute);
  return {
    tenant: s.tenant,
    skillGroup: s.skillGroup,
    callsWaiting: s.callsWaiting,
    longestWaitMs: s.longestWaitMs,
    agentsAvailable: s.agents.AVAILABLE ?? 0,
    agentsBusy: busy,
    agentsTotal: total,
    offeredLastMinute: last?.offered ?? 0,
    answeredLastMinute: last?.answered ?? 0,
    abandonedLastMinute: last?.abandoned ?? 0,
    serviceLevel: s.last5m?.serviceLevel ?? null,
    asOf,
  };
}
