/**
 * What the topology tests read back and measure: ClickHouse totals, callback tickets, SLA notifications,
 * and the take-over time after a kill -9 (partitions consumed again, leadership, timers firing).
 */
import { connectClickHouse } from '../../adapters/clickhouse/connect.js';
import { ClickHouseTelemetryStore } from '../../pipelines/store/clickhouse.js';
import { KEYS, TENANTS, type Instance, type Tenant, type Topology } from './harness.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Totals per tenant: raw rows stored and the sums of the minute rows. */
export interface StoredTotals {
  events: number;
  offered: number;
  answered: number;
  abandoned: number;
}

/** Reads the shared ClickHouse (over HTTP, as the instances do) for each tenant's totals in `[from, to)`. */
export async function storedTotals(topo: Topology, from: number, to: number): Promise<Record<Tenant, StoredTotals>> {
  const ch = await connectClickHouse({ kind: 'server', url: topo.clickhouseUrl }, topo.env.CLICKHOUSE_DATABASE!);
  const store = await ClickHouseTelemetryStore.open(ch, { rawTtlDays: 90 });
  try {
    const out = {} as Record<Tenant, StoredTotals>;
    for (const t of TENANTS) {
      const rows = await store.minutes({ tenant: t, from, to });
      out[t] = {
        events: await store.countEvents(t),
        offered: rows.reduce((n, r) => n + r.offered, 0),
        answered: rows.reduce((n, r) => n + r.answered, 0),
        abandoned: rows.reduce((n, r) => n + r.abandoned, 0),
      };
    }
    return out;
  } finally {
    await store.close();
  }
}

/** Every ticket of `flowId` of a tenant as one workflow instance lists them (all pages). */
export async function listTickets(
  instance: string,
  tenant: Tenant,
  flowId: string,
): Promise<{ id: string; fields: Record<string, unknown>; state?: string }[]> {
  const out: { id: string; fields: Record<string, unknown> }[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const q = new URLSearchParams({ flowId, limit: '100', ...(cursor ? { cursor } : {}) });
    const res = await fetch(`${instance}/v1/tickets?${q}`, {
      headers: { authorization: `Bearer ${KEYS.admin[tenant]}` },
      signal: AbortSignal.timeout(30_000),
    });
    if (res.status !== 200) throw new Error(`GET /v1/tickets on ${instance} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    const body = (await res.json()) as { items: { id: string; fields: Record<string, unknown> }[]; nextCursor?: string };
    out.push(...body.items);
    if (!body.nextCursor) return out;
    cursor = body.nextCursor;
  }
  throw new Error('more than 1000 pages of tickets');
}

/** A flow whose tickets wait at one task with two SLA warnings and a breach within seconds (all to the webhook). */
export function slaFlow(tenant: Tenant, id: string, ms: { warn1: number; warn2: number; breach: number }): Record<string, unknown> {
  return {
    id,
    version: 1,
    tenant,
    name: 'Topology SLA',
    nodes: [
      { id: 'start', type: 'start' },
      {
        id: 'work',
        type: 'task',
        assignees: { user: 'worker' },
        sla: {
          duration: ms.breach,
          breachChannel: 'sms',
          warnings: [
            { delay: ms.warn1, channel: 'message' },
            { delay: ms.warn2, channel: 'sms' },
          ],
        },
      },
      { id: 'end', type: 'end' },
    ],
    controls: [
      { from: 'start', to: 'work' },
      { from: 'work', to: 'end' },
    ],
  };
}

/** A worker's own figures from `/metrics`: source partitions it holds window state for, and its consumer lag. */
export async function workerFigures(instance: Instance): Promise<{ partitions: number; lagMessages: number } | null> {
  try {
    const r = await fetch(`${instance.url}/metrics`, {
      headers: { authorization: `Bearer ${KEYS.platform}` },
      signal: AbortSignal.timeout(5_000),
    });
    if (r.status !== 200) return null;
    const text = await r.text();
    const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    return { partitions: read('sluice_window_state_partitions'), lagMessages: read('sluice_consumer_lag_messages') };
  } catch {
    return null;
  }
}

/**
 * Take-over of a killed pipeline worker, ms from the kill: `assigned` when the survivor holds the source
 * partitions both held before (the group rebalanced and it consumes the killed one's partitions), `caughtUp`
 * when its consumer lag is back under `lagMessages` as well (what piled up on them meanwhile is handled).
 * `before` is the partitions both workers held just before the kill.
 */
export async function workerTakeOver(
  survivor: Instance,
  before: number,
  killedAt: number,
  o: { lagMessages?: number; timeoutMs?: number } = {},
): Promise<{ assigned: number; caughtUp: number }> {
  const timeoutMs = o.timeoutMs ?? 180_000;
  let assigned: number | undefined;
  let last: Awaited<ReturnType<typeof workerFigures>> = null;
  for (;;) {
    last = await workerFigures(survivor);
    if (last && last.partitions >= before) {
      assigned ??= Date.now() - killedAt;
      if (last.lagMessages <= (o.lagMessages ?? 500)) return { assigned, caughtUp: Date.now() - killedAt };
    }
    if (Date.now() - killedAt > timeoutMs)
      throw new Error(
        `${survivor.name} did not take over within ${timeoutMs} ms: ${JSON.stringify(last)} (both held ${before} partitions)`,
      );
    await sleep(200);
  }
}

/** `GET /v1/control/state` of one instance (null when it does not answer). */
export async function controlState(instance: Instance): Promise<{ shared: { leader: boolean; reachable: boolean } } | null> {
  try {
    const r = await fetch(`${instance.url}/v1/control/state`, {
      headers: { authorization: `Bearer ${KEYS.admin.acme}` },
      signal: AbortSignal.timeout(5_000),
    });
    return r.status === 200 ? ((await r.json()) as { shared: { leader: boolean; reachable: boolean } }) : null;
  } catch {
    return null;
  }
}

/** From `since` until `survivor` says it leads the control fleet, ms. */
export async function leaderTakeOver(survivor: Instance, since: number, timeoutMs = 60_000): Promise<number> {
  for (;;) {
    const s = await controlState(survivor);
    if (s?.shared.leader) return Date.now() - since;
    if (Date.now() - since > timeoutMs) throw new Error(`${survivor.name} did not take the lead within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Waits until `probe` holds, polling; returns its last value. */
export async function settle<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let err: unknown;
  for (;;) {
    try {
      last = await probe();
      if (ok(last)) return last;
    } catch (e) {
      err = e;
    }
    if (Date.now() > deadline) {
      if (last !== undefined) return last;
      throw new Error(`${what}: ${(err as Error)?.message ?? 'no answer'}`);
    }
    await sleep(500);
  }
}

/**
 * Why some SLA timers never reached the webhook: for each ticket short of notifications, what the test sent (status,
 * wall time), what reached the webhook, and what Redis holds for it — the ticket's revision, its pending, in-flight and
 * fired timers, and the alert outbox's dedupe marks and jobs. Printed when the once-each check fails, so a failure in CI
 * says where the notification stopped.
 */
export async function explainSlaGaps(
  topo: Topology,
  gaps: readonly { tenant: Tenant; ticketId: string; status: number; at: number; received: readonly string[] }[],
): Promise<string> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(topo.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const lines: string[] = [];
  try {
    await redis.connect();
    for (const g of gaps.slice(0, 5)) {
      const wf = `sluice:wf:${g.tenant}`;
      const [rev, ticketRev, ticketTimers, firedKeys, alertKeys] = await Promise.all([
        redis.hget(`${wf}:ticket:${g.ticketId}`, 'rev'),
        redis.get(`${wf}:ticket-rev:${g.ticketId}`),
        redis.zrange(`${wf}:ticket-timers:${g.ticketId}`, 0, -1, 'WITHSCORES'),
        redis.keys(`${wf}:fired:${g.ticketId}/*`),
        redis.keys(`sluice:alerts:${g.tenant}:*${g.ticketId}/*`),
      ]);
      const fired = await Promise.all(firedKeys.map(async (k) => `${k.slice(`${wf}:fired:`.length)}@${await redis.get(k)}`));
      const due = (await redis.zrange('sluice:wf:timers:due', 0, -1)).filter((m) => m.includes(g.ticketId));
      const inFlight = (await redis.zrange('sluice:wf:timers:inflight', 0, -1)).filter((m) => m.includes(g.ticketId));
      const alerts = await Promise.all(
        alertKeys.sort().map(async (k) => {
          const type = await redis.type(k);
          if (type === 'hash') {
            const h = await redis.hgetall(k);
            return `${k} {state: ${h.state}, claims: ${h.claims}, failures: ${h.failures}, result: ${h.result}}`;
          }
          if (type === 'set') return `${k} [${(await redis.smembers(k)).join(', ')}]`;
          return `${k} = ${await redis.get(k)}`;
        }),
      );
      lines.push(
        `${g.tenant}/${g.ticketId}: create ${g.status} at ${new Date(g.at).toISOString()}, webhook got [${g.received.join(', ')}]; ` +
          `ticket rev ${rev}, timer-store rev ${ticketRev}, ticket timers [${ticketTimers.join(' ')}], due [${due.join(' ')}], ` +
          `in flight [${inFlight.join(' ')}], fired [${fired.join(' ')}]; alerts: ${alerts.join('; ') || 'none'}`,
      );
    }
  } catch (err) {
    lines.push(`(Redis could not be read: ${(err as Error).message})`);
  } finally {
    redis.disconnect();
  }
  return lines.join('\n');
}
