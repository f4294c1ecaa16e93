import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { ClickHouse } from '../../adapters/clickhouse/connect.js';
import { bodyText, hostileBatch, idOf, type Item } from './hostile.js';
import { eventually } from '../../core/testing/eventually.js';

/** A dead letter of an HTTP-ingested event, as the sink under test holds it. */
export interface HttpDeadLetter {
  origin: string;
  reason: string;
  tenant: string;
}

/** What the hostile-input property needs of a running Sluice. */
export interface HostileTarget {
  /** Posts `text` as the body of `POST /v1/events` with `key`. */
  post(key: string, text: string): Promise<{ status: number; body: string }>;
  /** Every HTTP dead letter so far. */
  deadLetters(): Promise<HttpDeadLetter[]>;
  clickhouse: ClickHouse;
}

/** Stored raw events per id (deduplicated: read with FINAL), for the ids given. */
export async function storedCounts(ch: ClickHouse, ids: string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rs = await ch.client.query({
    query: `SELECT id, count() AS n FROM ${ch.database}.events_raw FINAL WHERE id IN {ids:Array(String)} GROUP BY id`,
    query_params: { ids },
    format: 'JSONEachRow',
  });
  return new Map((await rs.json<{ id: string; n: string | number }>()).map((r) => [r.id, Number(r.n)]));
}

const show = (items: readonly Item[]) => bodyText(items).slice(0, 2_000);

/**
 * The hostile-input property of `POST /v1/events`, over `numRuns` random requests of tenant A: never
 * a 5xx; a request holding another tenant's event (or a non-object) refused whole; otherwise every
 * valid event accepted and stored exactly once (counted by id in ClickHouse), every invalid one
 * rejected, named in the answer with its reason and dead-lettered with it, arbitrary JSON one or the
 * other; and after each request a sentinel event of tenant B is stored (liveness).
 */
export async function checkHostileIngest(
  target: HostileTarget,
  opts: { keyA: string; keyB: string; tenantB: string; numRuns: number; timeoutMs?: number },
): Promise<{ items: number; stored: number; deadLettered: number }> {
  const prefix = randomUUID().slice(0, 8);
  let n = 0;
  const nextId = () => `${prefix}-${++n}`;
  const seen = new Set((await target.deadLetters()).map((d) => d.origin));
  const totals = { items: 0, stored: 0, deadLettered: 0 };
  const ms = opts.timeoutMs ?? 30_000;
  await fc.assert(
    fc.asyncProperty(hostileBatch(Date.now(), nextId), async (items) => {
      const res = await target.post(opts.keyA, bodyText(items));
      const why = `${res.status} ${res.body.slice(0, 500)}\nfor ${show(items)}`;
      expect(res.status, why).toBeLessThan(500);
      const ids = items.map(idOf);
      let accepted: string[] = [];
      let refused: string[] = ids.filter((i): i is string => i !== undefined);
      if (items.some((i) => i.refusesRequest)) expect(res.status, why).toBe(400);
      if (res.status === 202 || res.status === 422) {
        // 422: nothing of the batch accepted; its error lists every event with its reason, as a 202 lists the rejected ones.
        const body = JSON.parse(res.body) as { accepted: number; rejected: { index: number; reason: string }[] } & {
          error?: { code: string; accepted: number; rejected: { index: number; reason: string }[] };
        };
        if (res.status === 422) expect(body.error?.code, why).toBe('SLUICE_ERR_EVENTS_REJECTED');
        const answer = res.status === 422 ? { accepted: body.error!.accepted, rejected: body.error!.rejected } : body;
        if (res.status === 202) expect(answer.accepted, why).toBeGreaterThan(0);
        const rejected = new Map(answer.rejected.map((r) => [r.index, r.reason]));
        items.forEach((item, i) => {
          if (item.verdict === 'valid') expect(rejected.has(i), `item ${i} is valid: ${why}`).toBe(false);
          if (item.verdict === 'invalid') expect(rejected.has(i), `item ${i} is invalid: ${why}`).toBe(true);
        });
        for (const reason of rejected.values()) expect(reason.trim(), why).not.toBe('');
        expect(answer.accepted, why).toBe(items.length - rejected.size);
        accepted = ids.filter((id, i): id is string => !rejected.has(i) && id !== undefined);
        refused = ids.filter((id, i): id is string => rejected.has(i) && id !== undefined && !accepted.includes(id));
        // Each rejected event dead-lettered once, with the reason it was answered with.
        const mine = await eventually(
          async () => (await target.deadLetters()).filter((d) => !seen.has(d.origin)),
          (d) => d.length >= rejected.size,
          `${rejected.size} dead letters`,
          ms,
        );
        for (const d of mine) seen.add(d.origin);
        expect(new Set(mine.map((d) => d.origin.slice(0, d.origin.lastIndexOf(':')))).size, why).toBeLessThanOrEqual(1);
        expect(new Map(mine.map((d) => [Number(d.origin.slice(d.origin.lastIndexOf(':') + 1)), d.reason])), why).toEqual(rejected);
        totals.deadLettered += rejected.size;
      } else {
        // Refused whole: another tenant, not an object, a body too large or too deep to parse.
        expect([400, 413], why).toContain(res.status);
        if (!items.some((i) => i.refusesRequest)) expect(res.status === 413 || items.some((i) => i.mayRefuseRequest), why).toBe(true);
      }
      // Liveness: another tenant's event is stored after whatever came before it.
      const sentinel = {
        v: 1,
        tenant: opts.tenantB,
        source: 'skillgroup',
        id: nextId(),
        ts: Date.now() - 1_000,
        body: { skillGroup: 'sentinel', callId: 'c', type: 'OFFERED' },
      };
      const s = await target.post(opts.keyB, JSON.stringify({ events: [sentinel] }));
      expect(s.status, s.body).toBe(202);
      const counts = await eventually(
        () => storedCounts(target.clickhouse, [...accepted, sentinel.id]),
        (c) => c.size === accepted.length + 1,
        `the sentinel and ${accepted.length} accepted events stored`,
        ms,
      );
      expect(
        [...counts.values()].every((c) => c === 1),
        why,
      ).toBe(true);
      // Nothing refused is stored.
      expect([...(await storedCounts(target.clickhouse, refused)).keys()], why).toEqual([]);
      totals.items += items.length;
      totals.stored += accepted.length;
    }),
    { numRuns: opts.numRuns, endOnFailure: true },
  );
  return totals;
}
