import { afterAll, describe, expect, it } from 'vitest';
import { connectClickHouse, type ClickHouse } from '../../adapters/clickhouse/connect.js';
import { ManualClock } from '../../adapters/clock.js';
import { ClickHouseHistory } from '../../workflow/history/clickhouse.js';
import { historyContract, sampleEventRow } from '../../workflow/history/history.contract.js';
import { createWorkflow } from '../../workflow/wire.js';

let shared: Promise<ClickHouse> | undefined;
let n = 0;
const connection = (): Promise<ClickHouse> => (shared ??= connectClickHouse({ kind: 'chdb', path: ':memory:' }, `wf_test_${process.pid}`));

/** The shared chDB session on a database of its own, so each test starts empty. */
async function freshDatabase(): Promise<ClickHouse> {
  const ch = await connection();
  const database = `wf_test_${process.pid}_${++n}`;
  await ch.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  return { ...ch, database };
}

async function count(ch: ClickHouse, table: string): Promise<number> {
  const rs = await ch.client.query({ query: `SELECT count() AS n FROM ${ch.database}.${table}`, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
}

afterAll(async () => {
  await (await shared)?.close();
});

historyContract('ClickHouse over chDB', async () =>
  ClickHouseHistory.open(await freshDatabase(), { clock: new ManualClock(0), instanceId: 'contract' }),
);

describe('ClickHouse history', () => {
  it('retries a batch whose insert reply was lost with the same token, storing it once', async () => {
    const ch = await freshDatabase();
    let failNext = true;
    const flaky: ClickHouse = {
      ...ch,
      client: new Proxy(ch.client, {
        get(target, prop, receiver) {
          if (prop !== 'insert') return Reflect.get(target, prop, receiver);
          return async (params: Parameters<typeof target.insert>[0]) => {
            const result = await target.insert(params);
            if (failNext && String(params.table).endsWith('ticket_events')) {
              failNext = false;
              throw new Error('connection reset after the insert');
            }
            return result;
          };
        },
      }),
    };
    const history = await ClickHouseHistory.open(flaky, { clock: new ManualClock(0), instanceId: 'flaky', batchSize: 500 });
    const errors: unknown[] = [];
    history.on('error', (e) => errors.push(e));
    history.recordTicketEvents(Array.from({ length: 3 }, (_, i) => sampleEventRow({ ticketId: `t${i}` })));
    await expect(history.flush()).rejects.toThrow('connection reset');
    await history.flush();
    expect(await count(ch, 'ticket_events')).toBe(3);
    history.recordTicketEvents([sampleEventRow({ ticketId: 'later' })]);
    await history.close();
    expect(await count(ch, 'ticket_events')).toBe(4);
  });

  it('queues without waiting and writes on the flush timer, dropping the oldest beyond the bound', async () => {
    const ch = await freshDatabase();
    const clock = new ManualClock(0);
    const history = await ClickHouseHistory.open(ch, { clock, instanceId: 'bounded', flushIntervalMs: 500, maxQueued: 5 });
    const dropped: number[] = [];
    const inserted: number[] = [];
    history.on('dropped', (d) => dropped.push(d.rows));
    history.on('inserted', (d) => inserted.push(d.rows));
    history.recordTicketEvents(Array.from({ length: 8 }, (_, i) => sampleEventRow({ ticketId: `t${i}` })));
    expect(dropped).toEqual([3]);
    expect(await count(ch, 'ticket_events')).toBe(0);
    clock.advance(500);
    await history.flush();
    expect(inserted).toEqual([5]);
    expect(await count(ch, 'ticket_events')).toBe(5);
    await history.close();
  });

  it('is what createWorkflow records to when given ClickHouse (migrated as component "workflow")', async () => {
    const ch = await freshDatabase();
    const clock = new ManualClock(Date.now()); // recent: the tables' TTL drops rows older than 90 days
    const wf = await createWorkflow({ clock, clickhouse: ch, instanceId: 'wired', tenants: ['acme'] });
    await wf.start();
    await wf.callbackTickets.create({
      tenant: 'acme',
      callId: 'c1',
      skillGroup: 'billing',
      priority: 'vip',
      reason: 'L3',
      decisionId: 'd1',
    });
    await wf.engine.act('acme', 'cb-d1', { type: 'complete', actor: { id: 'x', kind: 'system' } });
    await wf.history.flush();
    const rs = await ch.client.query({
      query: `SELECT version FROM ${ch.database}.schema_migrations FINAL WHERE component = 'workflow' ORDER BY version`,
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);
    // Migration 2: each row names who made its transition.
    const actors = await ch.client.query({
      query: `SELECT DISTINCT actor FROM ${ch.database}.ticket_events WHERE ticket_id = 'cb-d1' AND event = 'ticket.closed'`,
      format: 'JSONEachRow',
    });
    expect(await actors.json()).toEqual([{ actor: 'system:x' }]);
    expect(await wf.history.breachRate({ tenant: 'acme', from: clock.now(), to: clock.now() + 1, by: 'flow' })).toEqual([
      { flowId: 'callback', clocks: 1, breached: 0, rate: 0, warnings: 0 },
    ]);
    await wf.stop();
  });
});
