import type { Clock, TimerHandle } from '../adapters/clock.js';
import type { SkillGroupEvent } from './events/types.js';
import { seededRandom } from '../adapters/random.js';

/** Re-exported for callers that seed their own streams. */
export { seededRandom };

/** Options for {@link Simulator}. Rates per second, times in ms. */
export interface SimulatorOptions {
  clock: Clock;
  /** Receives each tick's events (in event-time order). A rejected promise is retried next tick. */
  send: (events: SkillGroupEvent[]) => Promise<void>;
  tenants?: string[];
  skillGroups?: string[];
  /** Mean new calls per second per skill group. */
  callsPerSecond?: number;
  /** Share of calls answered (the rest abandon). */
  answerRate?: number;
  meanWaitMs?: number;
  meanTalkMs?: number;
  tickMs?: number;
  seed?: number;
}

interface Pending {
  at: number;
  event: SkillGroupEvent;
}

/**
 * The built-in traffic source of the demo: Poisson call arrivals per tenant and skill group, each call
 * OFFERED, then ANSWERED (and COMPLETED after its talk time) or ABANDONED after an exponential wait.
 */
export class Simulator {
  readonly #o: Required<Omit<SimulatorOptions, 'clock' | 'send'>> & Pick<SimulatorOptions, 'clock' | 'send'>;
  readonly #rand: () => number;
  #pending: Pending[] = [];
  #timer: TimerHandle | undefined;
  #seq = 0;
  #running = false;
  #inFlight: Promise<void> = Promise.resolve();
  /** Events handed to `send` successfully. */
  sent = 0;

  constructor(opts: SimulatorOptions) {
    this.#o = {
      tenants: ['demo'],
      skillGroups: ['sales', 'support', 'billing'],
      callsPerSecond: 2,
      answerRate: 0.85,
      meanWaitMs: 20_000,
      meanTalkMs: 180_000,
      tickMs: 250,
      seed: 1,
      ...opts,
    };
    if (!(this.#o.callsPerSecond >= 0) || !(this.#o.tickMs > 0)) throw new Error('callsPerSecond must be ≥ 0 and tickMs > 0');
    this.#rand = seededRandom(this.#o.seed);
  }

  #exp(mean: number): number {
    return Math.round(-Math.log(1 - this.#rand()) * mean);
  }

  #poisson(mean: number): number {
    const l = Math.exp(-mean);
    let k = 0;
    let p = 1;
    do {
      k++;
      p *= this.#rand();
    } while (p > l);
    return k - 1;
  }

  #event(tenant: string, skillGroup: string, callId: string, type: SkillGroupEvent['body']['type'], ts: number, extra: Partial<SkillGroupEvent['body']> = {}): SkillGroupEvent {
    return { v: 1, tenant, source: 'skillgroup', id: `sim-${this.#o.seed}-${++this.#seq}`, ts, body: { skillGroup, callId, type, ...extra } };
  }

  /** Generates the events due by `now` (one tick's worth of arrivals first). */
  tick(now: number): SkillGroupEvent[] {
    const o = this.#o;
    for (const tenant of o.tenants) {
      for (const sg of o.skillGroups) {
        const n = this.#poisson((o.callsPerSecond * o.tickMs) / 1000);
        for (let i = 0; i < n; i++) {
          const at = now - Math.floor(this.#rand() * o.tickMs);
          const callId = `${tenant}-${sg}-${this.#seq + 1}`;
          this.#pending.push({ at, event: this.#event(tenant, sg, callId, 'OFFERED', at) });
          const wait = this.#exp(o.meanWaitMs);
          if (this.#rand() < o.answerRate) {
            const talk = this.#exp(o.meanTalkMs);
            this.#pending.push({ at: at + wait, event: this.#event(tenant, sg, callId, 'ANSWERED', at + wait, { waitMs: wait }) });
            this.#pending.push({ at: at + wait + talk, event: this.#event(tenant, sg, callId, 'COMPLETED', at + wait + talk, { waitMs: wait, talkMs: talk }) });
          } else {
            this.#pending.push({ at: at + wait, event: this.#event(tenant, sg, callId, 'ABANDONED', at + wait, { waitMs: wait }) });
          }
        }
      }
    }
    const due = this.#pending.filter((p) => p.at <= now).sort((a, b) => a.at - b.at);
    this.#pending = this.#pending.filter((p) => p.at > now);
    return due.map((p) => p.event);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const loop = () => {
      if (!this.#running) return;
      const events = this.tick(this.#o.clock.now());
      this.#inFlight = events.length === 0 ? Promise.resolve() : this.#o.send(events).then(
        () => {
          this.sent += events.length;
        },
        () => {
          // The bus refused: put them back, in order, for the next tick.
          this.#pending.unshift(...events.map((event) => ({ at: event.ts, event })));
        },
      );
      void this.#inFlight.then(() => {
        if (this.#running) this.#timer = this.#o.clock.setTimeout(loop, this.#o.tickMs);
      });
    };
    loop();
  }

  /** Stops generating; resolves once the last send settled. Calls still in progress are not emitted. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer);
    await this.#inFlight;
  }
}
