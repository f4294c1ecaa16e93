/**
 * Outcomes on any instance (issue 16), in virtual time: two control services
 * share one store (the in-memory twin; `test/integration/control.outcomes.redis.test.ts`
 * does the same against redis-server) and one fleet secret.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, runFor, settle } from '../adapters/clock.js';
import { MemoryStateStore } from '../adapters/state/memory.js';
import { isSluiceError } from '../core/errors.js';
import { FlakyStore, calm, harness } from './testing/harness.js';
import type { Harness } from './testing/harness.js';
import type { RouteInput } from './service-types.js';

const KEY = 'fleet secret for decision ids, 32+ bytes long';
let open: Harness[] = [];
afterEach(async () => {
  for (const h of open) await h.svc.stop();
  open = [];
});

/** Two instances A and B on one clock and one (flaky) store; agents' limiters allow 4 calls in flight per CTI node. */
async function fleet(over: { keyB?: string } = {}) {
  const clock = new ManualClock(1_000_000);
  const store = new FlakyStore(new MemoryStateStore(clock));
  const limiter = { initialLimit: 4, minLimit: 4, maxLimit: 4 };
  const a = harness({ clock, store, instanceId: 'a', tenants: ['acme', 'globex'], decisionKey: KEY, limiter });
  const b = harness({ clock, store, view: a.view, instanceId: 'b', tenants: ['acme', 'globex'], decisionKey: over.keyB ?? KEY, limiter });
  a.view.set([calm('acme', 'care', clock.now()), calm('globex', 'sales', clock.now())]);
  open.push(a, b);
  await a.svc.start();
  await b.svc.start();
  await settle();
  return { clock, store, a: a.svc, b: b.svc };
}

const call = (i: number, tenant = 'acme'): RouteInput => ({
  tenant,
  callId: `c${i}`,
  skillGroup: tenant === 'acme' ? 'care' : 'sales',
  priority: 'vip',
});
const ok = { success: true, latencyMs: 40 };
const agents = (s: Harness['svc'], tenant = 'acme') =>
  s
    .state(tenant)
    .admission.limits.filter((l) => l.tenant === tenant && l.key.startsWith('cti:'))
    .reduce((n, l) => n + l.inflight, 0);

describe('outcomes on any control instance', () => {
  it("takes on B an outcome decided on A (once), and releases A's slot", async () => {
    const { a, b } = await fleet();
    const d = a.route(call(1));
    expect(agents(a)).toBe(1);
    expect(await b.report(d.decisionId, ok, 'acme')).toBe('taken');
    await settle();
    expect(agents(a)).toBe(0);
    expect(a.stats().remoteOutcomes.applied).toBe(1);
    expect(b.stats().remoteOutcomes.relayed).toBe(1);
    // The same outcome again, on B or on A: a repeat (answered 204), counted once.
    expect(await b.report(d.decisionId, ok, 'acme')).toBe('repeat');
    expect(await a.report(d.decisionId, ok, 'acme')).toBe('repeat');
    expect(b.stats().remoteOutcomes.duplicate).toBe(1);
    expect(a.stats().remoteOutcomes.applied).toBe(1);
  });

  it('counts an outcome sent to both instances once (A first, or B first)', async () => {
    const { a, b } = await fleet();
    const x = a.route(call(1));
    const y = a.route(call(2));
    expect(await a.report(x.decisionId, ok, 'acme')).toBe('taken');
    expect(await b.report(x.decisionId, ok, 'acme')).toBe('taken'); // B cannot know A took it: A ignores the copy
    expect(await b.report(y.decisionId, ok, 'acme')).toBe('taken');
    await settle();
    expect(await a.report(y.decisionId, ok, 'acme')).toBe('repeat');
    expect(a.stats().remoteOutcomes.applied).toBe(1); // y only: x was taken on A already
    expect(agents(a)).toBe(0);
  });

  it('a tenant whose limiters allow 4 in flight gets agents again once its outcomes are reported on the other instance', async () => {
    const { a, b } = await fleet();
    const first = Array.from({ length: 12 }, (_, i) => a.route(call(i)));
    const n = first.filter((d) => d.target === 'agent').length;
    expect(n).toBeGreaterThanOrEqual(4);
    expect(agents(a)).toBe(n);
    const jammed = a.route(call(50)); // every agent slot held until outcomes come back
    expect(jammed.target).not.toBe('agent');
    for (const d of [...first, jammed]) expect(await b.report(d.decisionId, ok, 'acme')).toBe('taken');
    await settle();
    expect(agents(a)).toBe(0);
    // Without the outcomes these would all go elsewhere (see `jammed`); now a limiter's worth at least reaches agents.
    const more = Array.from({ length: 12 }, (_, i) => a.route(call(100 + i)));
    expect(more.filter((d) => d.target === 'agent').length).toBeGreaterThanOrEqual(4);
  });

  it("keeps tenants apart: another tenant's key is refused, a platform key (null) is not", async () => {
    const { a, b } = await fleet();
    const d = a.route(call(1));
    expect(await b.report(d.decisionId, ok, 'globex')).toBe('unknown');
    expect(await a.report(d.decisionId, ok, 'globex')).toBe('unknown');
    expect(await b.report(d.decisionId, ok, null)).toBe('taken');
  });

  it('refuses forged, tampered, foreign-key and expired ids without touching the store', async () => {
    const { a, b, store, clock } = await fleet();
    const d = a.route(call(1));
    store.down = true; // any store call would throw: a refusal must not need one
    const last = d.decisionId.slice(-1) === 'A' ? 'B' : 'A';
    const tampered = [
      d.decisionId.slice(0, -1) + last,
      d.decisionId.replace('.acme.', '.globex.'),
      d.decisionId.replace('.cti:', '.channel:'),
      `ffffffffff${d.decisionId.slice(10)}`,
      'not-an-id',
    ];
    for (const id of tampered) expect(await b.report(id, ok, null)).toBe('unknown');
    expect(b.stats().remoteOutcomes.refused).toBe(tampered.length);
    store.down = false;
    // Signed with another fleet's secret.
    const other = await fleet({ keyB: 'another fleet secret, also 32+ bytes long' });
    expect(await other.b.report(other.a.route(call(2)).decisionId, ok, null)).toBe('unknown');
    // Past the decision TTL (60 s): refused anywhere, as on A.
    const late = a.route(call(3));
    clock.advance(62_000);
    expect(await b.report(late.decisionId, ok, 'acme')).toBe('unknown');
  });

  it("answers 503 (SLUICE_ERR_CONTROL_SHARED_UNAVAILABLE) for another instance's decision while the store is down; A's own still work", async () => {
    const { a, b, store } = await fleet();
    const d = a.route(call(1));
    const e = a.route(call(2));
    store.down = true;
    const err = await b.report(d.decisionId, ok, 'acme').catch((x: unknown) => x);
    expect(isSluiceError(err) && err.code).toBe('SLUICE_ERR_CONTROL_SHARED_UNAVAILABLE');
    expect(await a.report(e.decisionId, ok, 'acme')).toBe('taken');
    store.down = false;
    expect(await b.report(d.decisionId, ok, 'acme')).toBe('taken');
  });

  it("counts the evidence on B when A is gone (its slot died with it), in the tenant's own breaker", async () => {
    const { a, b, clock } = await fleet();
    const ds = Array.from({ length: 6 }, (_, i) => a.route(call(i)));
    await a.stop();
    for (const d of ds) expect(await b.report(d.decisionId, { outcome: 'failed', latencyMs: 30 }, 'acme')).toBe('taken');
    expect(b.stats().remoteOutcomes.orphaned).toBe(6);
    const own = b.state('acme').tenantBreakers.filter((t) => t.tenant === 'acme' && t.target.startsWith('cti:'));
    expect(own.reduce((n, t) => n + t.errors, 0)).toBe(6);
    // A repeat of an orphan is recognised (204) and counts nothing more.
    expect(await b.report(ds[0]!.decisionId, ok, 'acme')).toBe('repeat');
    expect(b.state('acme').tenantBreakers.reduce((n, t) => n + (t.target.startsWith('cti:') ? t.errors : 0), 0)).toBe(6);
    await runFor(clock, 1_000);
  });
});
