/**
 * Issue 18: admission and breakers stay correct when a proxy loses outcomes, sends them late or twice
 * (fast-check, virtual time, the edge proxy of `testing/edge-proxy.ts`).
 *
 * - Healthy nodes, any mix of lost, late and duplicated outcomes: no breaker opens, no call is rejected, and
 *   once the calls stop every concurrency slot comes back and nothing awaits an outcome.
 * - A primary that stops answering, reported as time-outs of which some are lost, late or sent twice: its breaker
 *   opens, calls go to the healthy backup and none is rejected.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runFor } from '../adapters/clock.js';
import { calm, harness } from './testing/harness.js';
import { runEdge } from './testing/edge-proxy.js';
import type { Phase } from './testing/edge-proxy.js';
import { seededRandom } from './types.js';

/**
 * Delays: jitter (up to 300 ms), or late — after the slot's time-out (10 s), within the decision's lifetime (60 s).
 * A report seconds after the call is what a slow node looks like, and the limiter holding calls back then is its job.
 */
const delay = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 10_000, max: 50_000 }));
const reporting = fc.record({
  lose: fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
  delayMs: delay,
  duplicate: fc.double({ min: 0, max: 0.5, noNaN: true }),
});

async function started() {
  const h = harness({ levels: { defaults: { thresholds: [0.5, 0.7, 0.85], holdMs: 5_000, holdMaxMs: 40_000 } } });
  h.view.set([calm('acme', 'care', h.clock.now())]);
  await h.svc.start();
  return h;
}

describe('lost, late and duplicated outcomes (property)', () => {
  it('never open a healthy node, never reject, and leave no slot held once the calls stop', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(reporting, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 2 ** 30 }), async (phases, seed) => {
        const h = await started();
        try {
          const opened: string[] = [];
          h.svc.on('tenant-breaker', (t) => {
            if (t.to === 'open') opened.push(t.breakerId);
          });
          const r = await runEdge(
            { svc: h.svc, clock: h.clock, view: h.view, tenant: 'acme', skillGroup: 'care', rate: 40, random: seededRandom(seed) },
            phases.map((rep, i): Phase => ({ name: `phase ${i}`, ms: 12_000, reporting: rep })),
          );
          for (const p of r) expect(p.targets.reject ?? 0, JSON.stringify(p.targets)).toBe(0);
          expect(opened).toEqual([]);
          // Calls stop; what is still to come arrives (the proxy's last reports), then every slot is back.
          await runFor(h.clock, 70_000);
          const held = h.svc.state('acme').admission.limits.filter((l) => l.inflight > 0);
          expect(held).toEqual([]);
          expect(h.svc.stats().decisions.pending).toBe(0);
        } finally {
          await h.svc.stop();
        }
      }),
      { numRuns: 12 },
    );
  }, 300_000);

  it('open a primary that stops answering, whatever part of its time-outs is lost, late or duplicated; the backup takes the calls', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          lose: fc.double({ min: 0, max: 0.5, noNaN: true }),
          delayMs: fc.integer({ min: 0, max: 300 }),
          duplicate: fc.double({ min: 0, max: 0.5, noNaN: true }),
          timeouts: fc.boolean(),
        }),
        fc.integer({ min: 1, max: 2 ** 30 }),
        async (rep, seed) => {
          const h = await started();
          try {
            const r = await runEdge(
              { svc: h.svc, clock: h.clock, view: h.view, tenant: 'acme', skillGroup: 'care', rate: 40, random: seededRandom(seed) },
              [
                { name: 'healthy', ms: 5_000 },
                { name: 'primary stopped', ms: 40_000, nodes: { a: 'silent' }, reporting: rep },
              ],
            );
            const stopped = r[1]!;
            expect(stopped.targets.reject ?? 0).toBe(0);
            expect(stopped.tailShare['agent:b'], JSON.stringify(stopped)).toBeGreaterThan(0.9);
            expect(h.svc.state('acme').tenantBreakers.find((b) => b.target === 'cti:a')!.state).not.toBe('closed');
          } finally {
            await h.svc.stop();
          }
        },
      ),
      { numRuns: 10 },
    );
  }, 300_000);
});
