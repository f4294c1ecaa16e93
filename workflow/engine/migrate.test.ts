import { describe, expect, it } from 'vitest';
import { compileFlow } from '../definition/compile.js';
import type { Actor } from '../definition/permissions.js';
import { dueAt } from '../sla/schedule.js';
import { createTicket } from './create.js';
import { migrateTicket } from './migrate.js';
import { assignAll, playground } from '../testing/flows.js';
import type { Ticket } from './ticket.js';
import { applyAction } from './transition.js';

const T0 = 1_000_000;
const MIN = 60_000;
const v1 = playground(1, '1h');
const v2 = playground(2, '2h');
const sue: Actor = { id: 'sue', roles: ['supervisor'] };

/** A v1 ticket waiting at `review`, paused 10→40 min after entry (30 minutes paused). */
function waitingAtReview(): Ticket {
  let t = assignAll(createTicket(v1, { tenant: 'acme', id: 't-1', origin: { kind: 'api' }, actor: sue }, T0).ticket, (title) =>
    title === 'Collect documents' ? 'ann' : 'bob',
  );
  t = applyAction(t, { type: 'complete', actor: { id: 'ann' } }, T0, v1).ticket;
  t = assignAll(applyAction(t, { type: 'complete', actor: { id: 'bob' } }, T0, v1).ticket, (_x, i) => (i === 0 ? 'rae' : 'ray'));
  t = applyAction(t, { type: 'pause', actor: sue, status: 'waiting_for_customer' }, T0 + 10 * MIN, v1).ticket;
  return applyAction(t, { type: 'resume', actor: sue }, T0 + 40 * MIN, v1).ticket;
}

describe('migrateTicket', () => {
  it('moves a waiting ticket to the new version, re-applying the SLA with its paused time kept', () => {
    const before = waitingAtReview();
    expect(dueAt(before.sla!, before.sla!.policy.durationMs)).toBe(T0 + 90 * MIN);
    const { ticket, events } = migrateTicket(before, v1, v2, T0 + 45 * MIN, { actor: sue });
    expect(ticket.flow).toEqual({ id: 'playground', version: 2 });
    expect(ticket.sla?.policy.durationMs).toBe(120 * MIN);
    expect(ticket.sla?.pauses).toEqual(before.sla?.pauses);
    expect(events).toEqual([
      { type: 'sla.reapplied', at: T0 + 45 * MIN, nodeId: 'review', breachAt: T0 + 150 * MIN },
      { type: 'ticket.migrated', at: T0 + 45 * MIN, fromVersion: 1, toVersion: 2, fromNode: 'review', toNode: 'review' },
    ]);
    expect(ticket.todos.filter((t) => t.status === 'open').map((t) => t.assignee)).toEqual(['rae', 'ray']);
    expect(ticket.history[ticket.history.length - 1]).toMatchObject({
      actor: 'sue',
      action: 'migrate',
      detail: { fromVersion: 1, toVersion: 2 },
    });
    // The migrated ticket now takes actions under v2.
    expect(applyAction(ticket, { type: 'approve', actor: { id: 'rae' } }, T0 + 50 * MIN, v2).ticket.flow.version).toBe(2);
  });

  it('follows a node map when the node was renamed', () => {
    const doc = v2.document;
    const renamed = compileFlow({
      ...doc,
      version: 3,
      nodes: doc.nodes.map((n) => (n.id === 'review' ? { ...n, id: 'double-check' } : n)),
      controls: doc.controls.map((c) => ({
        ...c,
        from: c.from === 'review' ? 'double-check' : c.from,
        to: c.to === 'review' ? 'double-check' : c.to,
      })),
    });
    expect(() => migrateTicket(waitingAtReview(), v1, renamed, T0, { actor: sue })).toThrow(
      'ticket "t-1" cannot migrate: node "review" does not exist in v3; pass a node map',
    );
    const { ticket } = migrateTicket(waitingAtReview(), v1, renamed, T0, { actor: sue, nodeMap: { review: 'double-check' } });
    expect(ticket.nodeId).toBe('double-check');
    expect(ticket.sla?.nodeId).toBe('double-check');
  });

  it('refuses what it cannot do safely', () => {
    const t = waitingAtReview();
    const closed = applyAction(t, { type: 'reject', actor: { id: 'rae' } }, T0, v1).ticket;
    expect(() => migrateTicket(closed, v1, v2, T0, { actor: sue })).toThrow(/cannot migrate: it is closed/);
    expect(() => migrateTicket(t, v1, playground(1), T0, { actor: sue })).toThrow(/target v1 is not newer than v1/);
    expect(() => migrateTicket(t, v1, v2, T0, { actor: { id: 'rae' } })).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_FORBIDDEN' }));
    expect(() => migrateTicket(t, v2, v2, T0, { actor: sue })).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_ACTION_INVALID' }));
  });
});
