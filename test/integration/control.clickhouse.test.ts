import { describe, expect, it } from 'vitest';
import { systemClock } from '../../adapters/clock.js';
import { connectClickHouse } from '../../adapters/clickhouse/connect.js';
import { migrate } from '../../adapters/clickhouse/migrations.js';
import { MemoryStateStore } from '../../adapters/state/memory.js';
import { calm } from '../../control/testing/harness.js';
import { BufferedDecisionLog } from '../../control/log/buffered.js';
import { ClickHouseLogWriter, controlMigrations } from '../../control/log/clickhouse.js';
import type { DecisionRecord } from '../../control/log/types.js';
import { ControlService } from '../../control/service.js';
import { StaticRealtimeView } from '../../control/signals/snapshot.js';
import { createControl } from '../../control/wire.js';

describe('decision log in ClickHouse (chDB)', () => {
  it('migrates once, writes decisions and level changes in batches without blocking routing, and a retried batch adds nothing', async () => {
    const ch = await connectClickHouse({ kind: 'chdb', path: ':memory:' }, `control_${process.pid}`);
    const count = async (table: string, where = '1') =>
      Number(
        (
          await (
            await ch.client.query({ query: `SELECT count() AS n FROM ${ch.database}.${table} WHERE ${where}`, format: 'JSONEachRow' })
          ).json<{ n: string }>()
        )[0]!.n,
      );
    try {
      const writer = await ClickHouseLogWriter.open(ch);
      expect(await migrate(ch, controlMigrations({ ttlDays: 30 }), { component: 'control' })).toEqual([]);
      const log = new BufferedDecisionLog({ writer, clock: systemClock, tokenPrefix: `it-${Date.now()}`, batchSize: 500, flushMs: 50 });
      const svc = new ControlService({
        clock: systemClock,
        instanceId: 'it',
        stateStore: new MemoryStateStore(),
        realtime: new StaticRealtimeView([calm('acme', 'care', Date.now())]),
        decisionLog: log,
        ctiNodes: { primary: 'a' },
        loopLagMs: () => Number.NaN,
      });
      await svc.start();
      for (let i = 0; i < 2_000; i++) {
        const d = svc.route({ tenant: 'acme', callId: `c${i}`, skillGroup: 'care', priority: i % 2 ? 'normal' : 'vip', intent: 'billing' });
        svc.outcome(d.decisionId, { success: true, latencyMs: 3 });
        if (i % 250 === 0) await new Promise((r) => setImmediate(r));
      }
      svc.pin({ tenant: 'acme' }, 2, 60_000, 'integration test');
      await svc.stop();
      expect(log.stats()).toMatchObject({ buffered: 0, dropped: 0, written: 2_001 });
      expect(await count('route_decisions', "tenant = 'acme' AND intent = 'billing'")).toBe(2_000);
      expect(await count('level_changes', "tenant = 'acme' AND to_level = 2 AND change = 'override'")).toBe(1);
      const [row] = await (
        await ch.client.query({
          query: `SELECT toUnixTimestamp64Milli(ts) AS ms, target, cti_node, level, reason FROM ${ch.database}.route_decisions ORDER BY ts LIMIT 1`,
          format: 'JSONEachRow',
        })
      ).json<{ ms: string; target: string; cti_node: string; level: number; reason: string }>();
      expect(Math.abs(Number(row!.ms) - Date.now())).toBeLessThan(120_000);
      expect(row).toMatchObject({ target: 'agent', cti_node: 'a', level: 0, reason: expect.stringContaining('L0') });

      const again: DecisionRecord = {
        kind: 'decision',
        ts: Date.now(),
        decisionId: 'dup',
        tenant: 'dup',
        skillGroup: 'g',
        callId: 'c',
        priority: 'low',
        intent: '',
        target: 'chat',
        ctiNode: undefined,
        level: 2,
        reason: 'r',
        instance: 'it',
      };
      await writer.write([again], 'same-token');
      await writer.write([again], 'same-token');
      await writer.write([{ ...again, decisionId: 'other' }], 'next-token');
      expect(await count('route_decisions', "tenant = 'dup'")).toBe(2);
    } finally {
      await ch.close();
    }
  });

  it('createControl migrates the tables in start() and logs through the clickhouse-sink breaker', async () => {
    const ch = await connectClickHouse({ kind: 'chdb', path: ':memory:' }, `control_wire_${process.pid}`);
    try {
      const control = createControl({
        clock: systemClock,
        stateStore: new MemoryStateStore(),
        clickhouse: ch,
        realtime: new StaticRealtimeView([calm('acme', 'care', Date.now())]),
        engineHealth: { consumerLagMs: () => 0, insertLatencyMs: () => 0 },
        instanceId: 'wired',
      });
      await control.start();
      control.service.route({ tenant: 'acme', callId: 'c1', skillGroup: 'care', priority: 'normal' });
      await control.stop();
      const rows = await (
        await ch.client.query({ query: `SELECT instance FROM ${ch.database}.route_decisions`, format: 'JSONEachRow' })
      ).json<{ instance: string }>();
      expect(rows).toEqual([{ instance: 'wired' }]);
      expect(control.service.state().breakers.find((b) => b.id === 'clickhouse-sink')).toMatchObject({
        state: 'closed',
        calls: 1,
        errors: 0,
      });
    } finally {
      await ch.close();
    }
  });
});
