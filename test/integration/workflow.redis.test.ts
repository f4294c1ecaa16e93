import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ManualClock } from '../../adapters/clock.js';
import { sampleFlowDoc, flowRepositoryContract } from '../../workflow/engine/flow-store.contract.js';
import { sampleTicket, ticketStoreContract } from '../../workflow/engine/ticket-store.contract.js';
import { MemoryPeopleDirectory } from '../../workflow/people/memory.js';
import { roundRobinContract } from '../../workflow/people/round-robin.contract.js';
import { connectWorkflowRedis, WorkflowKeys } from '../../workflow/redis/connection.js';
import { RedisFlowRepository, RedisRoundRobinCounter } from '../../workflow/redis/flow-repository.js';
import { RedisTicketStore } from '../../workflow/redis/ticket-store.js';
import { RedisTimerStore } from '../../workflow/redis/timer-store.js';
import { TimerService } from '../../workflow/sla/timer-service.js';
import { sampleTimer, timerStoreContract } from '../../workflow/sla/timer-store.contract.js';
import { call } from '../support/server.js';
import { workflowTestApp } from '../../workflow/testing/http.js';
import { createWorkflow, type Workflow } from '../../workflow/wire.js';

let shared: Promise<Redis> | undefined;
const redis = (): Promise<Redis> => (shared ??= connectWorkflowRedis(inject('redisUrl')));
/** A key namespace of its own, so every contract test starts from an empty store. */
const fresh = (): WorkflowKeys => new WorkflowKeys(`test:wf:${randomUUID().slice(0, 8)}:`);
const opened: Workflow[] = [];
/** Ann's key: the workflow acts as her, with the key's role and groups. */
const ANN = { ann: { tenant: 'default', role: 'agent', user: 'ann', groups: ['billing-agents'] } } as const;

afterAll(async () => {
  await Promise.all(opened.map((w) => w.stop()));
  await (await shared)?.quit();
});

ticketStoreContract('redis-server via ioredis', async () => new RedisTicketStore(await redis(), { keys: fresh() }));
timerStoreContract('redis-server via ioredis', async () => new RedisTimerStore(await redis(), { keys: fresh() }));
flowRepositoryContract('redis-server via ioredis', async () => new RedisFlowRepository(await redis(), fresh()));
roundRobinContract('redis-server via ioredis', async () => new RedisRoundRobinCounter(await redis(), fresh()));

describe('Redis workflow stores beyond the contract', () => {
  it('keeps per-tenant keys, open-todo counts and state counts in step with every write', async () => {
    const keys = fresh();
    const r = await redis();
    const store = new RedisTicketStore(r, { keys });
    const todo = {
      id: 'v1-1',
      nodeId: 'level1',
      visit: 1,
      kind: 'approval' as const,
      title: 'x',
      status: 'open' as const,
      assignee: 'ann',
      people: { source: { kind: 'user' as const, id: 'ann' }, strategy: 'round-robin' as const, skills: [] },
      createdAt: 0,
    };
    const v1 = await store.create(sampleTicket({ todos: [todo] }));
    expect(await r.exists(`${keys.prefix}acme:ticket:t-1`)).toBe(1);
    expect(await store.openTodoCounts('acme', ['ann', 'bob'])).toEqual(new Map([['ann', 1]]));
    await store.update({ ...v1, state: 'closed', todos: [{ ...todo, status: 'done' }] }, 1);
    expect(await store.openTodoCounts('acme', ['ann'])).toEqual(new Map());
    expect(await store.countByState('acme')).toEqual({ active: 0, paused: 0, closed: 1 });
    expect((await store.list('acme', { assignee: 'ann' })).items).toEqual([]);
    expect((await store.list('acme', { state: 'closed' })).items.map((t) => t.id)).toEqual(['t-1']);
  });

  it('returns short pages with a cursor when sparse filters hit the scan bound, and still finds everything', async () => {
    const store = new RedisTicketStore(await redis(), { keys: fresh(), maxScan: 7 });
    for (let i = 0; i < 30; i++)
      await store.create(
        sampleTicket({ id: `t-${String(i).padStart(2, '0')}`, createdAt: 1_000 + i, nodeId: i % 10 === 0 ? 'rare' : 'common' }),
      );
    const found: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.list('acme', { state: 'active', nodeId: 'rare' }, cursor, 2);
      found.push(...page.items.map((t) => t.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined && pages < 50);
    expect(found).toEqual(['t-00', 't-10', 't-20']);
  });

  it('reloads its scripts after Redis lost them', async () => {
    const r = await redis();
    const store = new RedisTimerStore(r, { keys: fresh() });
    await r.script('FLUSH');
    expect(await store.schedule(sampleTimer())).toBe(true);
    expect(await store.counts()).toEqual({ pending: 1, inFlight: 0 });
  });

  it('keeps timers through a restart: one due while no instance ran fires on start, marked late, once', async () => {
    const keys = fresh();
    const r = await redis();
    const store = new RedisTimerStore(r, { keys });
    const clock = new ManualClock(10_000);
    await store.schedule(sampleTimer({ dueAt: 4_000 }));
    const seen: { late: boolean; latenessMs: number }[] = [];
    const notifier = { notify: async (n: { late: boolean; latenessMs: number }) => void seen.push(n) };
    const [first, second] = [0, 1].map(() => new TimerService({ store: new RedisTimerStore(r, { keys }), notifier, clock }));
    await Promise.all([first?.tick(), second?.tick()]);
    expect(seen).toEqual([expect.objectContaining({ late: true, latenessMs: 6_000 })]);
    expect(await store.counts()).toEqual({ pending: 0, inFlight: 0 });
  });

  it('lets one of several concurrent deploys through the catalog store a version', async () => {
    const repo = new RedisFlowRepository(await redis(), fresh());
    const results = await Promise.allSettled([1, 2, 3].map(() => repo.save(sampleFlowDoc())));
    expect(results.filter((x) => x.status === 'rejected').map((x) => (x as PromiseRejectedResult).reason.code)).toEqual([
      'SLUICE_ERR_FLOW_VERSION_EXISTS',
      'SLUICE_ERR_FLOW_VERSION_EXISTS',
    ]);
  });
});

describe('workflow API on Redis', () => {
  async function wired(): Promise<Workflow> {
    const people = new MemoryPeopleDirectory().add(
      'default',
      { id: 'ann', groups: ['billing-agents'] },
      { id: 'max', groups: ['billing-managers'] },
    );
    const options = {
      clock: new ManualClock(Date.parse('2026-01-06T09:00:00+01:00')),
      redisUrl: inject('redisUrl'),
      redisPrefix: fresh().prefix,
      people,
    };
    // Two instances starting at once deploy the shipped flows once between them.
    const [a, b] = await Promise.all([createWorkflow({ ...options, instanceId: 'a' }), createWorkflow({ ...options, instanceId: 'b' })]);
    opened.push(a, b);
    await Promise.all([a.start(), b.start()]);
    expect(await a.catalog.repo.versions('default', 'fee-reduction')).toEqual([1]);
    expect(await a.ping()).toBe(true);
    return a;
  }

  it('lets exactly one of concurrent actions on one ticket win; the others get 409', async () => {
    const wf = await wired();
    const app = await workflowTestApp(wf.routes, ANN);
    const created = await call(app, 'ann', 'POST', '/v1/tickets', { flowId: 'fee-reduction', fields: { amount: 2_000 } });
    const id = (created.data.ticket as { id: string }).id;
    const bodies = [
      { type: 'approve' },
      { type: 'reject' },
      ...Array.from({ length: 10 }, (_, i) => ({ type: 'comment', text: `note ${i}` })),
      { type: 'pause', status: 'waiting_for_customer' },
    ];
    const answers = await Promise.all(
      bodies.map((b) => call(app, 'ann', 'POST', `/v1/tickets/${id}/actions`, { ...b, expectedRevision: 1 })),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, ...Array.from({ length: 12 }, () => 409)]);
    expect(
      answers.filter((a) => a.statusCode === 409).every((a) => (a.data.error as { code: string }).code === 'SLUICE_ERR_TICKET_CONFLICT'),
    ).toBe(true);
    const after = await call(app, 'default:agent', 'GET', `/v1/tickets/${id}`);
    expect(after.data.revision).toBe(2);
    expect((after.data.history as { revision: number }[]).filter((e) => e.revision === 2)).toHaveLength(1);

    // Without a revision the engine still compare-and-sets on what it read: no write is lost.
    const other = await call(app, 'ann', 'POST', '/v1/tickets', { flowId: 'fee-reduction', fields: { amount: 2_000 } });
    const otherId = (other.data.ticket as { id: string }).id;
    const comments = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        call(app, 'ann', 'POST', `/v1/tickets/${otherId}/actions`, { type: 'comment', text: `free ${i}` }),
      ),
    );
    const won = comments.filter((c) => c.statusCode === 200).length;
    expect(
      comments.filter((c) => c.statusCode !== 200).every((c) => (c.data.error as { code: string }).code === 'SLUICE_ERR_TICKET_CONFLICT'),
    ).toBe(true);
    expect(won).toBeGreaterThanOrEqual(1);
    const final = await call(app, 'default:agent', 'GET', `/v1/tickets/${otherId}`);
    expect(final.data.revision).toBe(1 + won);
    expect((final.data.comments as { text: string }[]).filter((c) => c.text.startsWith('free '))).toHaveLength(won);
    await app.close();
  });

  it('serves the fee-reduction flow end to end from Redis', async () => {
    const wf = await wired();
    const app = await workflowTestApp(wf.routes, ANN);
    const t = await call(app, 'default:router', 'POST', '/v1/tickets', { intent: 'fee_reduction', fields: { amount: 100 } });
    const id = (t.data.ticket as { id: string }).id;
    expect((await call(app, 'default:agent', 'GET', '/v1/todos?assignee=ann')).data.items).toHaveLength(1);
    const done = await call(app, 'ann', 'POST', `/v1/tickets/${id}/actions`, { type: 'approve' });
    expect(done.data.ticket).toMatchObject({ state: 'closed', outcome: 'approved' });
    expect(await wf.ticketCounts('default')).toMatchObject({ closed: 1 });
    expect(await wf.timerStore.nextDueAt()).toBeUndefined();
    expect((await call(app, 'globex:admin', 'GET', `/v1/tickets/${id}`)).statusCode).toBe(404);
    await app.close();
  });
});
