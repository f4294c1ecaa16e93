/**
 * The mutable state of a running traffic model: calls, skill groups with their FIFO queues, agents,
 * tenants. Built once from a resolved configuration; the engine moves it along.
 */
import type { AgentState } from '../pipelines/events/types.js';
import type { AgentConfig, ResolvedConfig, SkillGroupConfig, TenantConfig } from './config.js';
import { ArrivalRate } from './profile.js';
import { rngFor, type Rng } from './random.js';
import { emptyIntervalSums, GroupStats, type IntervalSums } from './stats.js';

/** A call from its arrival to its end. Durations ms, drawn at arrival. */
export interface Call {
  readonly id: string;
  readonly group: Group;
  /** Epoch ms. */
  readonly arrival: number;
  readonly talkMs: number;
  readonly holdMs: number;
  readonly acwMs: number;
  state: 'queued' | 'ringing' | 'talking' | 'wrap' | 'done' | 'abandoned';
  agent?: Agent;
}

/** One skill group while the run goes on. */
export interface Group {
  readonly cfg: SkillGroupConfig;
  readonly tenant: Tenant;
  readonly rate: ArrivalRate;
  /** Stream of the thinning draws. */
  readonly arrivals: Rng;
  /** Stream of the calls' durations and patience. */
  readonly attrs: Rng;
  /** Agents serving the group. */
  readonly agents: Agent[];
  readonly stats: GroupStats;
  /** FIFO of waiting calls from `head` on; calls that left it are skipped lazily. */
  queue: Call[];
  head: number;
  /** Calls waiting (ringing excluded). */
  waiting: number;
  /** Time of the last thinning candidate, epoch ms (fractional). */
  cursor: number;
  /** Sums of the current vendor interval. */
  interval: IntervalSums;
}

/** One agent while the run goes on. */
export interface Agent {
  readonly cfg: AgentConfig;
  readonly tenant: Tenant;
  readonly extension: string;
  readonly skills: readonly Group[];
  state: AgentState;
  call?: Call;
  /** Since when it has been AVAILABLE, epoch ms: the longest idle agent gets the next call. */
  idleSince: number;
  onShift: boolean;
  /** A break that fell due while busy, taken when free. */
  pendingBreak?: { ms: number; reason: string };
  /** Bumped whenever a break ends early (shift over), so its scheduled end is ignored. */
  breakToken: number;
}

/** One tenant while the run goes on. */
export interface Tenant {
  readonly cfg: TenantConfig;
  readonly groups: readonly Group[];
  readonly agents: readonly Agent[];
  /** Ring time at the agent, ms (the mean when `ringCv` > 0). */
  readonly ringMs: number;
  /** Coefficient of variation of the ring time (0: always `ringMs`). */
  readonly ringCv: number;
  /** The ring times' own random stream. */
  readonly ring: Rng;
}

/** Builds the runtime state of every tenant of `c`, agents logged out, queues empty. */
export function buildTenants(c: ResolvedConfig): Tenant[] {
  return c.tenants.map((cfg) => {
    const groups: Group[] = [];
    const agents: Agent[] = [];
    const t: Tenant = {
      cfg,
      groups,
      agents,
      ringMs: Math.round((cfg.ringSec ?? 2) * 1000),
      ringCv: cfg.ringCv ?? 0,
      ring: rngFor(c.seed, `${cfg.id}/ring`),
    };
    const byId = new Map<string, Group>();
    for (const g of cfg.skillGroups) {
      const label = `${cfg.id}/${g.id}`;
      const group: Group = {
        cfg: g,
        tenant: t,
        rate: new ArrivalRate(g.callsPerHour, g.profile ?? c.profile, c.peaks, c.utcOffsetMinutes),
        arrivals: rngFor(c.seed, `${label}/arrivals`),
        attrs: rngFor(c.seed, `${label}/calls`),
        agents: [],
        stats: new GroupStats(c.peaks.length),
        queue: [],
        head: 0,
        waiting: 0,
        cursor: c.start,
        interval: emptyIntervalSums(),
      };
      groups.push(group);
      byId.set(g.id, group);
    }
    for (const a of cfg.agents) {
      const skills = a.skillGroups.map((s) => byId.get(s)!);
      const agent: Agent = {
        cfg: a,
        tenant: t,
        extension: a.extension ?? `x-${a.id}`,
        skills,
        state: 'LOGGED_OUT',
        idleSince: 0,
        onShift: false,
        breakToken: 0,
      };
      agents.push(agent);
      for (const g of skills) g.agents.push(agent);
    }
    return t;
  });
}
