import { describe, expect, it } from 'vitest';
import { compileFlow } from '../definition/compile.js';
import { IssueList } from '../definition/issues.js';
import { parsePeopleRef, personOfActor, subjectPerson } from './refs.js';
import { reminderChannels } from './reminders.js';
import { compilePeople } from './spec.js';

describe('people refs', () => {
  it('parses every kind and refuses malformed ones', () => {
    expect(parsePeopleRef('ann')).toEqual({ kind: 'user', id: 'ann' });
    expect(parsePeopleRef('group:billing-agents')).toEqual({ kind: 'group', id: 'billing-agents' });
    expect(parsePeopleRef('head:billing')).toEqual({ kind: 'head', id: 'billing' });
    expect(parsePeopleRef('manager:creator')).toEqual({ kind: 'manager', subject: { of: 'creator' } });
    expect(parsePeopleRef('manager:decider:level1')).toEqual({ kind: 'manager', subject: { of: 'decider', nodeId: 'level1' } });
    expect(parsePeopleRef('manager:ann@acme.test')).toEqual({ kind: 'manager', subject: { of: 'person', id: 'ann@acme.test' } });
    for (const bad of ['', 'boss:ann', 'group:', 'manager:', 'manager:decider:', 'user:a b', 'head:x:y', 'Ann Smith'])
      expect(parsePeopleRef(bad), bad).toBeUndefined();
  });

  it('finds the subject person from the ticket context', () => {
    expect(subjectPerson({ of: 'creator' }, { creator: 'ann' })).toBe('ann');
    expect(subjectPerson({ of: 'creator' }, { creator: 'user:ann' })).toBe('ann');
    expect(subjectPerson({ of: 'creator' }, { creator: 'system:ivr' })).toBeUndefined();
    expect(subjectPerson({ of: 'decider', nodeId: 'level1' }, { deciders: { level1: 'bob' } })).toBe('bob');
    expect(subjectPerson({ of: 'decider', nodeId: 'head' }, { deciders: { level1: 'bob' } })).toBeUndefined();
    expect(personOfActor('key:key#3')).toBeUndefined();
  });

  it('orders reminder channels: the preferred ones first, then the list, only where the person has an address', () => {
    const ann = { personId: 'ann', addresses: { email: 'a@x.test', sms: '+491', wecom: 'ann' }, preferred: ['voice', 'wecom'] as const };
    expect(reminderChannels({ ...ann, preferred: [...ann.preferred] }, ['preferred', 'sms', 'email'])).toEqual(['wecom', 'sms', 'email']);
    expect(reminderChannels({ personId: 'bob', addresses: { email: 'b@x.test' } })).toEqual(['email']);
    expect(reminderChannels({ personId: 'cid', addresses: {} })).toEqual([]);
  });
});

describe('compile-time checks of the new ref kinds', () => {
  it('compiles manager, head, fallback, attributes and remind into plain data', () => {
    const issues = new IssueList();
    expect(
      compilePeople(
        {
          manager: 'decider:level1',
          strategy: 'skill-match',
          attributes: { site: 'berlin' },
          remind: ['preferred', 'sms', 'sms'],
          fallback: { head: 'billing' },
        },
        'a',
        issues,
      ),
    ).toEqual({
      source: { kind: 'manager', id: 'decider:level1' },
      strategy: 'skill-match',
      skills: [],
      attributes: { site: 'berlin' },
      remind: ['preferred', 'sms'],
      fallback: { source: { kind: 'head', id: 'billing' }, strategy: 'round-robin', skills: [] },
    });
    expect(issues.list()).toEqual([]);
  });

  it('names bad subjects, ids and attribute use', () => {
    const issues = new IssueList();
    compilePeople({ manager: 'boss of ann' }, 'a', issues);
    compilePeople({ head: 'x:y' }, 'b', issues);
    compilePeople({ group: 'g', attributes: { site: 'x' } }, 'c', issues);
    compilePeople({ group: 'g', fallback: { manager: 'decider:' } }, 'd', issues);
    expect(issues.list().map((i) => i.path)).toEqual(['a.manager', 'b.head', 'c.attributes', 'd.fallback.manager']);
  });

  const flow = (manager: string, notify: string) => ({
    id: 'f',
    version: 1,
    tenant: 'acme',
    name: 'f',
    nodes: [
      { id: 'start', type: 'start' },
      { id: 'a', type: 'approval', assignees: { group: 'g' } },
      {
        id: 'b',
        type: 'approval',
        assignees: { manager },
        sla: { duration: '1h', warnings: [{ delay: '30m', channel: 'message', notify: [notify] }] },
      },
      { id: 'end', type: 'end' },
    ],
    controls: [
      { from: 'start', to: 'a' },
      { from: 'a', on: 'approved', to: 'b' },
      { from: 'a', on: 'rejected', to: 'end' },
      { from: 'b', on: 'approved', to: 'end' },
      { from: 'b', on: 'rejected', to: 'end' },
    ],
  });

  it('refuses a flow whose decider node is missing or takes no decisions, and malformed recipients', () => {
    expect(() => compileFlow(flow('decider:a', 'manager:decider:a'))).not.toThrow();
    const refused = (doc: unknown) => {
      try {
        compileFlow(doc);
      } catch (err) {
        return (err as { details: { issues: { path: string; message: string }[] } }).details.issues;
      }
      throw new Error('compiled');
    };
    expect(refused(flow('decider:nope', 'head:billing'))).toEqual([
      { path: 'nodes[2].assignees.manager', message: 'manager: decider:nope names no node of this flow' },
    ]);
    expect(refused(flow('decider:start', 'manager:boss:x'))).toEqual([
      { path: 'nodes[2].assignees.manager', message: expect.stringContaining('takes no decisions') },
      { path: 'nodes[2].sla.warnings[0].notify[0]', message: expect.stringContaining('is not a people ref') },
    ]);
  });
});
