import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../adapters/bus/memory.js';
import { ManualClock, settle } from '../adapters/clock.js';
import { isSluiceError } from '../core/errors.js';
import { gateOf } from '../core/non-critical.js';
import { storeDeadLetters } from '../pipelines/dead-letters.js';
import { EventPublisher } from '../pipelines/publisher.js';
import { RealtimeState } from '../pipelines/realtime/state.js';
import { MemoryTelemetryStore } from '../pipelines/store/memory.js';
import { parseApiKeys } from './config.js';
import { Metrics } from './metrics.js';
import { SlowReportLane } from './report-lane.js';
import { buildServer } from './server.js';

const T0 = 1_000_000;

describe('SlowReportLane (virtual time)', () => {
  it('runs one report of a tenant at a time, the next in order as each finishes', async () => {
    const lane = new SlowReportLane({ clock: new ManualClock(T0) });
    const first = await lane.acquire('acme');
    expect(first.outcome).toBe('ran');
    const order: string[] = [];
    const second = lane.acquire('acme').then((r) => (order.push('second'), r));
    const third = lane.acquire('acme').then((r) => (order.push('third'), r));
    await settle();
    expect(order).toEqual([]);
    expect(lane.load()).toEqual({ acme: { running: 1, waiting: 2 } });
    first.release();
    first.release(); // idempotent: frees one turn only
    const s = await second;
    expect(s.outcome).toBe('queued');
    await settle();
    expect(order).toEqual(['second']);
    s.release();
    (await third).release();
    expect(order).toEqual(['second', 'third']);
    expect(lane.load()).toEqual({});
  });

  it('keeps tenants apart: one tenant’s queue never holds another’s report', async () => {
    const lane = new SlowReportLane({ clock: new ManualClock(T0) });
    await lane.acquire('acme');
    void lane.acquire('acme');
    const other = await lane.acquire('globex');
    expect(other.outcome).toBe('ran');
  });

  it('refuses past the queue bound, and a report that waited longer than maxWaitMs, with 503 SLUICE_ERR_REPORTS_SLOWED', async () => {
    const clock = new ManualClock(T0);
    const lane = new SlowReportLane({ clock, maxQueued: 2, maxWaitMs: 30_000, retryAfterSec: 10 });
    const running = await lane.acquire('acme');
    const waiting = [lane.acquire('acme'), lane.acquire('acme')];
    const settled = waiting.map((p) =>
      p.then(
        () => 'turn',
        (e: unknown) => e,
      ),
    );
    const full = await lane.acquire('acme').catch((e: unknown) => e);
    expect(isSluiceError(full, 'SLUICE_ERR_REPORTS_SLOWED')).toBe(true);
    expect(full).toMatchObject({ status: 503, retriable: true, details: { retryAfterSeconds: 10 } });
    expect((full as Error).message).toBe(
      'reports of tenant acme are slowed while the control loop sheds non-critical work (policy slowNonCritical): 2 reports already wait',
    );
    clock.advance(29_999);
    await settle();
    expect(lane.load()).toEqual({ acme: { running: 1, waiting: 2 } });
    clock.advance(1);
    const [a, b] = await Promise.all(settled);
    expect([a, b].map((e) => (e as Error).message.endsWith('no turn within 30000 ms'))).toEqual([true, true]);
    running.release();
    expect(lane.load()).toEqual({});
  });

  it('refuses bad options', () => {
    expect(() => new SlowReportLane({ clock: new ManualClock(T0), concurrency: 0 })).toThrow(/concurrency must be an integer ≥ 1/);
  });
});

describe('report routes of a slowed tenant, through the server', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  /** A store whose minute query waits until the test lets it answer. */
  class HeldStore extends MemoryTelemetryStore {
    readonly held: (() => void)[] = [];
    override async minutes(q: Parameters<MemoryTelemetryStore['minutes']>[0]) {
      await new Promise<void>((resolve) => this.held.push(resolve));
      return super.minutes(q);
    }
  }

  async function server(slowed: ReadonlySet<string>) {
    const store = new HeldStore();
    const bus = new MemoryBus();
    const metrics = new Metrics();
    app = await buildServer({
      config: {
        apiKeys: parseApiKeys(
          'acme-viewer-key-000000001:acme:viewer,globex-viewer-key-0000001:globex:viewer,platform-viewer-key-00001:*:viewer',
        ),
        open: false,
        bodyLimitBytes: 65_536,
        logLevel: 'silent',
      },
      clock: new ManualClock(T0),
      metrics,
      realtime: new RealtimeState(),
      pipelines: { store, publisher: new EventPublisher(await bus.producer()), deadLetters: storeDeadLetters(store) },
      checks: new Map(),
      nonCritical: gateOf(slowed),
      state: () => 'running',
      logger: false,
    });
    const ask = (key: string, tenant?: string) =>
      (app as FastifyInstance).inject({
        url: `/v1/reports/minutes?from=0&to=60000${tenant ? `&tenant=${tenant}` : ''}`,
        headers: { authorization: `Bearer ${key}` },
      });
    return { store, metrics, ask };
  }

  it('runs a slowed tenant’s reports one at a time, refuses past the queue with Retry-After, and leaves other tenants alone', async () => {
    const { store, metrics, ask } = await server(new Set(['acme']));
    const acme = Array.from({ length: 5 }, () => ask('acme-viewer-key-000000001'));
    await settle(20);
    // One query runs; four wait in the lane (they never reach the store).
    expect(store.held).toHaveLength(1);
    const refused = await ask('acme-viewer-key-000000001');
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('10');
    expect(refused.json().error).toMatchObject({ code: 'SLUICE_ERR_REPORTS_SLOWED', retriable: true, retryAfterSeconds: 10 });
    // A platform key naming the slowed tenant waits in the same lane (here: refused, it is full).
    expect((await ask('platform-viewer-key-00001', 'acme')).statusCode).toBe(503);
    // Another tenant's report is not slowed: it reaches the store at once.
    const globex = ask('globex-viewer-key-0000001');
    await settle(20);
    expect(store.held).toHaveLength(2);
    store.held.splice(1, 1)[0]!();
    expect((await globex).statusCode).toBe(200);
    // Each answered report lets the next one in, in order.
    for (let i = 0; i < 5; i++) {
      await settle(20);
      expect(store.held, `turn ${i}`).toHaveLength(1);
      store.held.shift()!();
    }
    expect((await Promise.all(acme)).map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
    const counted = await metrics.registry.getSingleMetricAsString('sluice_non_critical_slowed_total');
    expect(counted).toContain('sluice_non_critical_slowed_total{tenant="acme",work="report_queued"} 4');
    expect(counted).toContain('sluice_non_critical_slowed_total{tenant="acme",work="report_refused"} 2');
  });

  it('does not queue anything while no tenant is slowed', async () => {
    const { store, ask } = await server(new Set());
    const all = Array.from({ length: 6 }, () => ask('acme-viewer-key-000000001'));
    await settle(20);
    expect(store.held).toHaveLength(6);
    for (const r of store.held.splice(0)) r();
    expect((await Promise.all(all)).every((r) => r.statusCode === 200)).toBe(true);
  });
});
