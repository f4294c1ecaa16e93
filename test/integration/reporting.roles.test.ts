import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { connectClickHouse } from '../../adapters/clickhouse/connect.js';
import { ManualClock } from '../../adapters/clock.js';
import { loadConfig } from '../../app/config.js';
import { startSluice, type Sluice } from '../../app/main.js';
import { eventually } from '../../core/testing/eventually.js';
import { ClickHouseHistory } from '../../workflow/history/clickhouse.js';
import { sampleEventRow } from '../../workflow/history/history.contract.js';

const ADMIN = 'rep-acme-admin-key-000001';
const ROUTER = 'rep-acme-router-key-00001';
const minute = (t: number) => Math.floor(t / 60_000) * 60_000;

// A pipeline worker, a control instance and a reporting instance as deployed apart (in one test process), all
// on one ClickHouse (chDB, one database): the worker stores, the reporting instance answers every report from
// what the others wrote, and the control instance — the one on the routing path — runs none of them.
describe('the reporting role beside a control and a pipeline instance on one ClickHouse', () => {
  const db = `reporting_roles_${process.pid}`;
  const running: Sluice[] = [];
  const instances = new Map<string, Sluice>();
  const start = async (role: 'pipeline' | 'control' | 'reporting') => {
    const config = loadConfig({
      SLUICE_API_KEYS: `${ADMIN}:acme:admin,${ROUTER}:acme:router`,
      SLUICE_TENANTS: 'acme',
      // Routing here is about roles, not skill-group names (control.app.test.ts checks the refusal).
      SLUICE_CONTROL_UNKNOWN_SKILL_GROUPS: 'tenant-level',
      SLUICE_ROLE: role,
      CHDB_PATH: ':memory:',
      CLICKHOUSE_DATABASE: db,
      PORT: '0',
      LOG_LEVEL: 'error',
    });
    const s = await startSluice(config, { logger: pino({ level: 'error' }), httpLogger: false });
    running.push(s);
    instances.set(role, s);
  };
  const get = (role: string, url: string, key = ADMIN) =>
    (instances.get(role) as Sluice).app.inject({ url, headers: { authorization: `Bearer ${key}` } });

  beforeAll(async () => {
    await start('pipeline');
    await start('control');
    await start('reporting');
  });
  afterAll(async () => {
    for (const s of running.reverse()) await s.close();
  });

  it('the reporting instance answers the minute reports of what the worker stored; control and the worker refuse them by role', async () => {
    const base = minute(Date.now()) - 5 * 60_000;
    const ev = (id: string, type: string, ts: number) => ({
      v: 1,
      tenant: 'acme',
      source: 'skillgroup',
      id,
      ts,
      body: { skillGroup: 'care', callId: `call-${id}`, type },
    });
    const posted = await (instances.get('pipeline') as Sluice).app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${ADMIN}` },
      payload: { events: [ev('r1', 'OFFERED', base + 1_000), ev('r2', 'OFFERED', base + 2_000), ev('r3', 'ANSWERED', base + 3_000)] },
    });
    expect(posted.json()).toEqual({ accepted: 3, rejected: [] });
    const url = `/v1/reports/minutes?from=${base}&to=${base + 120_000}`;
    const rows = await eventually(
      async () =>
        (await get('reporting', url)).json().rows as { skillGroup: string; windowStart: number; offered: number; answered: number }[],
      (r) => r.length === 1 && r[0]!.offered === 2 && r[0]!.answered === 1,
      'minute rows on the reporting instance',
      60_000,
    );
    expect(rows).toEqual([expect.objectContaining({ tenant: 'acme', skillGroup: 'care', windowStart: base, offered: 2, answered: 1 })]);
    for (const report of [
      url,
      `/v1/reports/intervals?from=${base}&to=${base + 120_000}`,
      `/v1/reports/reconciliation?from=${base}&to=${base + 120_000}`,
    ]) {
      expect((await get('reporting', report)).statusCode, report).toBe(200);
      for (const role of ['control', 'pipeline']) {
        const refused = await get(role, report);
        expect(refused.statusCode, `${role} ${report}`).toBe(404);
        expect(refused.json().error).toMatchObject({ code: 'SLUICE_ERR_ROLE_ROUTE', servedBy: 'reporting', role });
      }
    }
  });

  it('the reporting instance answers the SLA report from the history the workflow instances write, without running the workflow', async () => {
    // Rows as a workflow instance records them (its history writer, on the same database).
    const ch = await connectClickHouse({ kind: 'chdb', path: ':memory:' }, db);
    const history = await ClickHouseHistory.open(ch, { clock: new ManualClock(0), instanceId: 'a-workflow-instance' });
    // The start of the current hour: a fixed past date would fall out of the history's retention (TTL) as the calendar moves.
    const T = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    history.recordTicketEvents([
      sampleEventRow({ ticketId: 't1', ts: T, breached: true }),
      sampleEventRow({ ticketId: 't2', ts: T + 1_000, breached: false }),
      sampleEventRow({ ticketId: 't3', ts: T + 2_000, breached: true, nodeId: 'director' }),
    ]);
    await history.flush();
    await history.close();
    const url = `/v1/reports/sla?from=${T}&to=${T + 60_000}&by=flow`;
    const report = await get('reporting', url);
    expect(report.statusCode, report.body).toBe(200);
    expect(report.json().rows).toEqual([expect.objectContaining({ flowId: 'fee-reduction', clocks: 3, breached: 2 })]);
    // The reporting instance runs no workflow: its tickets are the workflow role's.
    expect((await get('reporting', '/v1/tickets')).json().error).toMatchObject({ code: 'SLUICE_ERR_ROLE_ROUTE', servedBy: 'workflow' });
    const refused = await get('control', url);
    expect(refused.json().error).toMatchObject({ code: 'SLUICE_ERR_ROLE_ROUTE', servedBy: 'reporting', role: 'control' });
  });

  it('control routes calls and answers no report; the reporting instance routes none', async () => {
    const call = { tenant: 'acme', callId: 'c-1', skillGroup: 'care', priority: 'normal' };
    const route = (role: string) =>
      (instances.get(role) as Sluice).app.inject({
        method: 'POST',
        url: '/v1/route',
        headers: { authorization: `Bearer ${ROUTER}` },
        payload: call,
      });
    const routed = await route('control');
    expect(routed.statusCode, routed.body).toBe(200);
    expect(routed.json()).toMatchObject({ level: 0 });
    const refused = await route('reporting');
    expect(refused.statusCode).toBe(404);
    expect(refused.json().error).toMatchObject({ code: 'SLUICE_ERR_ROLE_ROUTE', servedBy: 'control', role: 'reporting' });
    expect((instances.get('reporting') as Sluice).control).toBeUndefined();
    expect((instances.get('reporting') as Sluice).worker).toBeUndefined();
  });
});
