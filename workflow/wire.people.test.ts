import { afterEach, expect, it } from 'vitest';
import { ManualClock } from '../adapters/clock.js';
import { createWorkflow, type Workflow } from './wire.js';

let wf: Workflow | undefined;
afterEach(async () => {
  await wf?.stop();
});

it('wires the in-memory directory and seeds the demo people, so fee-reduction tickets are assigned as in `npm start`', async () => {
  const clock = new ManualClock(Date.parse('2026-01-06T09:00:00+01:00'));
  wf = await createWorkflow({ clock, instanceId: 'people-wire', tenants: ['default'], demoDirectory: true });
  await wf.start();
  expect((await wf.directory.listPersons('default')).total).toBe(8);
  const { ticket } = await wf.engine.createFromIvr({ tenant: 'default', intent: 'fee_reduction', fields: { amount: 40_000 } });
  const level1 = ticket.todos[0]?.assignee as string;
  expect(['ann', 'bob', 'cid']).toContain(level1);
  const atManager = (await wf.engine.act('default', ticket.id, { type: 'approve', actor: { id: level1 } })).ticket;
  expect(atManager.todos.filter((t) => t.status === 'open').map((t) => t.assignee)).toEqual([level1 === 'cid' ? 'mia' : 'max']);
  expect(await wf.unassignedTodos('default')).toBe(0);
  // A restart on the same directory does not seed twice (it holds people already).
  await wf.stop();
  wf = await createWorkflow({ clock, instanceId: 'people-wire', tenants: ['default'], demoDirectory: true, directory: wf.directory });
  await wf.start();
  expect((await wf.directory.listPersons('default')).total).toBe(8);
});
