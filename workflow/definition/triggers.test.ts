import { describe, expect, it } from 'vitest';
import { IssueList } from './issues.js';
import { allows, resolvePermissions } from './permissions.js';
import { compileTriggers, matchTrajectory, selectFlow, triggerMatches } from './triggers.js';

describe('matchTrajectory', () => {
  it('matches literal steps, one-step and any-steps wildcards', () => {
    expect(matchTrajectory(['main', 'billing'], ['main', 'billing'])).toBe(true);
    expect(matchTrajectory(['main', 'billing'], ['main', 'billing', 'agent'])).toBe(false);
    expect(matchTrajectory(['main', '*', 'fees'], ['main', 'billing', 'fees'])).toBe(true);
    expect(matchTrajectory(['main', '*', 'fees'], ['main', 'fees'])).toBe(false);
    expect(matchTrajectory(['**', 'fees'], ['fees'])).toBe(true);
    expect(matchTrajectory(['main', '**', 'fee-*'], ['main', 'a', 'b', 'fee-dispute'])).toBe(true);
    expect(matchTrajectory(['main', '**', 'fee-*'], ['main', 'a', 'fee.dispute'])).toBe(false);
    expect(matchTrajectory(['**'], [])).toBe(true);
  });

  it('matches a step against many wildcards in linear time (a backtracking RegExp never returns)', () => {
    const pattern = `${'*a'.repeat(40)}*b`;
    expect(matchTrajectory([pattern], ['a'.repeat(128)])).toBe(false);
    expect(matchTrajectory([pattern], [`${'a'.repeat(127)}b`])).toBe(true);
    expect(matchTrajectory(['fee-*'], ['fee-\ndispute'])).toBe(true);
  });
});

describe('triggers', () => {
  const compile = (docs: Parameters<typeof compileTriggers>[0]) => {
    const issues = new IssueList();
    const out = compileTriggers(docs, 'triggers', issues);
    return { out, issues: issues.list() };
  };

  it('requires every given criterion', () => {
    const [t] = compile([{ intent: ['fee_reduction', 'fee_refund'], when: 'fields.amount <= 50000' }]).out;
    expect(triggerMatches(t!, { intent: 'fee_refund', fields: { amount: 10 } })).toBe(true);
    expect(triggerMatches(t!, { intent: 'fee_refund', fields: { amount: 60000 } })).toBe(false);
    expect(triggerMatches(t!, { intent: 'fee_refund' })).toBe(false);
    expect(triggerMatches(t!, { intent: 'balance', fields: { amount: 10 } })).toBe(false);
  });

  it('refuses empty triggers and bad conditions', () => {
    expect(compile([{ priority: 3 }, { when: 'fields.x +' }]).issues.map((i) => i.path)).toEqual(['triggers[0]', 'triggers[1].when']);
  });

  it('selects by priority, then specificity, then id', () => {
    const flow = (id: string, docs: Parameters<typeof compileTriggers>[0]) => ({ id, triggers: compile(docs).out });
    const generic = flow('a-callback', [{ diversion: 'callback' }]);
    const fees = flow('fees', [{ diversion: 'callback', intent: 'fee_reduction' }]);
    const urgent = flow('urgent', [{ diversion: 'callback', when: 'has(fields.vip) && fields.vip', priority: 10 }]);
    const all = [generic, fees, urgent];
    expect(selectFlow(all, { diversion: 'callback', intent: 'fee_reduction' })?.id).toBe('fees');
    expect(selectFlow(all, { diversion: 'callback', intent: 'other' })?.id).toBe('a-callback');
    expect(selectFlow(all, { diversion: 'callback', intent: 'fee_reduction', fields: { vip: true } })?.id).toBe('urgent');
    expect(selectFlow(all, { diversion: 'chat' })).toBeUndefined();
    const twin = flow('b-callback', [{ diversion: 'callback' }]);
    expect(selectFlow([twin, generic], { diversion: 'callback' })?.id).toBe('a-callback');
  });

  it('matches IVR trajectories', () => {
    const ivr = { id: 'ivr', triggers: compile([{ trajectory: ['main', '**', 'fees'] }]).out };
    expect(selectFlow([ivr], { trajectory: ['main', 'billing', 'fees'] })?.id).toBe('ivr');
    expect(selectFlow([ivr], { intent: 'fees' })).toBeUndefined();
  });
});

describe('permissions', () => {
  const perms = resolvePermissions({ start: ['role:agent'], admin: ['group:supervisors'] });

  it('grants by role, group and user, with admins holding start and view', () => {
    expect(allows(perms, { id: 'ann', roles: ['agent'] }, 'start')).toBe(true);
    expect(allows(perms, { id: 'bob' }, 'start')).toBe(false);
    expect(allows(perms, { id: 'sue', groups: ['supervisors'] }, 'start')).toBe(true);
    expect(allows(perms, { id: 'ann', roles: ['agent'] }, 'admin')).toBe(false);
    expect(allows(perms, { id: 'x' }, 'view')).toBe(true);
  });

  it('lets system actors do everything and defaults admin to system only', () => {
    const defaults = resolvePermissions(undefined);
    expect(allows(defaults, { id: 'control-loop', kind: 'system' }, 'admin')).toBe(true);
    expect(allows(defaults, { id: 'ann' }, 'admin')).toBe(false);
    expect(allows(defaults, { id: 'ann' }, 'start')).toBe(true);
    expect(allows(resolvePermissions({ admin: ['user:sue'] }), { id: 'sue' }, 'admin')).toBe(true);
  });
});
