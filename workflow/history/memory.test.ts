import { expect, it } from 'vitest';
import { historyContract, sampleEventRow } from './history.contract.js';
import { MemoryHistory } from './memory.js';

historyContract('memory', () => new MemoryHistory());

it('keeps at most maxRows per table, dropping the oldest', async () => {
  const h = new MemoryHistory(2);
  h.recordTicketEvents([sampleEventRow({ ticketId: 'a' }), sampleEventRow({ ticketId: 'b' }), sampleEventRow({ ticketId: 'c' })]);
  expect(h.ticketEvents.map((r) => r.ticketId)).toEqual(['b', 'c']);
});
