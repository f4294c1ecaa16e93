/**
 * Hostile input on the control write routes (issue 14): route, outcome,
 * policy (with hostile CTI nodes and tuning, issue 16), trunk reports, overrides and breaker force, through `app.inject` with the app's own
 * auth and error plugins. Properties: never a 5xx; and after anything a tenant
 * sends (arbitrary JSON, lone surrogates, huge or non-finite numbers, deep
 * nesting, long strings, decisions left without outcomes, failures reported),
 * another tenant's route still gets its normal target.
 */
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runFor } from '../adapters/clock.js';
import { authHeader, testServer } from '../test/support/server.js';
import { calm, harness } from './testing/harness.js';
import type { Harness } from './testing/harness.js';
import { controlRoutes } from './http/routes.js';
import { DEFAULT_POLICY } from './policy/defaults.js';

/** Labels of the test server's keys (`tenant:role`). */
const K = {
  evilRouter: 'evil:router',
  evilAdmin: 'evil:admin',
  evilViewer: 'evil:viewer',
  globexRouter: 'globex:router',
  platformAdmin: '*:admin',
};

/** Strings a hostile client sends: lone surrogates, NUL and control characters, long runs, names that look like other tenants. */
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('sg\ud800x', '\u0000', 'globex', '*', '../globex', 'cti:a', 'channel:chat', '%00', 'a'.repeat(5_000), '\u202e'),
);
/** Numbers beyond every bound, and the values JSON can only spell as text. */
const wildNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 2 ** 53, 1e300, -1e300, Number.MAX_SAFE_INTEGER + 2));
const wildJson = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(
    fc.constantFrom(
      'tenant',
      'callId',
      'skillGroup',
      'priority',
      'intent',
      'ivrTrajectory',
      'success',
      'latencyMs',
      'policy',
      'level',
      'forMs',
      'reason',
      'mode',
      'expectedVersion',
      'trunk',
      'utilisation',
      'ts',
      'ctiNodes',
      'tuning',
    ),
    fc.oneof(nasty, wildNumber, fc.boolean(), fc.constant(null), fc.array(nasty, { maxLength: 70 })),
  ),
);
/** Raw bodies: JSON text of the above, or text JSON.stringify cannot produce. */
const rawBody = fc.oneof(
  { weight: 4, arbitrary: wildJson.map((v) => JSON.stringify(v) ?? 'null') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{"latencyMs":1e400,"success":true}',
      '{"tenant":"evil","callId":"x","skillGroup":"\\ud800","priority":"vip"}',
      `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
      '{"a":',
      '',
      'null',
      '"\\u0000"',
      `{"policy":${'{"x":'.repeat(2_000)}1${'}'.repeat(2_000)}}`,
    ),
  },
);
const routeBody = fc.record(
  {
    tenant: fc.constantFrom('evil', 'globex', 'x'),
    callId: nasty,
    skillGroup: fc.oneof(nasty, fc.constantFrom('care', 'sales')),
    priority: fc.constantFrom('vip', 'high', 'normal', 'low', 'urgent'),
  },
  { requiredKeys: [] },
);

/** Percent-encodes every byte of `s` as UTF-8 (a lone surrogate becomes U+FFFD); or passes through escapes that decode to no valid text. */
const enc = (s: string): string =>
  s.startsWith('%!') ? s.slice(2) : Array.from(Buffer.from(s, 'utf8'), (b) => `%${b.toString(16).padStart(2, '0')}`).join('');
const pathPart = fc.oneof(
  { weight: 4, arbitrary: nasty },
  { weight: 1, arbitrary: fc.constantFrom('%!%ED%A0%80', '%!%zz', '%!%00', '%!..%2F..') },
);

/** A policy with hostile `ctiNodes`, `tuning` (issue 16) and `alerts` (issue 17) over a valid level table. */
const tunedPolicy = fc
  .record(
    {
      ctiNodes: fc.oneof(
        fc.array(
          fc.record(
            {
              name: fc.oneof(nasty, fc.constantFrom('sbc-1', 'a', 'b', 'cti-primary')),
              weight: wildNumber,
              role: fc.constantFrom('primary', 'backup', 'x'),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 12 },
        ),
        wildJson,
      ),
      tuning: fc.oneof(
        fc.record(
          {
            thresholds: fc.array(wildNumber, { maxLength: 4 }),
            hysteresis: wildNumber,
            escalateTicks: wildNumber,
            holdMs: wildNumber,
            holdMaxMs: wildNumber,
            pressure: fc.record(
              {
                targetWaitMs: wildNumber,
                trunkLow: wildNumber,
                trunkHigh: wildNumber,
                weights: fc.dictionary(fc.constantFrom('trunk', 'cti', 'waiting', 'vibes'), wildNumber),
                dominant: fc.array(fc.constantFrom('cti', 'trunk', 'fax'), { maxLength: 3 }),
              },
              { requiredKeys: [] },
            ),
          },
          { requiredKeys: [] },
        ),
        wildJson,
      ),
      // Centre alert rules (issue 17): recipients, channels, thresholds from a hostile admin.
      alerts: fc.oneof(
        fc.record(
          {
            notify: fc.array(fc.oneof(nasty, fc.constantFrom('group:on-duty', 'user:ann')), { maxLength: 20 }),
            channel: fc.oneof(nasty, fc.constantFrom('sms', 'wecom', 'message')),
            language: fc.oneof(nasty, fc.constantFrom('zh-CN', 'en')),
            cooldownMinutes: wildNumber,
            level: fc.record({ atLeast: fc.oneof(nasty, fc.constantFrom('L2', 'L3')) }, { requiredKeys: [] }),
            breakerOpen: fc.oneof(fc.constant({}), wildJson),
            serviceLevel: fc.record(
              { below: wildNumber, forMinutes: wildNumber, skillGroups: fc.array(nasty, { maxLength: 3 }) },
              { requiredKeys: [] },
            ),
          },
          { requiredKeys: [] },
        ),
        wildJson,
      ),
    },
    { requiredKeys: [] },
  )
  .map((extra) => JSON.stringify({ policy: { ...structuredClone(DEFAULT_POLICY), ...extra } }));
const trunkBody = fc.oneof(
  rawBody,
  fc.record(
    {
      tenant: fc.constantFrom('evil', 'globex', 'x'),
      trunk: fc.oneof(nasty, fc.constantFrom('t1', 't2')),
      utilisation: wildNumber,
      ts: wildNumber,
    },
    { requiredKeys: [] },
  ),
);

type Op =
  | { op: 'trunk'; body: string | object }
  | { op: 'route'; body: string | object; key: string }
  | { op: 'route-fail'; n: number; success: boolean; latencyMs: number }
  | { op: 'outcome'; id: string | number; body: string }
  | { op: 'policy'; body: string; rollback: boolean }
  | { op: 'pin'; body: string | object; clear: string }
  | { op: 'force'; key: string; body: string; platform: boolean }
  | { op: 'tick' };

const ops = (platform: boolean): fc.Arbitrary<Op[]> =>
  fc.array(
    fc.oneof(
      fc.record({
        op: fc.constant('route' as const),
        body: fc.oneof(rawBody, routeBody),
        key: fc.constantFrom(K.evilRouter, K.evilAdmin, K.evilViewer),
      }),
      fc.record({
        op: fc.constant('route-fail' as const),
        n: fc.integer({ min: 1, max: 80 }),
        success: fc.boolean(),
        latencyMs: fc.oneof(fc.integer({ min: 0, max: 3_600_000 }), fc.constant(3_600_000)),
      }),
      fc.record({ op: fc.constant('outcome' as const), id: fc.oneof(fc.nat(), pathPart), body: rawBody }),
      fc.record({ op: fc.constant('policy' as const), body: fc.oneof(rawBody, tunedPolicy), rollback: fc.boolean() }),
      fc.record({ op: fc.constant('trunk' as const), body: trunkBody }),
      fc.record({
        op: fc.constant('pin' as const),
        body: fc.oneof(
          rawBody,
          fc.record({ skillGroup: nasty, level: wildNumber, forMs: wildNumber, reason: nasty }, { requiredKeys: [] }),
        ),
        clear: pathPart,
      }),
      fc.record({
        op: fc.constant('force' as const),
        key: pathPart,
        body: rawBody,
        platform: platform ? fc.boolean() : fc.constant(false),
      }),
      fc.constant({ op: 'tick' as const }),
    ),
    { maxLength: 25 },
  );

async function build(): Promise<{ h: Harness; app: FastifyInstance }> {
  const h = harness({ tenants: ['evil', 'globex'] });
  h.view.set([calm('evil', 'care', h.clock.now()), calm('globex', 'sales', h.clock.now())]);
  await h.svc.start();
  const app = await testServer((a) => a.register(controlRoutes, { service: h.svc, clock: h.clock }), { tenants: ['evil', 'globex', '*'] });
  return { h, app };
}

/** Runs `list` as evil (and, for `force` with `platform`, as a platform admin); returns every status code. */
async function play(list: Op[], h: Harness, app: FastifyInstance): Promise<number[]> {
  const codes: number[] = [];
  const decisions: string[] = [];
  const send = async (method: 'POST' | 'PUT' | 'DELETE', url: string, key: string, body?: string | object) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const r = await app.inject({
      method,
      url,
      headers: { ...authHeader(app, key), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload }),
    });
    codes.push(r.statusCode);
    return r;
  };
  for (const o of list) {
    switch (o.op) {
      case 'route': {
        const r = await send('POST', '/v1/route', o.key, o.body);
        if (r.statusCode === 200) decisions.push(r.json().decisionId);
        break;
      }
      case 'route-fail':
        for (let i = 0; i < o.n; i++) {
          const r = await send('POST', '/v1/route', K.evilRouter, { tenant: 'evil', callId: `f${i}`, skillGroup: 'care', priority: 'vip' });
          // Half of them never get an outcome.
          if (r.statusCode === 200 && i % 2 === 0)
            await send('POST', `/v1/route/${r.json().decisionId}/outcome`, K.evilRouter, { success: o.success, latencyMs: o.latencyMs });
        }
        break;
      case 'outcome': {
        const id = typeof o.id === 'number' ? (decisions[o.id % Math.max(1, decisions.length)] ?? 'x') : o.id;
        await send('POST', `/v1/route/${enc(id)}/outcome`, K.evilRouter, o.body);
        break;
      }
      case 'policy':
        await send(o.rollback ? 'POST' : 'PUT', o.rollback ? '/v1/control/policy/rollback' : '/v1/control/policy', K.evilAdmin, o.body);
        break;
      case 'pin':
        await send('POST', '/v1/control/overrides', K.evilAdmin, o.body);
        await send('DELETE', `/v1/control/overrides?skillGroup=${enc(o.clear)}`, K.evilAdmin);
        break;
      case 'force':
        await send('POST', `/v1/control/breakers/${enc(o.key)}/force`, o.platform ? K.platformAdmin : K.evilAdmin, o.body);
        break;
      case 'trunk':
        await send('PUT', '/v1/control/trunks', K.evilRouter, o.body);
        break;
      case 'tick':
        await runFor(h.clock, 1_000);
        break;
    }
  }
  return codes;
}

describe('hostile input on the control write routes', () => {
  it("never answers 5xx, and another tenant's route keeps its normal target whatever a tenant sent", async () => {
    await fc.assert(
      fc.asyncProperty(ops(false), async (list) => {
        const { h, app } = await build();
        try {
          const codes = await play(list, h, app);
          expect(codes.filter((c) => c >= 500)).toEqual([]);
          for (let i = 0; i < 3; i++) {
            const r = await app.inject({
              method: 'POST',
              url: '/v1/route',
              headers: authHeader(app, K.globexRouter),
              payload: { tenant: 'globex', callId: `sentinel-${i}`, skillGroup: 'sales', priority: 'vip' },
            });
            expect(r.statusCode).toBe(200);
            expect(r.json()).toMatchObject({ target: 'agent', ctiNode: 'a', level: 0 });
            await app.inject({
              method: 'POST',
              url: `/v1/route/${r.json().decisionId}/outcome`,
              headers: authHeader(app, K.globexRouter),
              payload: { success: true, latencyMs: 40 },
            });
          }
        } finally {
          await app.close();
          await h.svc.stop();
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('never answers 5xx to a platform admin sending the same, breaker forces included', async () => {
    await fc.assert(
      fc.asyncProperty(ops(true), async (list) => {
        const { h, app } = await build();
        try {
          const codes = await play(list, h, app);
          expect(codes.filter((c) => c >= 500)).toEqual([]);
        } finally {
          await app.close();
          await h.svc.stop();
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
