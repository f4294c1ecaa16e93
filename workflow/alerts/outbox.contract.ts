import { describe, expect, it } from 'vitest';
import type { AlertRequest } from '../../core/alerts.js';
import { isSluiceError } from '../../core/errors.js';
import { type AlertOutbox, expandJobId, inDoubt, type OutboxJob } from './outbox.js';
import type { Delivery } from './types.js';

/** An alert for tests. */
export const sampleAlert = (over: Partial<AlertRequest> = {}): AlertRequest => ({
  id: 't-1/1/warning/1/0',
  tenant: 'acme',
  kind: 'sla-warning',
  channel: 'message',
  recipients: ['user:ann'],
  facts: { ticketId: 't-1', nodeId: 'manager', level: 1, repeat: 0, used: '30m', total: '1h', message: 'late' },
  ticketId: 't-1',
  at: 1_000,
  ...over,
});

/** A deliver job of an alert for tests. */
export function sampleDelivery(alert: AlertRequest, recipient = 'ann', channel: Delivery['channel'] = 'email'): OutboxJob {
  const id = `${expandJobId(alert)}|${recipient}|${channel}`;
  const delivery: Delivery = {
    id,
    tenant: alert.tenant,
    alertId: alert.id,
    recipient,
    channel,
    address: `${recipient}@example.com`,
    language: 'en',
    fallbacks: [],
  };
  return { kind: 'deliver', id, tenant: alert.tenant, alert, delivery };
}

/**
 * The behaviour every {@link AlertOutbox} shows (memory and Redis run the same suite).
 *
 * @param make a fresh, empty outbox per test
 */
export function alertOutboxContract(name: string, make: () => Promise<AlertOutbox>): void {
  describe(`AlertOutbox contract: ${name}`, () => {
    it('stores an alert once per id within the dedupe window, per tenant', async () => {
      const o = await make();
      expect(await o.raise(sampleAlert())).toBe(true);
      expect(await o.raise(sampleAlert({ at: 2_000 }))).toBe(false);
      expect(await o.raise(sampleAlert({ tenant: 'other' }))).toBe(true);
      const claimed = await o.claim(5_000, 10, 60_000);
      expect(claimed.map((c) => `${c.job.tenant}/${c.job.id}`).sort()).toEqual([
        'acme/t-1/1/warning/1/0@1000',
        'other/t-1/1/warning/1/0@1000',
      ]);
      expect(claimed[0]).toMatchObject({ claims: 1, failures: 0, token: '1' });
      expect(inDoubt(claimed[0]!)).toBe(false);
    });

    it('takes the same id again once its dedupe window passed (a new episode, a new expand job)', async () => {
      const o = await make();
      const now = Date.now();
      expect(await o.raise(sampleAlert({ id: 'level/acme/L2', at: now }), { dedupeMs: 50 })).toBe(true);
      expect(await o.raise(sampleAlert({ id: 'level/acme/L2', at: now + 1 }), { dedupeMs: 50 })).toBe(false);
      await new Promise((r) => setTimeout(r, 120));
      expect(await o.raise(sampleAlert({ id: 'level/acme/L2', at: now + 200 }), { dedupeMs: 50 })).toBe(true);
      expect((await o.jobs('acme', 'level/acme/L2')).map((j) => j.id)).toEqual([`level/acme/L2@${now}`, `level/acme/L2@${now + 200}`]);
    });

    it('refuses a malformed alert, naming the field, and stores nothing', async () => {
      const o = await make();
      const err = await o.raise({ ...sampleAlert(), channel: 'pager' as 'log' }).catch((e: unknown) => e);
      expect(isSluiceError(err, 'SLUICE_ERR_ALERT_INVALID')).toBe(true);
      expect((err as Error).message).toContain('channel must be one of');
      expect(await o.claim(10_000, 10, 1_000)).toEqual([]);
    });

    it('claims due jobs only, earliest first, each once while leased', async () => {
      const o = await make();
      await o.raise(sampleAlert({ id: 'a', at: 3_000 }));
      await o.raise(sampleAlert({ id: 'b', at: 1_000 }));
      await o.raise(sampleAlert({ id: 'c', at: 9_000 }));
      expect((await o.claim(5_000, 10, 60_000)).map((c) => c.job.alert.id)).toEqual(['b', 'a']);
      expect(await o.claim(5_000, 10, 60_000)).toEqual([]);
      expect(await o.nextDueAt()).toBe(9_000);
    });

    it('gives an expired lease to the next claimer, in doubt; the first holder can no longer settle', async () => {
      const o = await make();
      await o.raise(sampleAlert());
      const [first] = await o.claim(1_000, 1, 10_000);
      expect(await o.nextDueAt()).toBe(11_000);
      expect(await o.claim(10_999, 1, 10_000)).toEqual([]);
      const [second] = await o.claim(11_000, 1, 10_000);
      expect(second).toMatchObject({ claims: 2, failures: 0 });
      expect(inDoubt(second!)).toBe(true);
      expect(await o.settle('acme', first!.job.id, first!.token, { state: 'done' }, 11_500)).toBe(false);
      expect(await o.settle('acme', second!.job.id, second!.token, { state: 'done', result: 'sent' }, 11_500)).toBe(true);
      expect(await o.settle('acme', second!.job.id, second!.token, { state: 'done' }, 11_600)).toBe(false);
      expect(await o.jobs('acme', 't-1/1/warning/1/0')).toEqual([
        { id: 't-1/1/warning/1/0@1000', kind: 'expand', state: 'done', claims: 2, failures: 0, result: 'sent' },
      ]);
      expect(await o.nextDueAt()).toBeUndefined();
    });

    it('settles atomically with the jobs it adds, each id once, due at once', async () => {
      const o = await make();
      const alert = sampleAlert();
      await o.raise(alert);
      const [c] = await o.claim(1_000, 1, 60_000);
      const d1 = sampleDelivery(alert, 'ann');
      const d2 = sampleDelivery(alert, 'bob', 'sms');
      expect(await o.settle('acme', c!.job.id, c!.token, { state: 'done', add: [d1, d2, d1] }, 2_000)).toBe(true);
      const claimed = await o.claim(2_000, 10, 60_000);
      expect(claimed.map((x) => x.job.id).sort()).toEqual([d1.id, d2.id].sort());
      expect(claimed.every((x) => x.job.kind === 'deliver')).toBe(true);
      const again = claimed.find((x) => x.job.id === d1.id)!;
      // Adding an existing id again (a retried expansion) adds nothing.
      await o.settle('acme', again.job.id, again.token, { state: 'done', add: [d1] }, 2_100);
      expect(await o.claim(3_000, 10, 60_000)).toEqual([]);
      const status = await o.jobs('acme', alert.id);
      expect(status.map((s) => [s.kind, s.recipient ?? '-', s.channel ?? '-', s.state])).toEqual([
        ['expand', '-', '-', 'done'],
        ['deliver', 'ann', 'email', 'done'],
        ['deliver', 'bob', 'sms', 'leased'],
      ]);
    });

    it('schedules a retry at its due time, counting failures; a retry is not in doubt', async () => {
      const o = await make();
      await o.raise(sampleAlert());
      const [c] = await o.claim(1_000, 1, 60_000);
      expect(await o.settle('acme', c!.job.id, c!.token, { state: 'retry', dueAt: 31_000, result: '503' }, 1_500)).toBe(true);
      expect(await o.nextDueAt()).toBe(31_000);
      expect(await o.claim(30_999, 1, 60_000)).toEqual([]);
      const [r] = await o.claim(31_000, 1, 60_000);
      expect(r).toMatchObject({ claims: 2, failures: 1 });
      expect(inDoubt(r!)).toBe(false);
      await o.settle('acme', r!.job.id, r!.token, { state: 'failed', result: 'gave up' }, 31_500);
      expect(await o.jobs('acme', 't-1/1/warning/1/0')).toEqual([
        { id: 't-1/1/warning/1/0@1000', kind: 'expand', state: 'failed', claims: 2, failures: 1, result: 'gave up' },
      ]);
    });

    it('keeps facts, language and unicode intact through the store', async () => {
      const o = await make();
      const alert = sampleAlert({ language: 'zh-CN', facts: { ticketTitle: '减免滞纳金 😀', amount: 40_000, vip: true } });
      await o.raise(alert);
      const [c] = await o.claim(1_000, 1, 1_000);
      expect(c!.job).toEqual({ kind: 'expand', id: expandJobId(alert), tenant: 'acme', alert });
    });
  });
}
