import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertRequestProblem } from '../../core/alerts.js';
import { isSluiceError } from '../../core/errors.js';
import { DEFAULT_POLICY } from '../policy/defaults.js';
import { type AlertRules, validatePolicy } from '../policy/schema.js';
import { type CentreFacts, CentreAlertRules } from './rules.js';

const MIN = 60_000;
const facts = (over: Partial<CentreFacts> = {}): CentreFacts => ({ tenant: 'acme', levels: [], openBreakers: [], queues: [], ...over });
const rules: AlertRules = {
  notify: ['group:on-duty-supervisors'],
  level: { atLeast: 'L2' },
  breakerOpen: { channel: 'sms' },
  serviceLevel: { below: 0.8, forMinutes: 5, notify: ['user:ann'] },
};

/** Evaluates and confirms every alert (as the runner does once the outbox stored it); returns their ids. */
function step(r: CentreAlertRules, now: number, f: CentreFacts, rs = rules): string[] {
  const out = r.evaluate(now, rs, f);
  for (const a of out) r.confirm(f.tenant, a.alert.id);
  return out.map((a) => a.alert.id);
}

describe('centre alert rules', () => {
  it('alerts once when the tenant reaches L2, again for L3, and anew after it recovered', () => {
    const r = new CentreAlertRules();
    const at = (level: 0 | 1 | 2 | 3, scope = 'sales') =>
      facts({
        levels: [
          { scope: 'acme', level: 1, reason: 'r' },
          { scope, level, reason: 'queue filling' },
        ],
      });
    expect(step(r, 0, at(1))).toEqual([]);
    const first = r.evaluate(1_000, rules, at(2));
    expect(first).toEqual([
      {
        dedupeMs: 15 * MIN,
        alert: {
          id: 'level/L2',
          tenant: 'acme',
          kind: 'centre-level',
          channel: 'message',
          recipients: ['group:on-duty-supervisors'],
          facts: { level: 'L2', scope: 'sales', reason: 'queue filling' },
          at: 1_000,
        },
      },
    ]);
    r.confirm('acme', 'level/L2');
    expect(step(r, 2_000, at(2))).toEqual([]);
    expect(step(r, 3_000, at(3))).toEqual(['level/L3']);
    expect(step(r, 4_000, at(2))).toEqual([]);
    expect(step(r, 5_000, at(0))).toEqual([]);
    expect(step(r, 6_000, at(2))).toEqual(['level/L2']);
  });

  it('raises again at the next evaluation when the outbox did not store it (nothing confirmed)', () => {
    const r = new CentreAlertRules();
    const f = facts({ levels: [{ scope: 'acme', level: 3, reason: 'cti down' }] });
    expect(r.evaluate(0, rules, f).map((a) => a.alert.id)).toEqual(['level/L3']);
    expect(r.evaluate(1_000, rules, f).map((a) => a.alert.id)).toEqual(['level/L3']);
  });

  it("alerts per open breaker with the rule's channel, once per opening", () => {
    const r = new CentreAlertRules();
    const open = facts({ openBreakers: [{ id: 'cti:cti-primary', reason: 'error ratio 0.6 over 20 calls' }] });
    const out = r.evaluate(0, rules, open);
    expect(out.map((a) => [a.alert.id, a.alert.channel, a.alert.kind, a.alert.facts.breaker])).toEqual([
      ['breaker/cti:cti-primary', 'sms', 'centre-breaker', 'cti:cti-primary'],
    ]);
    r.confirm('acme', 'breaker/cti:cti-primary');
    expect(step(r, 1_000, open)).toEqual([]);
    expect(step(r, 2_000, facts())).toEqual([]);
    expect(step(r, 3_000, open)).toEqual(['breaker/cti:cti-primary']);
  });

  it('alerts when a queue stays under the service level for N minutes, not before, and not for a dip', () => {
    const r = new CentreAlertRules();
    const sl = (v: number | null, g = 'sales') => facts({ queues: [{ skillGroup: g, serviceLevel: v }] });
    expect(step(r, 0, sl(0.7))).toEqual([]);
    expect(step(r, 4 * MIN, sl(0.6))).toEqual([]);
    expect(step(r, 4 * MIN + 30_000, sl(0.9))).toEqual([]); // recovered: the clock starts again
    expect(step(r, 5 * MIN, sl(0.7))).toEqual([]);
    expect(step(r, 9 * MIN + 59_999, sl(0.7))).toEqual([]);
    const out = r.evaluate(10 * MIN, rules, sl(0.65));
    expect(out.map((a) => [a.alert.id, a.alert.recipients, a.alert.facts])).toEqual([
      ['service-level/sales', ['user:ann'], { skillGroup: 'sales', serviceLevel: 0.65, threshold: 0.8, minutes: 5 }],
    ]);
    r.confirm('acme', 'service-level/sales');
    expect(step(r, 11 * MIN, sl(0.6))).toEqual([]);
    expect(step(r, 12 * MIN, sl(null))).toEqual([]); // unknown counts as not under
    expect(step(r, 17 * MIN, sl(0.5))).toEqual([]);
    expect(step(r, 22 * MIN, sl(0.5))).toEqual(['service-level/sales']);
  });

  it('only watches the listed skill groups, and forgets tenants without rules', () => {
    const r = new CentreAlertRules();
    const only: AlertRules = { notify: ['group:x'], serviceLevel: { below: 0.9, forMinutes: 1, skillGroups: ['vip'] } };
    const f = facts({
      queues: [
        { skillGroup: 'sales', serviceLevel: 0.1 },
        { skillGroup: 'vip', serviceLevel: 0.5 },
      ],
    });
    step(r, 0, f, only);
    expect(step(r, MIN, f, only)).toEqual(['service-level/vip']);
    expect(r.evaluate(2 * MIN, undefined, f)).toEqual([]);
  });
});

describe('hostile alerts sections of a policy', () => {
  const wild = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.constantFrom('group:on-duty', 'user:ann', 'x\u0000:y', 'sg\ud800x', 'L2', 'sms', 'zh-CN', 'a'.repeat(300)),
    fc.double(),
    fc.integer(),
    fc.constantFrom(0, -1, 1e300, 0.5, 1, 1440, 1441),
    fc.boolean(),
    fc.constant(null),
  );
  const section = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.record(
      {
        notify: fc.oneof(fc.array(wild, { maxLength: 20 }), wild),
        channel: wild,
        language: wild,
        cooldownMinutes: wild,
        level: fc.oneof(fc.record({ atLeast: wild, notify: fc.array(wild, { maxLength: 3 }), channel: wild }, { requiredKeys: [] }), wild),
        breakerOpen: fc.oneof(fc.record({ notify: fc.array(wild, { maxLength: 3 }), channel: wild }, { requiredKeys: [] }), wild),
        serviceLevel: fc.oneof(
          fc.record(
            { below: wild, forMinutes: wild, skillGroups: fc.array(wild, { maxLength: 3 }), notify: fc.array(wild, { maxLength: 3 }) },
            { requiredKeys: [] },
          ),
          wild,
        ),
        extra: wild,
      },
      { requiredKeys: [] },
    ),
  );

  it('is refused naming an alerts field, or accepted and only ever raises well-formed alerts', () => {
    fc.assert(
      fc.property(
        section,
        fc.array(fc.constantFrom(0, 1, 2, 3), { maxLength: 4 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (alerts, levels, sl) => {
          let policy: ReturnType<typeof validatePolicy>;
          try {
            policy = validatePolicy({ ...structuredClone(DEFAULT_POLICY), alerts });
          } catch (err) {
            expect(isSluiceError(err, 'SLUICE_ERR_POLICY_INVALID'), String(err)).toBe(true);
            expect((err as Error).message).toMatch(/alerts/);
            return;
          }
          const r = new CentreAlertRules();
          const f = facts({
            levels: levels.map((l, i) => ({ scope: `g${i}`, level: l as 0 | 1 | 2 | 3, reason: 'why' })),
            openBreakers: [{ id: 'cti:a', reason: 'x' }],
            queues: [{ skillGroup: 'sales', serviceLevel: sl }],
          });
          for (const now of [0, 30 * MIN, 24 * 60 * MIN]) {
            for (const { alert, dedupeMs } of r.evaluate(now, policy.alerts, f)) {
              expect(alertRequestProblem(alert)).toBeNull();
              expect(dedupeMs).toBeGreaterThan(0);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
