import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectClickHouse } from '../../adapters/clickhouse/connect.js';
import { freePort } from '../../services/ports.js';
import { eventually } from '../../core/testing/eventually.js';
import { spawnSluice } from '../support/process.js';

const KEYS = { acme: 'acme-admin-key-0000000001', globex: 'globex-admin-key-00000001' } as const;
type Tenant = keyof typeof KEYS;
const BATCH = 500;

interface Sent {
  tenant: Tenant;
  events: { id: string }[];
  ids: string[];
  status: number;
  retryAfter?: string;
  code?: string;
}

describe('sluice start on the in-process bus: accepted means stored', () => {
  it('refuses a flood with 503 and Retry-After once over its bound, and a SIGTERM stores every event that got 202, once', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sluice-backpressure-'));
    const sluice = spawnSluice(['start', '--port', String(port)], {
      SLUICE_API_KEYS: `${KEYS.acme}:acme:admin,${KEYS.globex}:globex:admin`,
      SLUICE_TENANTS: 'acme,globex',
      CHDB_PATH: join(dir, 'chdb'),
      // A small ceiling, so a flood from this test passes it whatever the machine's speed.
      SLUICE_INGEST_MAX_PENDING: '2000',
      SLUICE_SHUTDOWN_TIMEOUT_MS: '20000',
      LOG_LEVEL: 'info',
      KAFKA_BROKERS: '',
      REDIS_URL: '',
      CLICKHOUSE_URL: '',
    });
    const url = `http://127.0.0.1:${port}`;
    let seq = 0;
    const batch = (tenant: Tenant) => {
      const ts = Date.now() - 1_000;
      return Array.from({ length: BATCH }, () => {
        const id = `${tenant}-${++seq}`;
        return {
          v: 1,
          tenant,
          source: 'skillgroup',
          id,
          ts,
          body: { skillGroup: seq % 2 ? 'sales' : 'support', callId: `call-${id}`, type: 'OFFERED' },
        };
      });
    };
    const post = async (tenant: Tenant, events: { id: string }[]): Promise<Sent> => {
      const r = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEYS[tenant]}`, 'content-type': 'application/json' },
        body: JSON.stringify({ events }),
      });
      const body = (await r.json()) as { accepted?: number; error?: { code: string } };
      if (r.status === 202) expect(body.accepted, 'a 202 accepts the whole request').toBe(BATCH);
      return {
        tenant,
        events,
        ids: events.map((e) => e.id),
        status: r.status,
        retryAfter: r.headers.get('retry-after') ?? undefined,
        code: body.error?.code,
      };
    };
    try {
      await eventually(
        () => fetch(`${url}/healthz`, { headers: { authorization: `Bearer ${KEYS.acme}` } }).then((r) => r.status),
        (s) => s === 200,
        `sluice start listening\n${sluice.output()}`,
        60_000,
      );

      // Six clients flood both tenants until the server has refused a good number of requests.
      const sent: Sent[] = [];
      const refusedCount = () => sent.filter((s) => s.status === 503).length;
      await Promise.all(
        Array.from({ length: 6 }, async (_, client) => {
          const tenant: Tenant = client % 2 ? 'globex' : 'acme';
          while (refusedCount() < 20 && sent.length < 2_000) sent.push(await post(tenant, batch(tenant)));
        }),
      );
      const accepted = sent.filter((s) => s.status === 202);
      const refused = sent.filter((s) => s.status === 503);
      expect(refused.length, sluice.output()).toBeGreaterThanOrEqual(20);
      expect(accepted.length).toBeGreaterThan(0);
      expect(sent.filter((s) => s.status !== 202 && s.status !== 503)).toEqual([]);
      for (const r of refused) {
        expect(r.code).toBe('SLUICE_ERR_INGEST_BACKLOG');
        expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      }
      expect(new Set(accepted.map((s) => s.tenant))).toEqual(new Set(['acme', 'globex']));

      // A client that honours Retry-After gets its refused requests in, the same events again (the last
      // refused: the first were refused while the worker was warming up and may be told to wait longer).
      const resent = refused.slice(-4);
      const neverSent = refused.slice(0, -4);
      for (const r of resent) {
        let again = r;
        while (again.status === 503) {
          await new Promise((res) => setTimeout(res, Number(again.retryAfter) * 1000));
          again = await post(r.tenant, r.events);
        }
        expect(again.status).toBe(202);
      }

      sluice.child.kill('SIGTERM');
      expect(await sluice.exited, sluice.output()).toBe(0);
      expect(sluice.output()).toContain('every accepted event is stored');
      expect(sluice.output()).not.toContain('shutdown deadline passed');

      const ch = await connectClickHouse({ kind: 'chdb', path: join(dir, 'chdb') });
      try {
        const rows = await (
          await ch.client.query({
            query: 'SELECT tenant, id, count() AS n FROM sluice.events_raw GROUP BY tenant, id',
            format: 'JSONEachRow',
          })
        ).json<{ tenant: string; id: string; n: string }>();
        const stored = new Map(rows.map((r) => [r.id, r]));
        const mustBeStored = [...accepted, ...resent].flatMap((s) => s.ids.map((id) => [id, s.tenant] as const));
        const missing = mustBeStored.filter(([id]) => !stored.has(id));
        expect(missing.length, `accepted events not stored, e.g. ${missing.slice(0, 3).join(' ')}`).toBe(0);
        for (const [id, tenant] of mustBeStored) expect(stored.get(id)?.tenant).toBe(tenant);
        // Nothing refused and not sent again was stored, and nothing is stored twice.
        const neverAccepted = neverSent.flatMap((s) => s.ids).filter((id) => stored.has(id));
        expect(neverAccepted).toEqual([]);
        expect(rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
        expect(rows.length).toBe(mustBeStored.length);
      } finally {
        await ch.close();
      }
    } finally {
      sluice.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
