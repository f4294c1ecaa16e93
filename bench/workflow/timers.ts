import type { Redis } from 'ioredis';
import { systemClock } from '../../adapters/clock.js';
import { connectWorkflowRedis, WorkflowKeys } from '../../workflow/redis/connection.js';
import { RedisTimerStore } from '../../workflow/redis/timer-store.js';
import type { Notification } from '../../workflow/sla/notifier.js';
import { TimerService } from '../../workflow/sla/timer-service.js';
import type { SlaTimer } from '../../workflow/sla/timer-store.js';
import { perOp, readCpu, redisServerPid, type CpuPerOp } from './cpu.js';
import { quantile } from './ops.js';

/** Settings of {@link measureTimers}. */
export interface TimerSettings {
  readonly redisUrl: string;
  /** Timers pending when the measured window opens (background plus those that fire). */
  readonly pending: number;
  /** Of those, how many fall due inside the window (spread evenly). */
  readonly firing: number;
  /** Length of the window, ms. */
  readonly windowMs: number;
  /** Timer service instances claiming from the one store, each with its own connection. */
  readonly claimers: number;
  readonly tenants: readonly string[];
  /** Progress lines. */
  readonly log: (line: string) => void;
}

/** What {@link measureTimers} measured. */
export interface TimerResult {
  /** Pending timers (sorted-set size) when the window opened. */
  readonly pendingTimers: number;
  readonly firing: number;
  readonly fired: number;
  readonly latenessP50Ms: number;
  readonly latenessP99Ms: number;
  readonly latenessMaxMs: number;
  /** Timers due in the window that never fired. */
  readonly lost: number;
  /** Extra deliveries of a timer already delivered. */
  readonly duplicated: number;
  /** Background timers (due hours later) that fired: must be 0. */
  readonly early: number;
  /** Timers written per second while loading. */
  readonly loadPerSec: number;
  /** Deliveries per claimer. */
  readonly perClaimer: readonly number[];
  /** CPU per timer written (`schedule`, this process) while loading. */
  readonly writeCpu: CpuPerOp;
  /** CPU per delivery (claim, notify, ack: the claimers in this process) from their start until they stop. */
  readonly deliveryCpu: CpuPerOp;
}

const HOUR = 3_600_000;

function timer(i: number, tenant: string, dueAt: number): SlaTimer {
  const ticketId = `B${Math.floor(i / 3)}`;
  const level = (i % 3) + 1;
  return {
    id: `${ticketId}/1/warning/${level}/0`,
    tenant,
    ticketId,
    revision: 1,
    dueAt,
    kind: 'warning',
    level,
    repeat: 0,
    nodeId: 'manager',
    channel: 'message',
    recipients: ['user:max', 'group:billing-supervisors'],
    message: `Ticket ${ticketId} at node "manager": SLA warning level ${level}`,
    attempt: 1,
    flow: { id: 'fee-reduction', version: 1 },
    team: 'group:billing-managers',
  };
}

/** Writes timers through the store, `inFlight` at a time (ioredis pipelines them). */
async function load(store: RedisTimerStore, from: number, to: number, make: (i: number) => SlaTimer, inFlight = 2_000): Promise<void> {
  let next = from;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < to) {
        const i = next++;
        if (!(await store.schedule(make(i)))) throw new Error(`timer ${i} was refused`);
      }
    }),
  );
}

/**
 * SLA timer lateness with a large backlog: loads `pending` timers into the Redis store
 * (most due hours later, `firing` of them spread over the window), starts `claimers`
 * timer services, and records for every delivery its lateness (claim instant minus due
 * time). Counts timers lost (due in the window, never delivered) and duplicated.
 */
export async function measureTimers(s: TimerSettings): Promise<TimerResult> {
  const keys = new WorkflowKeys('bench:timers:');
  const setup = await connectWorkflowRedis(s.redisUrl);
  const store = new RedisTimerStore(setup, { keys });
  const tenantOf = (i: number): string => s.tenants[i % s.tenants.length] as string;
  const redisPid = await redisServerPid(setup);

  const background = s.pending - s.firing;
  const t0 = Date.now();
  const loadCpu0 = readCpu(redisPid);
  await load(store, 0, background, (i) => timer(i, tenantOf(i), t0 + HOUR + ((i * 7_919) % (23 * HOUR))));
  // The window opens 3 s after the firing timers are written (at the rate measured so far, with
  // margin), so every one of them is pending and every claimer running when it does.
  const rate = background / Math.max(0.001, (Date.now() - t0) / 1000);
  const windowStart = Date.now() + 3_000 + Math.ceil((1.5 * s.firing * 1000) / Math.max(1_000, rate));
  await load(store, background, s.pending, (i) =>
    timer(i, tenantOf(i), windowStart + Math.floor(((i - background) * s.windowMs) / s.firing)),
  );
  const loadPerSec = s.pending / ((Date.now() - t0) / 1000);
  const writeCpu = perOp(loadCpu0, readCpu(redisPid), s.pending);
  s.log(`loaded ${s.pending} timers at ${Math.round(loadPerSec)}/s`);

  const deliveries = new Map<string, number>();
  const lateness: number[] = [];
  const perClaimer = Array.from({ length: s.claimers }, () => 0);
  let early = 0;
  const connections: Redis[] = [setup];
  const services: TimerService[] = [];
  for (let c = 0; c < s.claimers; c++) {
    const redis = await connectWorkflowRedis(s.redisUrl);
    connections.push(redis);
    const notify = async (n: Notification): Promise<void> => {
      const k = `${n.timer.tenant}/${n.timer.id}`;
      deliveries.set(k, (deliveries.get(k) ?? 0) + 1);
      if (n.timer.dueAt >= windowStart + s.windowMs) early++;
      lateness.push(n.latenessMs);
      perClaimer[c] = (perClaimer[c] ?? 0) + 1;
    };
    services.push(
      new TimerService({
        store: new RedisTimerStore(redis, { keys }),
        notifier: { notify },
        clock: systemClock,
        batchSize: 200,
        pollIntervalMs: 1_000,
        leaseMs: 30_000,
      }),
    );
  }
  const { pending: pendingTimers } = await store.counts();
  if (windowStart - Date.now() < 500)
    throw new Error('loading took longer than planned: the window would open before the claimers run; lower BENCH_WF_FIRING');
  const claimCpu0 = readCpu(redisPid);
  for (const svc of services) svc.start();
  const wait = windowStart + s.windowMs - Date.now();
  s.log(
    `${pendingTimers} pending; ${s.claimers} claimers; window opens in ${Math.round((windowStart - Date.now()) / 1000)} s and lasts ${s.windowMs / 1000} s`,
  );
  await new Promise((r) => setTimeout(r, Math.max(0, wait)));
  const grace = Date.now() + 10_000;
  while (Date.now() < grace && lateness.length < s.firing) await new Promise((r) => setTimeout(r, 100));
  await Promise.all(services.map((svc) => svc.stop()));
  const deliveryCpu = perOp(claimCpu0, readCpu(redisPid), lateness.length);

  let lost = 0;
  let duplicated = 0;
  for (let i = background; i < s.pending; i++) {
    const t = timer(i, tenantOf(i), 0);
    const n = deliveries.get(`${t.tenant}/${t.id}`) ?? 0;
    if (n === 0) lost++;
    else duplicated += n - 1;
  }
  const remaining = await store.counts();
  s.log(`after the window: ${remaining.pending} pending, ${remaining.inFlight} in flight`);
  for (const c of connections) await c.quit();
  lateness.sort((a, b) => a - b);
  return {
    pendingTimers,
    firing: s.firing,
    fired: lateness.length,
    latenessP50Ms: quantile(lateness, 0.5),
    latenessP99Ms: quantile(lateness, 0.99),
    latenessMaxMs: lateness[lateness.length - 1] ?? 0,
    lost,
    duplicated,
    early,
    loadPerSec,
    perClaimer,
    writeCpu,
    deliveryCpu,
  };
}
