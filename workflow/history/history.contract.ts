import { describe, expect, it } from 'vitest';
import type { HistoryStore, SlaWarningRow, TicketEventRow } from './types.js';

/** The start of the current hour: recent enough that a store's retention (TTL) keeps the rows. */
const T0 = Math.floor(Date.now() / 3_600_000) * 3_600_000;

/** A ticket event row with defaults: an SLA clock of `manager` that stopped in time. */
export function sampleEventRow(over: Partial<TicketEventRow> = {}): TicketEventRow {
  return {
    tenant: 'acme',
    ticketId: 't-1',
    flowId: 'fee-reduction',
    flowVersion: 1,
    nodeId: 'manager',
    team: 'group:billing-managers',
    assignee: 'max',
    event: 'sla.stopped',
    breached: false,
    elapsedMs: 1_200_000,
    revision: 3,
    seq: 0,
    ts: T0,
    ...over,
  };
}

/** A fired warning row with defaults. */
export function sampleWarningRow(over: Partial<SlaWarningRow> = {}): SlaWarningRow {
  return {
    tenant: 'acme',
    ticketId: 't-1',
    flowId: 'fee-reduction',
    flowVersion: 1,
    nodeId: 'manager',
    team: 'group:billing-managers',
    timerId: 't-1/2/warning/1/0',
    kind: 'warning',
    level: 1,
    repeat: 0,
    channel: 'message',
    delivered: true,
    late: false,
    latenessMs: 0,
    dueAt: T0,
    ts: T0,
    ...over,
  };
}

/**
 * The behaviour every {@link HistoryStore} must show, run against the in-memory twin and
 * against ClickHouse (chDB) by the integration suite.
 *
 * @param name label of the implementation
 * @param make returns a fresh, empty store
 */
export function historyContract(name: string, make: () => HistoryStore | Promise<HistoryStore>): void {
  describe(`HistoryStore contract: ${name}`, () => {
    it('computes breach rates of stopped SLA clocks by flow, node and team, with warning counts', async () => {
      const h = await make();
      h.recordTicketEvents([
        sampleEventRow({ ticketId: 'a', breached: true }),
        sampleEventRow({ ticketId: 'b' }),
        sampleEventRow({ ticketId: 'c', nodeId: 'level1', team: 'group:billing-agents', seq: 1 }),
        sampleEventRow({ ticketId: 'd', flowId: 'callback', nodeId: 'call', team: 'group:billing-agents', breached: true }),
        sampleEventRow({ ticketId: 'e', event: 'ticket.closed' }),
      ]);
      h.recordSlaWarnings([
        sampleWarningRow(),
        sampleWarningRow({ timerId: 'x', level: 2 }),
        sampleWarningRow({ timerId: 'y', kind: 'breach', level: 0 }),
        sampleWarningRow({ timerId: 'z', delivered: false }),
      ]);
      await h.flush();
      const q = { tenant: 'acme', from: T0, to: T0 + 1 };
      expect(await h.breachRate({ ...q, by: 'flow' })).toEqual([
        { flowId: 'callback', clocks: 1, breached: 1, rate: 1, warnings: 0 },
        { flowId: 'fee-reduction', clocks: 3, breached: 1, rate: 1 / 3, warnings: 2 },
      ]);
      expect(await h.breachRate({ ...q, by: 'node' })).toEqual([
        { flowId: 'callback', nodeId: 'call', clocks: 1, breached: 1, rate: 1, warnings: 0 },
        { flowId: 'fee-reduction', nodeId: 'level1', clocks: 1, breached: 0, rate: 0, warnings: 0 },
        { flowId: 'fee-reduction', nodeId: 'manager', clocks: 2, breached: 1, rate: 0.5, warnings: 2 },
      ]);
      expect(await h.breachRate({ ...q, by: 'team' })).toEqual([
        { team: 'group:billing-agents', clocks: 2, breached: 1, rate: 0.5, warnings: 0 },
        { team: 'group:billing-managers', clocks: 2, breached: 1, rate: 0.5, warnings: 2 },
      ]);
      await h.close();
    });

    it('counts only the tenant and the window [from, to)', async () => {
      const h = await make();
      h.recordTicketEvents([
        sampleEventRow({ ticketId: 'early', ts: T0 - 1 }),
        sampleEventRow({ ticketId: 'first', ts: T0 }),
        sampleEventRow({ ticketId: 'end', ts: T0 + 60_000 }),
        sampleEventRow({ ticketId: 'other', tenant: 'globex', breached: true }),
      ]);
      await h.flush();
      expect(await h.breachRate({ tenant: 'acme', from: T0, to: T0 + 60_000, by: 'flow' })).toEqual([
        { flowId: 'fee-reduction', clocks: 1, breached: 0, rate: 0, warnings: 0 },
      ]);
      expect(await h.breachRate({ tenant: 'initech', from: 0, to: T0 * 2, by: 'team' })).toEqual([]);
      await h.close();
    });

    it('gives per node of one flow version the breached tickets, the stays and their median', async () => {
      const h = await make();
      let seq = 0;
      const ev = (ticketId: string, nodeId: string, event: string, ts: number, over: Partial<TicketEventRow> = {}) =>
        sampleEventRow({ ticketId, nodeId, event, ts, breached: false, elapsedMs: 0, seq: seq++, ...over });
      h.recordTicketEvents([
        // manager: stays of 10 s, 30 s and 20 s (median 20 s); `b` visits it twice.
        ev('a', 'manager', 'node.entered', T0),
        ev('a', 'manager', 'node.left', T0 + 10_000),
        ev('b', 'manager', 'node.entered', T0 + 1_000),
        ev('b', 'manager', 'node.left', T0 + 31_000),
        ev('b', 'manager', 'node.entered', T0 + 40_000),
        ev('b', 'manager', 'node.left', T0 + 60_000),
        // level1: still there (entered, never left): no stay.
        ev('c', 'level1', 'node.entered', T0 + 2_000),
        // Another version, another tenant, outside the window: not counted.
        ev('d', 'manager', 'node.entered', T0, { flowVersion: 2 }),
        ev('d', 'manager', 'node.left', T0 + 1, { flowVersion: 2 }),
        ev('e', 'manager', 'node.entered', T0, { tenant: 'globex' }),
        ev('e', 'manager', 'node.left', T0 + 5, { tenant: 'globex' }),
        ev('f', 'manager', 'node.entered', T0 - 10_000),
        ev('f', 'manager', 'node.left', T0 - 5_000),
      ]);
      h.recordSlaWarnings([
        sampleWarningRow({ ticketId: 'a', timerId: 'a/1/breach/0/0', kind: 'breach', level: 0 }),
        sampleWarningRow({ ticketId: 'a', timerId: 'a/1/breach/0/1', kind: 'breach', level: 0, repeat: 1 }),
        sampleWarningRow({ ticketId: 'c', nodeId: 'level1', timerId: 'c/1/breach/0/0', kind: 'breach', level: 0 }),
        sampleWarningRow({ ticketId: 'b', timerId: 'b/1/warning/1/0' }),
      ]);
      await h.flush();
      const q = { tenant: 'acme', flowId: 'fee-reduction', flowVersion: 1, from: T0, to: T0 + 3_600_000 };
      expect(await h.nodeFigures(q)).toEqual([
        { nodeId: 'level1', breaches: 1, stays: 0, medianMs: 0 },
        { nodeId: 'manager', breaches: 1, stays: 3, medianMs: 20_000 },
      ]);
      expect(await h.nodeFigures({ ...q, flowId: 'callback' })).toEqual([]);
      await h.close();
    });
  });
}
