import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, expect, inject, it } from 'vitest';
import { systemClock } from '../../adapters/clock.js';
import { WorkflowEngine } from '../../workflow/engine/engine.js';
import { FlowCatalog } from '../../workflow/engine/flow-store.js';
import { timersForTicket } from '../../workflow/engine/timers.js';
import { connectWorkflowRedis, WorkflowKeys } from '../../workflow/redis/connection.js';
import { RedisFlowRepository, RedisRoundRobinCounter } from '../../workflow/redis/flow-repository.js';
import { RedisTicketStore } from '../../workflow/redis/ticket-store.js';
import type { Notification, Notifier } from '../../workflow/sla/notifier.js';
import { TimerService } from '../../workflow/sla/timer-service.js';

/** A flow whose every ticket waits at `work` with two warnings and a breach a few seconds out. */
const LOAD_FLOW = `
id: load
version: 1
tenant: load
name: Load
nodes:
  - { id: start, type: start }
  - id: work
    type: task
    assignees: { user: worker }
    sla: { duration: 7000, warnings: [{ delay: 3000, channel: message }, { delay: 5000, channel: sms }] }
  - { id: end, type: end }
controls:
  - { from: start, to: work }
  - { from: work, to: end }
`;
const TICKETS = 10_000;
const CLOSED_EARLY = 1_000;
const LEASE_MS = 2_000;
const CRASH_AFTER = 2_000;

const connections: Redis[] = [];
const services: TimerService[] = [];
afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  for (const c of connections) c.disconnect();
});

/** One workflow instance (its own Redis connection, engine and timer service) on the shared keys. */
async function instance(keys: WorkflowKeys, notifier: Notifier, crashable = false) {
  const redis = await connectWorkflowRedis(inject('redisUrl'));
  connections.push(redis);
  const tickets = new RedisTicketStore(redis, { keys });
  const timers = tickets.timers;
  const engine = new WorkflowEngine({
    tickets,
    flows: new FlowCatalog(new RedisFlowRepository(redis, keys)),
    clock: systemClock,
    roundRobin: new RedisRoundRobinCounter(redis, keys),
  });
  const service = new TimerService({ store: timers, notifier, clock: systemClock, leaseMs: LEASE_MS, batchSize: 200, pollIntervalMs: 200 });
  if (!crashable) services.push(service);
  return { redis, engine, service, timers, flows: new FlowCatalog(new RedisFlowRepository(redis, keys)) };
}

it('fires every SLA warning of 10k tickets exactly once across three instances, and loses none when one dies mid-send', async () => {
  const keys = new WorkflowKeys(`test:wf:load:${randomUUID().slice(0, 8)}:`);
  const delivered = new Map<string, number>();
  const lateness: number[] = [];
  const record = (n: Notification): void => {
    delivered.set(n.timer.id, (delivered.get(n.timer.id) ?? 0) + 1);
    lateness.push(n.latenessMs);
  };
  const healthy: Notifier = { notify: async (n) => record(n) };
  // The doomed instance delivers for a while, then its process "dies": every send from then on never returns.
  let doomedSent = 0;
  let crashedAt: number | undefined;
  const doomed: Notifier = {
    notify: (n) => {
      if (doomedSent >= CRASH_AFTER) {
        crashedAt ??= Date.now();
        return new Promise<void>(() => undefined);
      }
      doomedSent++;
      record(n);
      return Promise.resolve();
    },
  };
  const a = await instance(keys, healthy);
  const b = await instance(keys, healthy);
  const c = await instance(keys, doomed, true);
  await a.flows.deploy(LOAD_FLOW);
  for (const i of [a, b, c]) i.service.start();

  // Create tickets through all three engines, 64 at a time; close some before their first warning.
  const expected = new Set<string>();
  const engines = [a.engine, b.engine, c.engine];
  const t0 = Date.now();
  for (let start = 0; start < TICKETS; start += 64) {
    await Promise.all(
      Array.from({ length: Math.min(64, TICKETS - start) }, async (_, k) => {
        const n = start + k;
        const engine = engines[n % 3] as WorkflowEngine;
        const { ticket } = await engine.createTicket({ tenant: 'load', flowId: 'load', actor: { id: 'loader' }, id: `L${n}` });
        if (n < CLOSED_EARLY) await engines[(n + 1) % 3]?.act('load', ticket.id, { type: 'complete', actor: { id: 'worker' } });
        else for (const t of timersForTicket(ticket)) expected.add(t.id);
      }),
    );
  }
  const createdMs = Date.now() - t0;
  expect(expected.size).toBe((TICKETS - CLOSED_EARLY) * 3);

  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    const counts = await a.timers.counts();
    if (crashedAt !== undefined && counts.pending === 0 && counts.inFlight === 0 && delivered.size >= expected.size) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  void c.service.stop();
  c.redis.disconnect();

  expect(crashedAt, 'the doomed instance crashed mid-way').toBeDefined();
  const missing = [...expected].filter((id) => !delivered.has(id));
  const twice = [...delivered].filter(([, n]) => n > 1).map(([id]) => id);
  const unexpected = [...delivered.keys()].filter((id) => !expected.has(id));
  expect({ missing: missing.length, twice: twice.length, unexpected: unexpected.length }).toEqual({ missing: 0, twice: 0, unexpected: 0 });
  expect(delivered.size).toBe(expected.size);
  lateness.sort((x, y) => x - y);
  console.log(
    `[workflow.instances] ${TICKETS} tickets in ${createdMs} ms; ${expected.size} timers fired once; doomed instance delivered ${doomedSent} before dying; ` +
      `lateness p50 ${lateness[Math.floor(lateness.length / 2)]} ms, p99 ${lateness[Math.floor(lateness.length * 0.99)]} ms, max ${lateness[lateness.length - 1]} ms`,
  );
}, 90_000);
