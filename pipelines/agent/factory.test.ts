import { describe, expect, it } from 'vitest';
import type { AgentEvent, ExtensionEvent, TelemetryEvent } from '../events/types.js';
import { extensionPipeline } from '../extension/pipeline.js';
import type { PartitionPipeline } from '../partition.js';
import { MemoryTelemetryStore } from '../store/memory.js';
import { agentPipeline } from './pipeline.js';
import type { AgentWindowRow } from './rows.js';

const T = Date.UTC(2026, 0, 12, 9, 0);
const opts = { outOfOrdernessMs: 5_000, allowedLatenessMs: 600_000, intervalMinutes: 15 } as const;
let n = 0;
const agent = (ts: number, state: AgentEvent['body']['state'], reason?: string, agentId = 'a1'): AgentEvent => ({
  v: 1,
  tenant: 'acme',
  source: 'agent',
  id: `a${++n}`,
  ts,
  body: { agentId, state, ...(reason ? { reason } : {}) },
});
const ext = (ts: number, state: ExtensionEvent['body']['state']): ExtensionEvent => ({
  v: 1,
  tenant: 'acme',
  source: 'extension',
  id: `x${++n}`,
  ts,
  body: { extension: '2001', state },
});
const items = (events: TelemetryEvent[], from = 0) => events.map((event, i) => ({ event, offset: from + i }));

describe('agentPipeline / extensionPipeline factories', () => {
  it('store each batch idempotently, hand rows on, and agree with the store’s interval query', async () => {
    const store = new MemoryTelemetryStore();
    const seen: AgentWindowRow[] = [];
    // As the worker drives it: a batch of its topic, or (here) of mixed sources, of which it takes its own.
    const p: PartitionPipeline = agentPipeline(opts, { onRows: (rows) => seen.push(...rows) })();
    const batches = [
      [agent(T, 'AVAILABLE'), agent(T + 90_000, 'ON_CALL'), ext(T, 'IDLE')],
      [agent(T + 300_000, 'ACW'), agent(T + 330_000, 'AUX', 'break')],
      [agent(T + 1_000_000, 'AVAILABLE', undefined, 'a2')],
    ];
    let offset = 0;
    for (const b of batches) {
      const out = p.process(items(b, offset), offset);
      offset += b.length;
      await out.store(store);
      await out.store(store);
      out.afterStore();
    }
    expect(p.commitPosition(offset)).toBe(0); // the interval 09:00–09:15 is open: a restart must replay a1 from its login
    expect(seen.some((r) => r.windowSec === 900 && r.final)).toBe(true);
    const [iv] = await store.agentIntervals({ tenant: 'acme', from: T, to: T + 900_000, intervalMinutes: 15, agentId: 'a1' });
    expect(iv).toMatchObject({
      stateSec: { AVAILABLE: 90, ON_CALL: 210, ACW: 30, AUX: 570 },
      callsHandled: 1,
      auxSecByReason: { break: 570 },
      occupancy: 240 / 330,
    });
    const [stored] = await store.agentWindows({ tenant: 'acme', from: T, to: T + 1, windowSec: 900 });
    expect(stored!.ms).toEqual({ LOGGED_OUT: 0, AVAILABLE: 90_000, RINGING: 0, ON_CALL: 210_000, HOLD: 0, ACW: 30_000, AUX: 570_000 });
    p.close();
  });

  it('extension factory stores extension rows only', async () => {
    const store = new MemoryTelemetryStore();
    const p: PartitionPipeline = extensionPipeline(opts)();
    const out = p.process(items([ext(T, 'IDLE'), ext(T + 30_000, 'BUSY'), agent(T, 'AVAILABLE'), ext(T + 200_000, 'IDLE')]), 0);
    await out.store(store);
    expect(await store.agentWindows({ tenant: 'acme', from: T, to: T + 900_000 })).toEqual([]);
    const rows = await store.extensionWindows({ tenant: 'acme', from: T, to: T + 900_000 });
    expect(rows.map((r) => [(r.windowStart - T) / 60_000, r.ms.IDLE, r.ms.BUSY, r.final])).toEqual([
      [0, 30_000, 30_000, true],
      [1, 0, 60_000, true],
      [2, 0, 60_000, true],
      [3, 0, 20_000, false],
    ]);
    p.close();
  });
});
