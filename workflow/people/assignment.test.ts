import { describe, expect, it } from 'vitest';
import { IssueList } from '../definition/issues.js';
import { chooseAssignee, type Person } from './assignment.js';
import { MemoryPeopleDirectory, MemoryRoundRobinCounter } from './memory.js';
import { compilePeople, parsePrincipal, type PeopleSpec } from './spec.js';

const pool: Person[] = [{ id: 'cid' }, { id: 'ann', skills: ['billing', 'de'] }, { id: 'bob', skills: ['billing'] }];
const spec = (over: Partial<PeopleSpec>): PeopleSpec => ({
  source: { kind: 'group', id: 'g' },
  strategy: 'round-robin',
  skills: [],
  ...over,
});
const loads = (o: Record<string, number>) => new Map(Object.entries(o));

describe('chooseAssignee', () => {
  it('round-robin takes turns in id order', () => {
    const picks = [0, 1, 2, 3].map((counter) => chooseAssignee(spec({}), { candidates: pool, loads: loads({}), counter }));
    expect(picks).toEqual(['ann', 'bob', 'cid', 'ann']);
  });

  it('round-robin skips people at capacity', () => {
    expect(chooseAssignee(spec({ capacity: 2 }), { candidates: pool, loads: loads({ ann: 2 }), counter: 0 })).toBe('bob');
  });

  it('least-loaded picks the fewest open todos, ties by id', () => {
    const s = spec({ strategy: 'least-loaded' });
    expect(chooseAssignee(s, { candidates: pool, loads: loads({ ann: 3, bob: 1, cid: 1 }), counter: 0 })).toBe('bob');
    expect(chooseAssignee(s, { candidates: pool, loads: loads({ ann: 0, bob: 0, cid: 0 }), counter: 0 })).toBe('ann');
  });

  it('least-loaded respects the capacity cap, a person’s own capacity first', () => {
    const s = spec({ strategy: 'least-loaded', capacity: 2 });
    const people: Person[] = [{ id: 'ann', capacity: 5 }, { id: 'bob' }];
    expect(chooseAssignee(s, { candidates: people, loads: loads({ ann: 4, bob: 2 }), counter: 0 })).toBe('ann');
    expect(chooseAssignee(s, { candidates: people, loads: loads({ ann: 5, bob: 2 }), counter: 0 })).toBeUndefined();
  });

  it('skill-match keeps only people with every skill', () => {
    const s = spec({ strategy: 'skill-match', skills: ['billing', 'de'] });
    expect(chooseAssignee(s, { candidates: pool, loads: loads({ ann: 9 }), counter: 0 })).toBe('ann');
    expect(
      chooseAssignee(spec({ strategy: 'skill-match', skills: ['fr'] }), { candidates: pool, loads: loads({}), counter: 0 }),
    ).toBeUndefined();
  });

  it('skips inactive and excluded people and duplicates', () => {
    const people: Person[] = [{ id: 'ann', active: false }, { id: 'bob' }, { id: 'bob' }, { id: 'cid' }];
    expect(
      chooseAssignee(spec({ strategy: 'least-loaded' }), { candidates: people, loads: loads({}), counter: 0, exclude: new Set(['bob']) }),
    ).toBe('cid');
  });
});

describe('compilePeople', () => {
  it('requires exactly one source', () => {
    const issues = new IssueList();
    expect(compilePeople({ user: 'a', group: 'b' }, 'nodes[1].assignees', issues)).toBeUndefined();
    expect(issues.list()).toEqual([
      { path: 'nodes[1].assignees', message: 'give exactly one of user, group, organisation, head, manager, expression (got user, group)' },
    ]);
  });

  it('requires skills for skill-match and a valid expression', () => {
    const issues = new IssueList();
    compilePeople({ group: 'g', strategy: 'skill-match' }, 'a', issues);
    compilePeople({ expression: 'fields.owner +' }, 'b', issues);
    expect(issues.list().map((i) => i.path)).toEqual(['a.skills', 'b.expression']);
  });

  it('produces plain data', () => {
    const issues = new IssueList();
    expect(compilePeople({ group: 'managers', strategy: 'least-loaded', capacity: 10 }, 'x', issues)).toEqual({
      source: { kind: 'group', id: 'managers' },
      strategy: 'least-loaded',
      skills: [],
      capacity: 10,
    });
  });

  it('parses principal refs', () => {
    expect(parsePrincipal('group:heads')).toEqual({ kind: 'group', id: 'heads' });
    expect(parsePrincipal('ann')).toEqual({ kind: 'user', id: 'ann' });
  });
});

describe('in-memory people ports', () => {
  it('resolves users, groups and organisations per tenant', async () => {
    const dir = new MemoryPeopleDirectory()
      .add('acme', { id: 'ann', groups: ['billing'], organisation: 'eu' }, { id: 'bob', groups: ['billing', 'managers'] })
      .add('globex', { id: 'zed', groups: ['billing'] });
    expect((await dir.resolve('acme', { kind: 'group', id: 'billing' })).map((p) => p.id)).toEqual(['ann', 'bob']);
    expect((await dir.resolve('acme', { kind: 'organisation', id: 'eu' })).map((p) => p.id)).toEqual(['ann']);
    expect(await dir.resolve('acme', { kind: 'user', id: 'nobody' })).toEqual([{ id: 'nobody' }]);
    expect((await dir.resolve('globex', { kind: 'group', id: 'billing' })).map((p) => p.id)).toEqual(['zed']);
  });

  it('counts round-robin turns per tenant and pool', async () => {
    const rr = new MemoryRoundRobinCounter();
    expect([await rr.next('a', 'p'), await rr.next('a', 'p'), await rr.next('b', 'p'), await rr.next('a', 'q')]).toEqual([0, 1, 0, 0]);
  });
});
