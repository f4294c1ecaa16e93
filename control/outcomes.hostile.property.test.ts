/**
 * Hostile input on the outcome write path across instances (issue 16): ids made
 * from real ones by changing, adding or dropping characters, other tenants'
 * names, arbitrary text and bodies, sent to the instance that did not decide.
 * Properties: never a 5xx; a changed id is never taken (400 by the schema or
 * 404); the real outcome is still taken once afterwards.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, settle } from '../adapters/clock.js';
import { MemoryStateStore } from '../adapters/state/memory.js';
import { call, testServer } from '../test/support/server.js';
import type { FastifyInstance } from 'fastify';
import { controlRoutes } from './http/routes.js';
import { OUTCOME_KINDS } from './outcome.js';
import { calm, harness } from './testing/harness.js';
import type { Harness } from './testing/harness.js';

const KEY = 'hostile outcomes fleet secret, 32+ bytes';
let a: Harness;
let b: Harness;
let appB: FastifyInstance;

beforeAll(async () => {
  const clock = new ManualClock(1_000_000);
  const store = new MemoryStateStore(clock);
  a = harness({ clock, store, instanceId: 'a', tenants: ['evil', 'globex'], decisionKey: KEY });
  b = harness({ clock, store, view: a.view, instanceId: 'b', tenants: ['evil', 'globex'], decisionKey: KEY });
  a.view.set([calm('evil', 'care', clock.now()), calm('globex', 'sales', clock.now())]);
  await a.svc.start();
  await b.svc.start();
  appB = await testServer((app) => app.register(controlRoutes, { service: b.svc, clock, rateLimit: false }), {
    tenants: ['evil', 'globex', '*'],
  });
});
afterAll(async () => {
  await appB.close();
  await a.svc.stop();
  await b.svc.stop();
});

const edit = fc.record({
  at: fc.nat(),
  how: fc.constantFrom('replace', 'insert', 'delete', 'swap-tenant', 'append'),
  ch: fc.oneof(fc.constantFrom('a', 'Z', '0', '-', '_', '.', ':', '~', '%2F', '%00', '\u00e9'), fc.string({ maxLength: 3 })),
});

function mutate(id: string, e: { at: number; how: string; ch: string }): string {
  const i = e.at % (id.length + 1);
  switch (e.how) {
    case 'replace':
      return id.slice(0, i) + e.ch + id.slice(i + 1);
    case 'insert':
      return id.slice(0, i) + e.ch + id.slice(i);
    case 'delete':
      return id.slice(0, i) + id.slice(i + 1);
    case 'swap-tenant':
      return id.replace('.evil.', '.globex.');
    default:
      return id + e.ch;
  }
}

describe('hostile outcomes on the other instance', () => {
  it('never answers 5xx, never takes a changed id, and still takes the real one once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(edit, { minLength: 1, maxLength: 6 }),
        fc.constantFrom('evil:router', 'globex:router', '*:admin'),
        fc.oneof(
          fc.constant({ success: false, latencyMs: 30 }),
          fc.constantFrom(...OUTCOME_KINDS).map((outcome) => ({ outcome, latencyMs: 30 })),
          fc.record({ outcome: fc.oneof(fc.constantFrom(...OUTCOME_KINDS), fc.string()), latencyMs: fc.jsonValue() }, { requiredKeys: [] }),
          fc.jsonValue({ maxDepth: 2 }),
        ),
        async (edits, key, body) => {
          const d = a.svc.route({ tenant: 'evil', callId: 'c', skillGroup: 'care', priority: 'normal' });
          for (const e of edits) {
            const forged = mutate(d.decisionId, e);
            if (forged === d.decisionId) continue;
            const res = await call(appB, key, 'POST', `/v1/route/${encodeURIComponent(forged)}/outcome`, body as object);
            expect(res.statusCode, `${forged} → ${res.body}`).toBeLessThan(500);
            expect(res.statusCode).not.toBe(204);
          }
          // Only the evil tenant's key (or the platform's) takes the real one, once; a repeat is answered 204 and changes nothing.
          const real = await call(appB, key, 'POST', `/v1/route/${encodeURIComponent(d.decisionId)}/outcome`, {
            success: true,
            latencyMs: 20,
          });
          expect(real.statusCode).toBe(key === 'globex:router' ? 404 : 204);
          const again = await call(appB, 'evil:router', 'POST', `/v1/route/${encodeURIComponent(d.decisionId)}/outcome`, {
            success: true,
            latencyMs: 20,
          });
          expect(again.statusCode).toBe(204);
          await settle(2);
        },
      ),
      { numRuns: 60 },
    );
    expect(a.svc.stats().remoteOutcomes.applied).toBe(60);
  });
});
