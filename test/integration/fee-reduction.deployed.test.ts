/**
 * Issue 17 as deployed: `sluice start --role workflow` on Redis and ClickHouse, its people directory imported by
 * SCIM, people signing in at a real OpenID provider (oidc-provider, code flow with PKCE), and the fee-reduction
 * flow's alerts reaching people through a real SMTP server (smtp-server) and a stand-in of the SMS/voice provider
 * that checks every request against Twilio's documented format.
 *
 * The todo goes to a billing agent; the manager level to that agent's manager, found from the organisation; one
 * person cannot approve two levels; the manager node's SLA sends the level-1 message (the manager's preferred
 * channel: e-mail), the level-2 SMS (the manager and the billing supervisors) and the level-3 phone calls (the
 * department heads, repeated twice) — the shipped flow's ladder with its 1 h scaled to 12 s (30 min → 6 s,
 * 45 min → 9 s, 1 h → 12 s, repeats every 1.5 s), deployed as version 2 over the shipped one (hot deployment).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { connectClickHouse } from '../../adapters/clickhouse/connect.js';
import { eventually } from '../../core/testing/eventually.js';
import { freePort } from '../../services/ports.js';
import { startRedis, type RedisServer } from '../../services/redis.js';
import { clickhouseEnv, clickhouseServer } from '../support/clickhouse.js';
import { startOidcProvider, type OidcProviderFixture } from '../support/oidc.js';
import { spawnSluice, type SluiceProcess } from '../support/process.js';
import { DEFAULT_SETTINGS, startProviders, type ProviderStandIn } from '../support/providers.js';
import { startSmtpServer, type SmtpStandIn } from '../support/smtp.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers and the flow document are read field by field below.
type Json = Record<string, any>;

const run = randomUUID().slice(0, 8);
const TENANT = 'acme';
const ADMIN = `frd-admin-${run}-key00`;
const DB = `feered_${run.replaceAll('-', '')}`;

/** The people of the billing department, as the identity provider pushes them by SCIM. */
const PEOPLE = [
  { id: 'ann', name: 'Ann Agent', dept: 'billing', manager: 'mia', groups: ['billing-agents'], phone: '+15550100001' },
  { id: 'ben', name: 'Ben Agent', dept: 'billing', manager: 'mia', groups: ['billing-agents'], phone: '+15550100002' },
  { id: 'mia', name: 'Mia Manager', dept: 'billing', manager: 'hal', groups: ['billing-managers'], phone: '+15550100003' },
  { id: 'max', name: 'Max Manager', dept: 'billing', manager: 'hal', groups: ['billing-managers'], phone: '+15550100004' },
  { id: 'hal', name: 'Hal Head', dept: 'billing', groups: ['department-heads'], phone: '+15550100005' },
  { id: 'sue', name: 'Sue Supervisor', dept: 'billing', manager: 'hal', groups: ['billing-supervisors'], phone: '+15550100006' },
] as const;

let redis: RedisServer;
let idp: OidcProviderFixture;
let smtp: SmtpStandIn;
let providers: ProviderStandIn;
let sluice: SluiceProcess;
let url: string;

async function call(credential: string, method: string, path: string, body?: unknown, type = 'application/json') {
  const r = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${credential}`, ...(body === undefined ? {} : { 'content-type': type }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  return { status: r.status, data: text ? (JSON.parse(text) as Json) : {} };
}

/** A ticket and the open todo of its current node, with its assignee. */
async function openTodo(id: string) {
  const t = (await call(ADMIN, 'GET', `/v1/tickets/${id}`)).data;
  const todo = (t.todos as { id: string; nodeId: string; visit: number; assignee?: string; decidedBy?: string }[]).find(
    (d) => d.nodeId === t.nodeId && d.visit === t.visit && d.decidedBy === undefined,
  );
  return { ticket: t, todo };
}

const decide = (credential: string, id: string, type: 'approve' | 'reject', todoId: string) =>
  call(credential, 'POST', `/v1/tickets/${id}/actions`, { type, todoId });

beforeAll(async () => {
  [redis, smtp, providers] = await Promise.all([startRedis(), startSmtpServer(), startProviders()]);
  idp = await startOidcProvider({
    accounts: Object.fromEntries(
      PEOPLE.map((p) => [p.id, { preferred_username: p.id, tenant: TENANT, roles: ['agent'], groups: [...p.groups] }]),
    ),
  });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  sluice = spawnSluice(['start', '--role', 'workflow', '--port', String(port)], {
    ...idp.sluiceEnv(),
    SLUICE_OIDC_JWKS_COOLDOWN_MS: '0',
    SLUICE_API_KEYS: `${ADMIN}:${TENANT}:admin`,
    SLUICE_TENANTS: TENANT,
    REDIS_URL: redis.url,
    ...clickhouseEnv(),
    CLICKHOUSE_DATABASE: DB,
    SLUICE_ALERT_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    SLUICE_ALERT_EMAIL_FROM: 'sluice@bank.example',
    SLUICE_ALERT_TWILIO_ACCOUNT_SID: DEFAULT_SETTINGS.twilio.accountSid,
    SLUICE_ALERT_TWILIO_AUTH_TOKEN: DEFAULT_SETTINGS.twilio.authToken,
    SLUICE_ALERT_TWILIO_FROM: '+15550109999',
    SLUICE_ALERT_TWILIO_BASE_URL: providers.url,
    SLUICE_ALERT_RETRY_BASE_MS: '200',
    LOG_LEVEL: 'warn',
  });
  await eventually(
    async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200,
    () => `sluice start --role workflow to be ready: ${sluice.output()}`,
    90_000,
  );

  // The directory, pushed by SCIM as an identity provider does: users with their manager and department, then groups.
  const scim = (path: string, body: unknown) => call(ADMIN, 'POST', `/scim/v2/${path}`, body, 'application/scim+json');
  for (const p of PEOPLE) {
    const r = await scim('Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
      userName: p.id,
      displayName: p.name,
      active: true,
      emails: [{ value: `${p.id}@bank.example`, primary: true }],
      phoneNumbers: [{ value: p.phone, type: 'mobile' }],
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': {
        department: 'Billing',
        ...('manager' in p ? { manager: { value: p.manager } } : {}),
      },
    });
    expect(r.status, JSON.stringify(r.data)).toBe(201);
  }
  for (const g of ['billing-agents', 'billing-managers', 'department-heads', 'billing-supervisors']) {
    const members = PEOPLE.filter((p) => (p.groups as readonly string[]).includes(g)).map((p) => ({ value: p.id }));
    const r = await scim('Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: g, members });
    expect(r.status, JSON.stringify(r.data)).toBe(201);
  }
  // Hal heads the billing department the SCIM `department` created.
  expect((await call(ADMIN, 'PUT', '/v1/orgs/billing', { name: 'Billing', head: 'hal' })).status).toBeLessThan(300);

  // The shipped flow with its manager-level SLA scaled from 1 h to 12 s and no business calendar, as version 2.
  const doc = parse(readFileSync('workflow/flows/fee-reduction.yaml', 'utf8')) as Json;
  doc.version = 2;
  doc.tenant = TENANT;
  const manager = (doc.nodes as Json[]).find((n) => n.id === 'manager') as Json;
  manager.sla = {
    duration: '12s',
    breachChannel: 'log',
    warnings: [
      { delay: '6s', channel: 'message' },
      { delay: '9s', channel: 'sms', notify: ['assignees', 'group:billing-supervisors'] },
      { delay: '12s', channel: 'phone', repeat: 2, interval: '1500ms', notify: ['group:department-heads'] },
    ],
  };
  const deployed = await call(ADMIN, 'POST', '/v1/flows', doc);
  expect(deployed.status, JSON.stringify(deployed.data)).toBe(201);
}, 180_000);

afterAll(async () => {
  sluice?.child.kill('SIGTERM');
  await sluice?.exited;
  await Promise.allSettled([idp?.close(), smtp?.close(), providers?.close(), redis?.stop()]);
  const ch = await connectClickHouse(clickhouseServer());
  await ch.client.command({ query: `DROP DATABASE IF EXISTS ${DB}` });
  await ch.close();
});

describe('the fee-reduction example as deployed: people, identity and alerts', () => {
  let ticketId: string;
  let agent: string;

  it('assigns the first level to a billing agent, and the manager level to that agent’s manager from the organisation', async () => {
    const opened = await call(ADMIN, 'POST', '/v1/tickets', { intent: 'fee_reduction', callId: `call-${run}`, fields: { amount: 40_000 } });
    expect(opened.status, JSON.stringify(opened.data)).toBe(201);
    ticketId = opened.data.ticket.id;
    const first = await openTodo(ticketId);
    expect(first.ticket.nodeId).toBe('level1');
    expect(['ann', 'ben']).toContain(first.todo?.assignee);
    agent = first.todo!.assignee as string;
    // The agent signs in at the provider and approves as themself.
    const token = await idp.signIn(agent);
    const r = await decide(token, ticketId, 'approve', first.todo!.id);
    expect(r.status, JSON.stringify(r.data)).toBe(200);
    const second = await openTodo(ticketId);
    expect(second.ticket.nodeId).toBe('manager');
    expect(second.todo?.assignee).toBe('mia');
    // The history names the person, not a key.
    expect(second.ticket.history).toContainEqual(
      expect.objectContaining({ actor: agent, action: 'approve', node: 'level1', toNode: 'manager' }),
    );
  });

  it('refuses a second level to the person who decided the first', async () => {
    const opened = await call(ADMIN, 'POST', '/v1/tickets', {
      intent: 'fee_reduction',
      callId: `call2-${run}`,
      fields: { amount: 40_000 },
    });
    const id = opened.data.ticket.id as string;
    // Sue, a billing supervisor, is a flow admin: she may decide an open todo of any level — but one level only.
    const sue = await idp.signIn('sue');
    const first = await openTodo(id);
    expect((await decide(sue, id, 'approve', first.todo!.id)).status).toBe(200);
    const second = await openTodo(id);
    expect(second.ticket.nodeId).toBe('manager');
    // The manager level goes to Sue's own manager, never to Sue.
    expect(second.todo?.assignee).toBe('hal');
    const again = await decide(await idp.signIn('sue'), id, 'approve', second.todo!.id);
    expect(again.status).toBe(403);
    expect(again.data.error).toMatchObject({ code: 'SLUICE_ERR_SEPARATION_OF_DUTIES', rule: 'one-level-per-person' });
    // Hal, her manager, decides: the ticket leaves the manager level before its warnings (only the first ticket's count below).
    expect((await decide(await idp.signIn('hal'), id, 'reject', second.todo!.id)).status).toBe(200);
    expect((await openTodo(id)).ticket.state).not.toBe('open');
  });

  it('sends the manager level’s warnings to the right people: e-mail, then SMS, then phone calls repeated twice', async () => {
    // Level 1 (6 s): a message to the assigned manager on her preferred channel — e-mail, received by the SMTP server.
    await eventually(
      () => smtp.received.some((m) => m.to.includes('mia@bank.example')),
      () => `the level-1 e-mail to mia: ${JSON.stringify(smtp.received.map((m) => m.to))}\n${sluice.output()}`,
      60_000,
    );
    // Level 2 (9 s): an SMS to the manager and the billing supervisors.
    await eventually(
      () => new Set(providers.twilio.accepted.filter((m) => m.kind === 'sms').map((m) => m.to)).size >= 2,
      () => `SMS to mia and sue: ${JSON.stringify(providers.twilio.accepted)}\n${sluice.output()}`,
      60_000,
    );
    // Level 3 (12 s, repeated twice 1.5 s apart): phone calls to the department head.
    await eventually(
      () => providers.twilio.accepted.filter((m) => m.kind === 'call').length >= 3,
      () => `three calls to hal: ${JSON.stringify(providers.twilio.accepted)}\n${sluice.output()}`,
      60_000,
    );
    // Give a stray duplicate time to arrive before counting.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(smtp.received.flatMap((m) => m.to)).toEqual(['mia@bank.example']);
    expect(smtp.received[0]?.raw).toContain(ticketId);
    const sms = providers.twilio.accepted.filter((m) => m.kind === 'sms' && m.text.includes(ticketId));
    expect(sms.map((m) => m.to).sort()).toEqual(['+15550100003', '+15550100006']);
    const calls = providers.twilio.accepted.filter((m) => m.kind === 'call' && m.text.includes(ticketId));
    expect(calls.map((m) => m.to)).toEqual(['+15550100005', '+15550100005', '+15550100005']);
    expect(providers.violations).toEqual([]);
    // Every attempt is on the ticket's history.
    const t = (await call(ADMIN, 'GET', `/v1/tickets/${ticketId}`)).data;
    expect(JSON.stringify(t)).toMatch(/alert/);
  });
});
