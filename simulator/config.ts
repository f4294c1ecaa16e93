/**
 * What the traffic model simulates: tenants, their skill groups (arrival rate, handle-time and
 * patience distributions) and agents (skills, shifts, breaks), over a span of time. Validated once,
 * at the door, with errors that name the field.
 */
import { checkShift, type ShiftConfig } from './calendar.js';
import { checkPeak, FLAT_PROFILE, type Peak } from './profile.js';
import type { Duration } from './random.js';

/** A queue of calls and what its calls look like. */
export interface SkillGroupConfig {
  /** Skill-group id (1–128 characters). */
  readonly id: string;
  /** Arrival rate at profile weight 1 outside any peak, calls per hour (≥ 0). */
  readonly callsPerHour: number;
  /** 24 hourly weights for this group; default the model's {@link TrafficConfig.profile}. */
  readonly profile?: readonly number[];
  /** Talk time, seconds. */
  readonly talk: Duration;
  /** Share of calls put on hold once (0–1) and how long, seconds. */
  readonly hold?: { readonly share: number; readonly duration: Duration };
  /** After-call work, seconds; absent: none. */
  readonly acw?: Duration;
  /** Caller patience, seconds; absent: callers never abandon. */
  readonly patience?: Duration;
  /** Call priority carried on the events (0–9). */
  readonly priority?: number;
}

/** An agent: one extension, the skill groups it serves, when it works. */
export interface AgentConfig {
  /** Agent id, unique in its tenant (1–128 characters). */
  readonly id: string;
  /** Extension (device) id; default `x-<agent id>`. */
  readonly extension?: string;
  /** Skill groups served, in the tenant; a free agent takes the longest-waiting call of them all. */
  readonly skillGroups: readonly string[];
  /** Daily shift; absent: logged in the whole run. */
  readonly shift?: ShiftConfig;
}

/** One contact center. */
export interface TenantConfig {
  /** Tenant id (`^[a-z0-9][a-z0-9_-]{0,62}$`). */
  readonly id: string;
  readonly skillGroups: readonly SkillGroupConfig[];
  readonly agents: readonly AgentConfig[];
  /** How long an offered call rings at the agent before it is answered, seconds (default 2; the mean when `ringCv` > 0). */
  readonly ringSec?: number;
  /**
   * Coefficient of variation of the ring time (default 0: every call rings `ringSec`). Above 0 each call's ring time is
   * a lognormal draw of mean `ringSec` (agents pick up after one ring or after four), from its own random stream, so the
   * rest of the run draws the same numbers whatever this is.
   */
  readonly ringCv?: number;
}

/** A whole run of the traffic model. */
export interface TrafficConfig {
  /** Seed of every random stream (same seed, same events, byte for byte). */
  readonly seed: number;
  /** First instant simulated, epoch ms. */
  readonly start: number;
  /** Length of the run, ms (> 0). */
  readonly durationMs: number;
  /** Local time minus UTC, minutes: places the profile's hours, shifts and interval boundaries (default 0). */
  readonly utcOffsetMinutes?: number;
  /** Default 24 hourly weights of every skill group (default {@link FLAT_PROFILE}). */
  readonly profile?: readonly number[];
  /** Surges applied to every skill group's rate. */
  readonly peaks?: readonly Peak[];
  /** Length of the vendor interval reports, seconds (default 900). */
  readonly intervalSec?: 900 | 1800;
  /** Service-level threshold T of `answeredWithinSl` / `abandonedWithinSl`, seconds (default 20). */
  readonly serviceLevelSec?: number;
  /** Prefix of event and call ids (default `t<seed>`). */
  readonly idPrefix?: string;
  readonly tenants: readonly TenantConfig[];
}

/** A validated {@link TrafficConfig} with every default filled in. */
export type ResolvedConfig = Required<Omit<TrafficConfig, 'tenants'>> & { readonly tenants: readonly TenantConfig[] };

const ID = /^[^\s]{1,128}$/;
const TENANT = /^[a-z0-9][a-z0-9_-]{0,62}$/;

function checkDuration(d: Duration | undefined, name: string): void {
  if (d === undefined) return;
  const pos = (v: number) => Number.isFinite(v) && v >= 0;
  if (
    d.kind === 'fixed'
      ? !pos(d.sec)
      : d.kind === 'exponential' || d.kind === 'lognormal'
        ? !(d.meanSec > 0 && Number.isFinite(d.meanSec))
        : true
  ) {
    throw new RangeError(`${name} must be fixed (sec ≥ 0), exponential or lognormal (meanSec > 0)`);
  }
  if (d.kind === 'lognormal' && !pos(d.cv)) throw new RangeError(`${name}.cv must be ≥ 0`);
}

function checkProfile(p: readonly number[] | undefined, name: string): void {
  if (p === undefined) return;
  if (p.length !== 24 || p.some((w) => !(w >= 0 && Number.isFinite(w)))) throw new RangeError(`${name} must be 24 hourly weights ≥ 0`);
}

/**
 * Validates a configuration and fills in its defaults.
 * @throws RangeError naming the field and the rule, e.g. "tenants[0].skillGroups[1].callsPerHour must be ≥ 0"
 */
export function resolveConfig(c: TrafficConfig): ResolvedConfig {
  if (!Number.isInteger(c.seed)) throw new RangeError('seed must be an integer');
  if (!Number.isInteger(c.start) || c.start < 0) throw new RangeError('start must be an epoch ms ≥ 0');
  if (!Number.isInteger(c.durationMs) || c.durationMs <= 0) throw new RangeError('durationMs must be a whole number of ms > 0');
  const off = c.utcOffsetMinutes ?? 0;
  if (!Number.isInteger(off) || Math.abs(off) > 14 * 60)
    throw new RangeError('utcOffsetMinutes must be a whole number of minutes within ±840');
  checkProfile(c.profile, 'profile');
  (c.peaks ?? []).forEach((p, i) => {
    checkPeak(p, `peaks[${i}]`);
  });
  const intervalSec = c.intervalSec ?? 900;
  if (intervalSec !== 900 && intervalSec !== 1800) throw new RangeError('intervalSec must be 900 or 1800');
  const sl = c.serviceLevelSec ?? 20;
  if (!(sl >= 0) || !Number.isFinite(sl)) throw new RangeError('serviceLevelSec must be ≥ 0');
  const idPrefix = c.idPrefix ?? `t${c.seed}`;
  if (!/^[A-Za-z0-9._:-]{1,40}$/.test(idPrefix)) throw new RangeError('idPrefix must be 1–40 letters, digits or ._:-');
  if (c.tenants.length === 0) throw new RangeError('tenants must name at least one tenant');
  const tenantIds = new Set<string>();
  c.tenants.forEach((t, ti) => {
    const tn = `tenants[${ti}]`;
    if (!TENANT.test(t.id)) throw new RangeError(`${tn}.id must match ${TENANT.source}`);
    if (tenantIds.has(t.id)) throw new RangeError(`${tn}.id '${t.id}' is repeated`);
    tenantIds.add(t.id);
    if (t.ringSec !== undefined && !(t.ringSec >= 0 && Number.isFinite(t.ringSec))) throw new RangeError(`${tn}.ringSec must be ≥ 0`);
    if (t.ringCv !== undefined && !(t.ringCv >= 0 && t.ringCv <= 3)) throw new RangeError(`${tn}.ringCv must be within 0..3`);
    const groups = new Set<string>();
    t.skillGroups.forEach((g, gi) => {
      const gn = `${tn}.skillGroups[${gi}]`;
      if (!ID.test(g.id)) throw new RangeError(`${gn}.id must be 1–128 characters without spaces`);
      if (groups.has(g.id)) throw new RangeError(`${gn}.id '${g.id}' is repeated`);
      groups.add(g.id);
      if (!(g.callsPerHour >= 0) || !Number.isFinite(g.callsPerHour)) throw new RangeError(`${gn}.callsPerHour must be ≥ 0`);
      checkProfile(g.profile, `${gn}.profile`);
      checkDuration(g.talk, `${gn}.talk`);
      checkDuration(g.acw, `${gn}.acw`);
      checkDuration(g.patience, `${gn}.patience`);
      if (g.hold) {
        if (!(g.hold.share >= 0 && g.hold.share <= 1)) throw new RangeError(`${gn}.hold.share must be between 0 and 1`);
        checkDuration(g.hold.duration, `${gn}.hold.duration`);
      }
      if (g.priority !== undefined && !(Number.isInteger(g.priority) && g.priority >= 0 && g.priority <= 9))
        throw new RangeError(`${gn}.priority must be a whole number 0–9`);
    });
    const agents = new Set<string>();
    const extensions = new Set<string>();
    t.agents.forEach((a, ai) => {
      const an = `${tn}.agents[${ai}]`;
      if (!ID.test(a.id)) throw new RangeError(`${an}.id must be 1–128 characters without spaces`);
      if (agents.has(a.id)) throw new RangeError(`${an}.id '${a.id}' is repeated`);
      agents.add(a.id);
      const ext = a.extension ?? `x-${a.id}`;
      if (!ID.test(ext)) throw new RangeError(`${an}.extension must be 1–128 characters without spaces`);
      if (extensions.has(ext)) throw new RangeError(`${an}.extension '${ext}' is repeated`);
      extensions.add(ext);
      if (a.skillGroups.length === 0 || a.skillGroups.length > 64) throw new RangeError(`${an}.skillGroups must name 1–64 skill groups`);
      for (const s of a.skillGroups)
        if (!groups.has(s)) throw new RangeError(`${an}.skillGroups names '${s}', which is not a skill group of ${t.id}`);
      if (a.shift) checkShift(a.shift, `${an}.shift`);
    });
  });
  return {
    seed: c.seed,
    start: c.start,
    durationMs: c.durationMs,
    utcOffsetMinutes: off,
    profile: c.profile ?? FLAT_PROFILE,
    peaks: c.peaks ?? [],
    intervalSec,
    serviceLevelSec: sl,
    idPrefix,
    tenants: c.tenants,
  };
}
