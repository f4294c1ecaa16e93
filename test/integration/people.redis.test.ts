import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { startSluice, type Sluice } from '../../app/main.js';
import { directoryContract } from '../../workflow/people/directory.contract.js';
import { connectWorkflowRedis, WorkflowKeys } from '../../workflow/redis/connection.js';
import { RedisDirectory } from '../../workflow/redis/directory.js';

let shared: Promise<Redis> | undefined;
const redis = (): Promise<Redis> => (shared ??= connectWorkflowRedis(inject('redisUrl')));

directoryContract(
  'redis-server via ioredis',
  async () => new RedisDirectory(await redis(), new WorkflowKeys(`test:wf:${randomUUID().slice(0, 8)}:`)),
);

afterAll(async () => {
  await (await shared)?.quit();
});

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
/** A tenant of its own: the workflow keys on the shared redis-server are per tenant. */
const TENANT = `people${process.pid}`;
const KEY = (who: string) => `people-test-key-${who}-0000000`;
const PEOPLE = ['ann', 'bob', 'max', 'mia', 'dora', 'hal'];

async function until<T>(probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Two workflow instances as deployed (`sluice start`, role workflow, keys split per person) on one redis-server:
// an identity provider pushes the directory through SCIM to one, tickets are worked on both.
describe('the people directory through the real app on Redis', () => {
  const running: Sluice[] = [];
  let a: Sluice;
  let b: Sluice;
  const start = async () => {
    const config = loadConfig({
      SLUICE_API_KEYS: [
        `${KEY('admin')}:${TENANT}:admin`,
        `${KEY('router')}:${TENANT}:router`,
        ...PEOPLE.map((p) => `${KEY(p)}:${TENANT}:agent:${p}`),
      ].join(','),
      SLUICE_TENANTS: TENANT,
      SLUICE_ROLE: 'workflow',
      REDIS_URL: inject('redisUrl'),
      KAFKA_TOPIC_PREFIX: `people${process.pid}.`,
      CHDB_PATH: ':memory:',
      CLICKHOUSE_DATABASE: `people_${process.pid}_${running.length}`,
      PORT: '0',
      LOG_LEVEL: 'warn',
    });
    const s = await startSluice(config, { logger: pino({ level: 'warn' }), httpLogger: false });
    running.push(s);
    return s;
  };
  const req = async (s: Sluice, who: string, method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown, scim = false) => {
    const r = await s.app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${KEY(who)}`,
        ...(body !== undefined && { 'content-type': scim ? 'application/scim+json' : 'application/json' }),
      },
      ...(body !== undefined && { payload: JSON.stringify(body) }),
    });
    return { status: r.statusCode, data: r.body ? (JSON.parse(r.body) as Record<string, unknown>) : {}, body: r.body };
  };
  type Todo = { nodeId: string; status: string; assignee?: string };
  const todosOf = async (s: Sluice, id: string): Promise<Todo[]> =>
    ((await req(s, 'admin', 'GET', `/v1/tickets/${id}`)).data.todos as Todo[]).filter((t) => t.status === 'open');

  beforeAll(async () => {
    a = await start();
    b = await start();
  });
  afterAll(async () => {
    for (const s of running) await s.close();
  });

  it('assigns fee-reduction levels from the SCIM-pushed organisation and re-assigns when a manager leaves', async () => {
    // The identity provider pushes users (department and manager from the enterprise extension) and groups to instance A.
    const user = (userName: string, manager?: string) => ({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
      userName,
      displayName: userName.toUpperCase(),
      emails: [{ value: `${userName}@example.com`, primary: true }],
      [ENTERPRISE]: { department: 'Billing', ...(manager && { manager: { value: manager } }) },
    });
    for (const [u, m] of [['dora'], ['hal'], ['max', 'dora'], ['mia'], ['ann', 'max'], ['bob', 'max']] as [string, string?][])
      expect((await req(a, 'admin', 'POST', '/scim/v2/Users', user(u, m), true)).status).toBe(201);
    for (const [name, members] of [
      ['Billing Agents', ['ann', 'bob']],
      ['Billing Managers', ['max', 'mia']],
      ['Department Heads', ['dora', 'hal']],
    ] as const) {
      const r = await req(a, 'admin', 'POST', '/scim/v2/Groups', { displayName: name, members: members.map((value) => ({ value })) }, true);
      expect(r.status, r.body).toBe(201);
    }
    // Instance B reads the same directory.
    expect((await req(b, 'dora', 'GET', '/v1/people/ann')).data).toMatchObject({
      organisation: 'billing',
      manager: 'max',
      groups: ['billing-agents'],
    });
    expect((await req(b, 'dora', 'GET', '/v1/people?group=billing-managers')).data).toMatchObject({ total: 2 });

    // The IVR opens a 40 000 reduction on B: a billing agent takes level 1.
    const opened = await req(b, 'router', 'POST', '/v1/tickets', { intent: 'fee_reduction', fields: { amount: 40_000 } });
    expect(opened.status, opened.body).toBe(201);
    const id = (opened.data.ticket as { id: string }).id;
    const [level1] = await todosOf(a, id);
    expect(['ann', 'bob']).toContain(level1?.assignee);
    const agent = level1?.assignee as string;
    expect((await req(a, agent, 'POST', `/v1/tickets/${id}/actions`, { type: 'approve' })).status).toBe(200);
    // The manager level goes to the agent's manager from the directory: max.
    expect((await todosOf(b, id)).map((t) => [t.nodeId, t.assignee])).toEqual([['manager', 'max']]);
    // The agent cannot approve the next level too (separation of duties, from the key's person).
    const twice = await req(b, agent, 'POST', `/v1/tickets/${id}/actions`, { type: 'approve' });
    expect(twice.status).toBeGreaterThanOrEqual(403);

    // max leaves (the identity provider deactivates him on B): the manager todo goes to the fallback group, mia.
    const off = await req(
      b,
      'admin',
      'PATCH',
      '/scim/v2/Users/max',
      { Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
      true,
    );
    expect(off.status, off.body).toBe(200);
    await until(async () => ((await todosOf(a, id))[0]?.assignee === 'mia' ? true : undefined));
    expect((await req(a, 'max', 'POST', `/v1/tickets/${id}/actions`, { type: 'approve' })).status).toBeGreaterThanOrEqual(400);
    expect((await req(a, 'mia', 'POST', `/v1/tickets/${id}/actions`, { type: 'approve' })).status).toBe(200);
    // The head level: mia has no manager on file, so the department heads, by least load: dora.
    expect((await todosOf(a, id)).map((t) => [t.nodeId, t.assignee])).toEqual([['head', 'dora']]);
    const history = (await req(a, 'admin', 'GET', `/v1/tickets/${id}`)).data.history as { actor: string; action: string }[];
    expect(history.filter((h) => h.action === 'release')).toEqual([expect.objectContaining({ actor: 'system:assignment' })]);

    // The metrics of the keeper on the instance that heard the change.
    const metrics = await b.metrics.registry.metrics();
    expect(metrics).toMatch(/sluice_workflow_assignment_retries_total\{[^}]*cause="left"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/sluice_workflow_unassigned_todos\{tenant="[^"]+"\} 0/);
  });

  it('assigns a todo waiting for nobody once someone joins on the other instance (periodic sweep or change)', async () => {
    // Everyone at level 1 away: a new ticket waits unassigned.
    for (const p of ['ann', 'bob'])
      expect(
        (await req(a, 'admin', 'PATCH', `/scim/v2/Users/${p}`, { Operations: [{ op: 'replace', path: 'active', value: false }] }, true))
          .status,
      ).toBe(200);
    const opened = await req(a, 'router', 'POST', '/v1/tickets', { intent: 'fee_reduction', fields: { amount: 100 } });
    const id = (opened.data.ticket as { id: string }).id;
    expect((await todosOf(a, id)).map((t) => t.assignee)).toEqual([undefined]);
    expect((await req(a, 'admin', 'GET', '/v1/tickets?limit=500')).status).toBe(200);
    // A new agent joins through instance B's /v1 API.
    expect((await req(b, 'admin', 'POST', '/v1/people', { id: 'cid', groups: ['billing-agents'], organisation: 'billing' })).status).toBe(
      201,
    );
    await until(async () => ((await todosOf(a, id))[0]?.assignee === 'cid' ? true : undefined));
  });
});
