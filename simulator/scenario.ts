/**
 * A ready-made contact center for the command line and the bench scenarios: per tenant three skill
 * groups (sales, support, billing) with lognormal talk, hold and after-call work and exponential
 * patience, staffed per 8-hour shift by the Erlang A planner (80 % in 20 s at the busiest hour of
 * the shift, peaks not included, breaks as shrinkage), agents on staggered breaks, some of them
 * serving two groups.
 */
import { staffErlangA } from '../planner/staffing.js';
import type { BreakConfig } from './calendar.js';
import type { AgentConfig, SkillGroupConfig, TenantConfig, TrafficConfig } from './config.js';
import { FLAT_PROFILE, type Peak } from './profile.js';
import { meanSec } from './random.js';

/** Options of {@link buildScenario}. */
export interface ScenarioOptions {
  readonly seed: number;
  /** First instant simulated, epoch ms. */
  readonly start: number;
  /** Length of the run, minutes (> 0). */
  readonly minutes: number;
  /** Tenant ids (default `['demo']`). */
  readonly tenants?: readonly string[];
  /** Calls per hour of each tenant at profile weight 1, outside peaks, split 50/35/15 over its groups (default 360). */
  readonly callsPerHour?: number;
  readonly peaks?: readonly Peak[];
  /** 24 hourly weights (default flat). */
  readonly profile?: readonly number[];
  /** Local time minus UTC, minutes (default 0). */
  readonly utcOffsetMinutes?: number;
  readonly intervalSec?: 900 | 1800;
  /** Service-level threshold T, seconds (default 20); also the staffing target's answer time. */
  readonly serviceLevelSec?: number;
  /** Service level the staffing aims at, fraction (default 0.8). */
  readonly targetServiceLevel?: number;
  /** Local minute of the day (0–1439) the first of the three 8-hour shifts starts; the others follow it (default 0). */
  readonly shiftStartMinute?: number;
}

/** The skill groups of every tenant: share of its calls and what the calls look like (seconds). */
export const SCENARIO_GROUPS: readonly (Omit<SkillGroupConfig, 'callsPerHour'> & { readonly share: number })[] = [
  {
    id: 'sales',
    share: 0.5,
    talk: { kind: 'lognormal', meanSec: 180, cv: 0.9 },
    hold: { share: 0.15, duration: { kind: 'lognormal', meanSec: 45, cv: 0.7 } },
    acw: { kind: 'lognormal', meanSec: 25, cv: 0.6 },
    patience: { kind: 'exponential', meanSec: 90 },
  },
  {
    id: 'support',
    share: 0.35,
    talk: { kind: 'lognormal', meanSec: 300, cv: 1 },
    hold: { share: 0.3, duration: { kind: 'lognormal', meanSec: 60, cv: 0.8 } },
    acw: { kind: 'lognormal', meanSec: 45, cv: 0.6 },
    patience: { kind: 'exponential', meanSec: 150 },
  },
  {
    id: 'billing',
    share: 0.15,
    talk: { kind: 'lognormal', meanSec: 240, cv: 0.8 },
    hold: { share: 0.2, duration: { kind: 'lognormal', meanSec: 50, cv: 0.7 } },
    acw: { kind: 'lognormal', meanSec: 30, cv: 0.5 },
    patience: { kind: 'exponential', meanSec: 120 },
  },
];

/** Ring time at the agent in the scenario, seconds. */
const RING_SEC = 2;
/** Ring times vary (mean 2 s, cv 0.5: most calls picked up after 1 to 3.5 s), as agents' do. */
const RING_CV = 0.5;
/** Breaks of an 8-hour shift, minutes after its start: 1 hour in all, i.e. a shrinkage of 1/8. */
const BREAKS: readonly { readonly after: number; readonly minutes: number; readonly reason: string }[] = [
  { after: 120, minutes: 15, reason: 'break' },
  { after: 240, minutes: 30, reason: 'lunch' },
  { after: 360, minutes: 15, reason: 'break' },
];

/** Average handle time of a group's calls (ring, talk, expected hold, after-call work), seconds. */
export function scenarioAht(g: Omit<SkillGroupConfig, 'callsPerHour' | 'id'>): number {
  return RING_SEC + meanSec(g.talk) + (g.hold ? g.hold.share * meanSec(g.hold.duration) : 0) + (g.acw ? meanSec(g.acw) : 0);
}

/**
 * Builds the traffic configuration of the scenario.
 * @throws RangeError when an option is out of range
 */
export function buildScenario(o: ScenarioOptions): TrafficConfig {
  if (!(o.minutes > 0) || !Number.isFinite(o.minutes)) throw new RangeError('minutes must be > 0');
  const callsPerHour = o.callsPerHour ?? 360;
  if (!(callsPerHour >= 0) || !Number.isFinite(callsPerHour)) throw new RangeError('callsPerHour must be ≥ 0');
  const profile = o.profile ?? FLAT_PROFILE;
  const sl = o.serviceLevelSec ?? 20;
  const firstShift = o.shiftStartMinute ?? 0;
  if (!Number.isInteger(firstShift) || firstShift < 0 || firstShift >= 1440)
    throw new RangeError('shiftStartMinute must be a whole minute in 0–1439');
  const tenants = (o.tenants ?? ['demo']).map((id): TenantConfig => {
    const groups = SCENARIO_GROUPS.map(({ share, ...g }): SkillGroupConfig => ({ ...g, callsPerHour: callsPerHour * share }));
    const agents: AgentConfig[] = [];
    for (let shift = 0; shift < 3; shift++) {
      const startMinute = (firstShift + shift * 480) % 1440;
      // The busiest hour the shift touches (the profile's hours are local, 0–23).
      const hours = Math.ceil(((startMinute % 60) + 480) / 60);
      const peakWeight = Math.max(...Array.from({ length: hours }, (_, k) => profile[(Math.floor(startMinute / 60) + k) % 24] ?? 0));
      for (const g of groups) {
        const patience = g.patience ? meanSec(g.patience) : 3600;
        const plan = staffErlangA({ callsPerHour: g.callsPerHour * peakWeight, ahtSeconds: scenarioAht(g) }, patience, {
          serviceLevel: o.targetServiceLevel ?? 0.8,
          targetTimeSeconds: sl,
          shrinkage: 1 / 8,
        });
        const n = Math.max(1, plan.scheduledAgents);
        for (let i = 0; i < n; i++) {
          const stagger = (i % 4) * 15;
          const breaks: BreakConfig[] = BREAKS.map((b) => ({
            atMinute: (startMinute + b.after + stagger) % 1440,
            minutes: b.minutes,
            reason: b.reason,
          }));
          // Every third support agent also takes billing calls: a free agent serves the longest wait of both.
          const skills = g.id === 'support' && i % 3 === 2 ? ['support', 'billing'] : [g.id];
          agents.push({
            id: `${g.id}-${'abc'[shift]}${String(i + 1).padStart(2, '0')}`,
            skillGroups: skills,
            shift: { startMinute, endMinute: startMinute + 480, breaks },
          });
        }
      }
    }
    return { id, skillGroups: groups, agents, ringSec: RING_SEC, ringCv: RING_CV };
  });
  return {
    seed: o.seed,
    start: o.start,
    durationMs: Math.round(o.minutes * 60_000),
    utcOffsetMinutes: o.utcOffsetMinutes ?? 0,
    profile,
    peaks: o.peaks ?? [],
    intervalSec: o.intervalSec ?? 900,
    serviceLevelSec: sl,
    tenants,
  };
}
