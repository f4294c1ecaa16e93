import { expect, it } from 'vitest';
import { MemoryTicketStore } from './memory-ticket-store.js';
import { sampleTicket, ticketStoreContract } from './ticket-store.contract.js';

ticketStoreContract('memory', () => new MemoryTicketStore());

it('counts open todos per assignee as a workload source, per tenant, ignoring closed tickets', async () => {
  const store = new MemoryTicketStore();
  const todo = (id: string, assignee: string, status: 'open' | 'done' = 'open') => ({
    id,
    nodeId: 'n',
    visit: 1,
    kind: 'task' as const,
    title: 't',
    status,
    assignee,
    people: { source: { kind: 'user' as const, id: assignee }, strategy: 'round-robin' as const, skills: [] },
    createdAt: 0,
  });
  await store.create(sampleTicket({ id: 'a', todos: [todo('1', 'ann'), todo('2', 'bob'), todo('3', 'ann', 'done')] }));
  await store.create(sampleTicket({ id: 'b', todos: [todo('1', 'ann')] }));
  await store.create(sampleTicket({ id: 'c', state: 'closed', todos: [todo('1', 'ann')] }));
  await store.create(sampleTicket({ id: 'd', tenant: 'globex', todos: [todo('1', 'ann')] }));
  expect(await store.openTodoCounts('acme', ['ann', 'bob', 'cid'])).toEqual(
    new Map([
      ['ann', 2],
      ['bob', 1],
    ]),
  );
});
