import { describe, expect, it } from 'vitest';
import { isSluiceError } from '../../core/errors.js';
import type { Ticket } from './ticket.js';
import { sampleTimer } from '../sla/timer-store.contract.js';
import type { TicketStore } from './ticket-store.js';

/** A minimal unsaved ticket, for contract tests. */
export function sampleTicket(over: Partial<Ticket> = {}): Ticket {
  return {
    tenant: 'acme',
    id: 't-1',
    flow: { id: 'fee-reduction', version: 1 },
    state: 'active',
    nodeId: 'level1',
    visit: 1,
    fields: { amount: 100 },
    origin: { kind: 'api' },
    todos: [],
    comments: [],
    history: [],
    revision: 0,
    createdAt: 1_000,
    updatedAt: 1_000,
    ...over,
  };
}

/**
 * The behaviour every {@link TicketStore} must show, run against the in-memory twin here and
 * against Redis by the integration suite.
 *
 * @param name label of the implementation
 * @param make returns a fresh, empty store
 */
export function ticketStoreContract(name: string, make: () => TicketStore | Promise<TicketStore>): void {
  describe(`TicketStore contract: ${name}`, () => {
    it('creates at revision 1 and reads it back', async () => {
      const store = await make();
      const created = await store.create(sampleTicket());
      expect(created.revision).toBe(1);
      expect(await store.get('acme', 't-1')).toEqual(created);
      expect(await store.get('acme', 'nope')).toBeUndefined();
    });

    it('creates a ticket and its SLA timers in one write; a refused create writes no timers', async () => {
      const store = await make();
      const created = await store.create(sampleTicket(), (t) => [
        sampleTimer({ id: 'a', ticketId: t.id, revision: t.revision, dueAt: 100 }),
        sampleTimer({ id: 'b', ticketId: t.id, revision: t.revision, dueAt: 200 }),
      ]);
      await expect(store.create(sampleTicket(), (t) => [sampleTimer({ id: 'c', ticketId: t.id })])).rejects.toMatchObject({
        code: 'SLUICE_ERR_TICKET_EXISTS',
      });
      expect((await store.timers.claimDue(10_000, 10)).map((t) => [t.id, t.revision])).toEqual([
        ['a', created.revision],
        ['b', created.revision],
      ]);
    });

    it('replaces a ticket’s timers with its update; a conflicting or missing update changes no timer', async () => {
      const store = await make();
      const v1 = await store.create(sampleTicket(), () => [sampleTimer({ id: 'a', dueAt: 100 })]);
      const v2 = await store.update({ ...v1, nodeId: 'level2' }, 1, (t) => [sampleTimer({ id: 'b', nodeId: t.nodeId, dueAt: 200 })]);
      await expect(store.update({ ...v1, nodeId: 'level3' }, 1, () => [sampleTimer({ id: 'c', dueAt: 300 })])).rejects.toMatchObject({
        code: 'SLUICE_ERR_TICKET_CONFLICT',
      });
      await expect(
        store.update(sampleTicket({ id: 'ghost' }), 1, () => [sampleTimer({ id: 'd', ticketId: 'ghost', dueAt: 400 })]),
      ).rejects.toMatchObject({ code: 'SLUICE_ERR_TICKET_NOT_FOUND' });
      // The stored revision is what the timers carry, whatever the caller's objects said.
      expect((await store.timers.claimDue(10_000, 10)).map((t) => [t.ticketId, t.id, t.nodeId, t.revision])).toEqual([
        ['t-1', 'b', 'level2', v2.revision],
      ]);
    });

    it('refuses timers of another ticket before writing the ticket', async () => {
      const store = await make();
      await expect(store.create(sampleTicket(), () => [sampleTimer({ id: 'x', ticketId: 't-2' })])).rejects.toThrow(TypeError);
      expect(await store.get('acme', 't-1')).toBeUndefined();
    });

    it('refuses a second create of the same id', async () => {
      const store = await make();
      await store.create(sampleTicket());
      await expect(store.create(sampleTicket())).rejects.toMatchObject({ code: 'SLUICE_ERR_TICKET_EXISTS' });
    });

    it('updates with compare-and-set on the revision', async () => {
      const store = await make();
      const v1 = await store.create(sampleTicket());
      const v2 = await store.update({ ...v1, fields: { amount: 200 } }, 1);
      expect(v2.revision).toBe(2);
      const stale = store.update({ ...v1, fields: { amount: 300 } }, 1);
      await expect(stale).rejects.toMatchObject({ code: 'SLUICE_ERR_TICKET_CONFLICT', retriable: true, status: 409 });
      expect((await store.get('acme', 't-1'))?.fields).toEqual({ amount: 200 });
      await expect(store.update(sampleTicket({ id: 'ghost' }), 1)).rejects.toMatchObject({ code: 'SLUICE_ERR_TICKET_NOT_FOUND' });
    });

    it('lets exactly one of many concurrent updates of one revision win', async () => {
      const store = await make();
      const v1 = await store.create(sampleTicket());
      const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.update({ ...v1, fields: { amount: i } }, 1)));
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(9);
      expect(lost.every((o) => isSluiceError(o.reason, 'SLUICE_ERR_TICKET_CONFLICT'))).toBe(true);
      expect((await store.get('acme', 't-1'))?.revision).toBe(2);
    });

    it('keeps tenants apart in every method', async () => {
      const store = await make();
      await store.create(sampleTicket({ tenant: 'acme' }));
      await store.create(sampleTicket({ tenant: 'globex', fields: { amount: 999 } }));
      expect((await store.get('globex', 't-1'))?.fields).toEqual({ amount: 999 });
      expect((await store.list('acme')).items.map((t) => t.tenant)).toEqual(['acme']);
      await expect(store.update(sampleTicket({ tenant: 'initech' }), 1)).rejects.toMatchObject({ code: 'SLUICE_ERR_TICKET_NOT_FOUND' });
      const page = await store.list('acme', {}, undefined, 1);
      expect(page.nextCursor).toBeUndefined();
    });

    it('lists with filters and cursors, oldest first', async () => {
      const store = await make();
      for (let i = 1; i <= 5; i++) {
        await store.create(
          sampleTicket({
            id: `t-${i}`,
            createdAt: 1_000 * (6 - i),
            state: i % 2 === 0 ? 'closed' : 'active',
            todos:
              i === 3
                ? [
                    {
                      id: 'v1-1',
                      nodeId: 'level1',
                      visit: 1,
                      kind: 'approval',
                      title: 'x',
                      status: 'open',
                      assignee: 'ann',
                      people: { source: { kind: 'user', id: 'ann' }, strategy: 'round-robin', skills: [] },
                      createdAt: 0,
                    },
                  ]
                : [],
          }),
        );
      }
      const first = await store.list('acme', {}, undefined, 2);
      expect(first.items.map((t) => t.id)).toEqual(['t-5', 't-4']);
      const second = await store.list('acme', {}, first.nextCursor, 2);
      expect(second.items.map((t) => t.id)).toEqual(['t-3', 't-2']);
      const third = await store.list('acme', {}, second.nextCursor, 2);
      expect(third.items.map((t) => t.id)).toEqual(['t-1']);
      expect(third.nextCursor).toBeUndefined();
      expect((await store.list('acme', { state: 'closed' })).items.map((t) => t.id)).toEqual(['t-4', 't-2']);
      expect((await store.list('acme', { assignee: 'ann' })).items.map((t) => t.id)).toEqual(['t-3']);
      expect((await store.list('acme', { createdFrom: 2_000, createdTo: 4_000 })).items.map((t) => t.id)).toEqual(['t-4', 't-3']);
      await expect(store.list('globex', {}, first.nextCursor)).rejects.toMatchObject({ code: 'SLUICE_ERR_CURSOR_INVALID' });
      await expect(store.list('acme', {}, 'garbage')).rejects.toMatchObject({ code: 'SLUICE_ERR_CURSOR_INVALID' });
    });

    it('lists the tickets waiting for assignment and counts their unassigned todos', async () => {
      const store = await make();
      const todo = (id: string, assignee?: string, visit = 1) => ({
        id,
        nodeId: 'level1',
        visit,
        kind: 'approval' as const,
        title: 'x',
        status: 'open' as const,
        ...(assignee !== undefined && { assignee }),
        people: { source: { kind: 'group' as const, id: 'g' }, strategy: 'round-robin' as const, skills: [] },
        createdAt: 0,
      });
      const waiting = await store.create(sampleTicket({ id: 'w', createdAt: 1, todos: [todo('v1-1'), todo('v1-2', 'ann')] }));
      await store.create(sampleTicket({ id: 'held', createdAt: 2, todos: [todo('v1-1', 'bob')] }));
      await store.create(sampleTicket({ id: 'closed', createdAt: 3, state: 'closed', todos: [todo('v1-1')] }));
      await store.create(sampleTicket({ id: 'other', tenant: 'globex', todos: [todo('v1-1')] }));
      expect((await store.list('acme', { unassigned: true })).items.map((t) => t.id)).toEqual(['w']);
      expect(await store.unassignedTodos('acme')).toBe(1);
      await store.update({ ...waiting, todos: [todo('v1-1', 'cid'), todo('v1-2', 'ann')] }, 1);
      expect((await store.list('acme', { unassigned: true })).items).toEqual([]);
      expect(await store.unassignedTodos('acme')).toBe(0);
      expect(await store.unassignedTodos('globex')).toBe(1);
      const counts = await store.list('acme', { assignee: 'cid' });
      expect(counts.items.map((t) => t.id)).toEqual(['w']);
    });

    it('hands out copies', async () => {
      const store = await make();
      const created = await store.create(sampleTicket());
      (created.fields as Record<string, unknown>).amount = -1;
      expect((await store.get('acme', 't-1'))?.fields).toEqual({ amount: 100 });
    });
  });
}
