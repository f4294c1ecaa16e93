/**
 * The discrete-event simulation behind the traffic model: calls arrive (non-homogeneous Poisson, by
 * thinning), wait FIFO per skill group for a free agent of that group, ring, are talked to (with an
 * optional hold in the middle), wrapped up, or abandoned when the caller's patience runs out first
 * (while ringing too). Agents log in and out with their shifts and take breaks (AUX) when free.
 * One future-event list drives everything, so the agent, extension, skill-group and interval events
 * agree with each other; everything emitted at one step carries that step's time.
 */
import type { TelemetryEvent } from '../pipelines/events/types.js';
import { isAllDay, shiftWindowAt, type ShiftWindow } from './calendar.js';
import type { ResolvedConfig } from './config.js';
import { EventHeap } from './heap.js';
import { plateau } from './profile.js';
import { exponential, lognormal, sampleMs } from './random.js';
import { Recorder } from './recorder.js';
import { buildTenants, type Agent, type Call, type Group, type Tenant } from './runtime.js';

/** Tie-break classes at one instant: interval reports close first, then shift changes, then calls. */
const INTERVAL = 0;
const AGENT = 1;
const CALL = 2;

/** Steps the simulation; each step returns the events one scheduled item produced. */
export class TrafficEngine {
  readonly #c: ResolvedConfig;
  readonly #heap = new EventHeap();
  readonly #rec: Recorder;
  readonly #end: number;
  readonly #intervalMs: number;
  /** Tenants with their groups and agents, for the summary. */
  readonly tenants: readonly Tenant[];
  #now: number;
  #started = false;

  /** @param c a configuration checked by `resolveConfig` */
  constructor(c: ResolvedConfig) {
    this.#c = c;
    this.#rec = new Recorder(c);
    this.#now = c.start;
    this.#end = c.start + c.durationMs;
    this.#intervalMs = c.intervalSec * 1000;
    this.tenants = buildTenants(c);
  }

  /** Events emitted so far, by source. */
  get counts(): Readonly<Recorder['counts']> {
    return this.#rec.counts;
  }

  /** What the run holds in memory now: items scheduled, and queue slots held (waiting calls and not yet dropped leavers). */
  footprint(): { scheduled: number; queueSlots: number } {
    let queueSlots = 0;
    for (const t of this.tenants) for (const g of t.groups) queueSlots += g.queue.length - g.head;
    return { scheduled: this.#heap.size, queueSlots };
  }

  /** Processes the next scheduled item; returns its events (maybe none), or undefined once the run is over. */
  step(): TelemetryEvent[] | undefined {
    if (!this.#started) {
      this.#started = true;
      this.#init();
    } else {
      const top = this.#heap.peek();
      if (!top || top.at > this.#end || (top.at === this.#end && top.cls !== INTERVAL)) return undefined;
      this.#heap.pop();
      this.#now = top.at;
      top.fire();
    }
    return this.#rec.drain();
  }

  #at(at: number, cls: number, fire: () => void): void {
    this.#heap.push(at, cls, fire);
  }

  #init(): void {
    const off = this.#c.utcOffsetMinutes;
    for (const t of this.tenants) {
      for (const a of t.agents) {
        const shift = a.cfg.shift;
        if (!shift || isAllDay(shift)) this.#login(a, undefined);
        else {
          const w = shiftWindowAt(shift, this.#now, off);
          if (w.start <= this.#now) this.#login(a, w);
          else {
            this.#loggedOut(a);
            this.#at(w.start, AGENT, () => this.#login(a, w));
          }
        }
      }
      for (const g of t.groups) this.#nextArrival(g);
    }
    const l = this.#intervalMs;
    const offMs = off * 60_000;
    const first = Math.floor((this.#now + offMs) / l) * l - offMs + l;
    if (first <= this.#end) this.#at(first, INTERVAL, () => this.#closeInterval(first));
  }

  #closeInterval(end: number): void {
    this.#rec.intervals(end, this.tenants);
    const next = end + this.#intervalMs;
    if (next <= this.#end) this.#at(next, INTERVAL, () => this.#closeInterval(next));
  }

  // ── calls ─────────────────────────────────────────────────────────────────────────────────────

  /** Thinning (Lewis & Shedler 1979): candidates at the bound rate, each kept with probability λ(t)/λmax. */
  #nextArrival(g: Group): void {
    const maxPerHour = g.rate.max();
    if (!(maxPerHour > 0)) return;
    const meanGapMs = 3_600_000 / maxPerHour;
    let t = g.cursor;
    for (;;) {
      t += exponential(g.arrivals, meanGapMs);
      if (t >= this.#end) return;
      if (g.arrivals() * maxPerHour < g.rate.at(t)) break;
    }
    g.cursor = t;
    this.#at(Math.floor(t), CALL, () => this.#arrive(g));
  }

  #arrive(g: Group): void {
    const cfg = g.cfg;
    const s = g.stats;
    // The same number of draws for every call, whatever happens to it, keeps the stream aligned.
    const talkMs = sampleMs(g.attrs, cfg.talk);
    const holdDraw = cfg.hold ? sampleMs(g.attrs, cfg.hold.duration) : 0;
    const holdMs = cfg.hold && g.attrs() < cfg.hold.share ? holdDraw : 0;
    const acwMs = cfg.acw ? sampleMs(g.attrs, cfg.acw) : 0;
    const patienceMs = cfg.patience ? sampleMs(g.attrs, cfg.patience) : Infinity;
    s.drawnTalk.add(talkMs);
    if (holdMs > 0) s.drawnHold.add(holdMs);
    if (cfg.acw) s.drawnAcw.add(acwMs);
    if (cfg.patience) s.drawnPatience.add(patienceMs);
    this.#c.peaks.forEach((p, i) => {
      const pl = plateau(p);
      if (this.#now >= pl.from && this.#now < pl.to) s.plateauArrivals[i]!++;
    });

    const call: Call = { id: this.#rec.callId(), group: g, arrival: this.#now, talkMs, holdMs, acwMs, state: 'queued' };
    this.#rec.call(this.#now, call, 'OFFERED');
    if (patienceMs !== Infinity) this.#at(this.#now + patienceMs, CALL, () => this.#abandon(call));
    const agent = this.#longestIdle(g);
    if (agent) this.#ring(agent, call);
    else {
      // Calls that abandoned stay in the array until an agent skips them; a group nobody serves drops them here.
      if (g.queue.length - g.head > 2 * g.waiting + 256) {
        g.queue = g.queue.slice(g.head).filter((q) => q.state === 'queued');
        g.head = 0;
      }
      g.queue.push(call);
      g.waiting++;
      if (g.waiting > s.maxWaiting) s.maxWaiting = g.waiting;
    }
    this.#nextArrival(g);
  }

  #longestIdle(g: Group): Agent | undefined {
    let best: Agent | undefined;
    for (const a of g.agents) if (a.state === 'AVAILABLE' && (!best || a.idleSince < best.idleSince)) best = a;
    return best;
  }

  #ring(a: Agent, c: Call): void {
    c.state = 'ringing';
    c.agent = a;
    a.call = c;
    this.#rec.agent(this.#now, a, 'RINGING', { callId: c.id });
    this.#rec.extension(this.#now, a, 'RINGING', c.id);
    const t = a.tenant;
    const ringMs = t.ringCv > 0 ? Math.round(lognormal(t.ring, t.ringMs, t.ringCv)) : t.ringMs;
    this.#at(this.#now + ringMs, CALL, () => this.#answer(c));
  }

  #answer(c: Call): void {
    if (c.state !== 'ringing') return;
    const a = c.agent!;
    const now = this.#now;
    c.state = 'talking';
    const waitMs = now - c.arrival;
    c.group.stats.answerWaitMs += waitMs;
    this.#rec.call(now, c, 'ANSWERED', { waitMs, agentId: a.cfg.id });
    this.#rec.agent(now, a, 'ON_CALL', { callId: c.id });
    this.#rec.extension(now, a, 'BUSY', c.id);
    if (c.holdMs > 0) {
      // Scheduled together, in order, so the hold ends before the hang-up even when they coincide.
      const holdAt = now + Math.floor(c.talkMs / 2);
      this.#at(holdAt, CALL, () => this.#rec.agent(this.#now, a, 'HOLD', { callId: c.id }));
      this.#at(holdAt + c.holdMs, CALL, () => this.#rec.agent(this.#now, a, 'ON_CALL', { callId: c.id }));
    }
    this.#at(now + c.talkMs + c.holdMs, CALL, () => this.#hangUp(c, waitMs));
  }

  #hangUp(c: Call, waitMs: number): void {
    const a = c.agent!;
    this.#rec.extension(this.#now, a, 'IDLE', c.id);
    if (c.acwMs === 0) {
      this.#complete(c, waitMs);
      return;
    }
    c.state = 'wrap';
    this.#rec.agent(this.#now, a, 'ACW', { callId: c.id });
    this.#at(this.#now + c.acwMs, CALL, () => this.#complete(c, waitMs));
  }

  #complete(c: Call, waitMs: number): void {
    const a = c.agent!;
    c.state = 'done';
    this.#rec.call(this.#now, c, 'COMPLETED', { waitMs, talkMs: c.talkMs, holdMs: c.holdMs, acwMs: c.acwMs, agentId: a.cfg.id });
    a.call = undefined;
    this.#free(a);
  }

  #abandon(c: Call): void {
    if (c.state !== 'queued' && c.state !== 'ringing') return;
    const ringing = c.state === 'ringing' ? c.agent : undefined;
    if (c.state === 'queued') c.group.waiting--;
    c.state = 'abandoned';
    const waitMs = this.#now - c.arrival;
    c.group.stats.abandonWaitMs += waitMs;
    this.#rec.call(this.#now, c, 'ABANDONED', { waitMs });
    if (ringing) {
      ringing.call = undefined;
      this.#rec.extension(this.#now, ringing, 'IDLE', c.id);
      this.#free(ringing);
    }
  }

  /** Takes the longest-waiting queued call among the agent's skill groups (FIFO within each group). */
  #nextCall(a: Agent): Call | undefined {
    let best: Group | undefined;
    for (const g of a.skills) {
      while (g.head < g.queue.length && g.queue[g.head]!.state !== 'queued') g.head++;
      if (g.head > 256 && g.head * 2 > g.queue.length) {
        g.queue = g.queue.slice(g.head);
        g.head = 0;
      }
      const c = g.queue[g.head];
      if (c && (!best || c.arrival < best.queue[best.head]!.arrival)) best = g;
    }
    if (!best) return undefined;
    best.waiting--;
    return best.queue[best.head++];
  }

  // ── agents ────────────────────────────────────────────────────────────────────────────────────

  /** The agent just finished (a call, a ring, a break): log out, take a due break, or take calls. */
  #free(a: Agent): void {
    if (!a.onShift) this.#loggedOut(a);
    else if (a.pendingBreak) this.#startBreak(a, a.pendingBreak.ms, a.pendingBreak.reason);
    else this.#available(a);
  }

  #available(a: Agent): void {
    this.#rec.agent(this.#now, a, 'AVAILABLE');
    a.idleSince = this.#now;
    const c = this.#nextCall(a);
    if (c) this.#ring(a, c);
  }

  #loggedOut(a: Agent): void {
    this.#rec.agent(this.#now, a, 'LOGGED_OUT');
    this.#rec.extension(this.#now, a, 'UNAVAILABLE');
  }

  #login(a: Agent, w: ShiftWindow | undefined): void {
    a.onShift = true;
    // A run that starts during one of the agent's breaks finds the agent on it, for what is left of it.
    const inBreak = w?.breaks.find((b) => b.start < this.#now && b.start + b.ms > this.#now);
    // Still on a call from the previous shift (shifts less than a call apart): it goes on, then takes calls.
    if (!a.call) {
      this.#rec.extension(this.#now, a, 'IDLE');
      if (inBreak) this.#startBreak(a, inBreak.start + inBreak.ms - this.#now, inBreak.reason);
      else this.#available(a);
    }
    if (!w) return;
    for (const b of w.breaks) {
      if (b.start >= this.#now && b.start < w.end) this.#at(b.start, AGENT, () => this.#breakDue(a, b.ms, b.reason));
    }
    this.#at(w.end, AGENT, () => {
      a.onShift = false;
      a.pendingBreak = undefined;
      a.breakToken++;
      if (a.state === 'AVAILABLE' || a.state === 'AUX') this.#loggedOut(a);
      const next = shiftWindowAt(a.cfg.shift!, w.end, this.#c.utcOffsetMinutes);
      this.#at(next.start, AGENT, () => this.#login(a, next));
    });
  }

  #breakDue(a: Agent, ms: number, reason: string): void {
    if (!a.onShift || a.state === 'AUX') return;
    if (a.state === 'AVAILABLE') this.#startBreak(a, ms, reason);
    else a.pendingBreak = { ms, reason };
  }

  #startBreak(a: Agent, ms: number, reason: string): void {
    a.pendingBreak = undefined;
    this.#rec.agent(this.#now, a, 'AUX', { reason });
    const token = ++a.breakToken;
    this.#at(this.#now + ms, AGENT, () => {
      if (token === a.breakToken && a.state === 'AUX') this.#available(a);
    });
  }
}
