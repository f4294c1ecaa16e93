import { describe, expect, it } from 'vitest';
import { isSluiceError } from '../../core/errors.js';
import { compileFlow } from './compile.js';
import type { FlowDocument } from './document.js';
import { issuesOf, type ValidationIssue } from './issues.js';
import { loadFlow } from './load.js';
import { defineNodeType } from './node-type.js';
import { defaultNodeTypes } from './node-types/index.js';

type Mutable = { -readonly [K in keyof FlowDocument]: unknown };

/** A small sound flow: start → review (approval) → end, rejections to end. */
function base(): Mutable {
  return {
    id: 'refund',
    version: 1,
    tenant: 'acme',
    name: 'Refund',
    calendars: { office: { workingHours: { mon: ['09:00-17:00'] } } },
    nodes: [
      { id: 'start', type: 'start' },
      {
        id: 'review',
        type: 'approval',
        assignees: { group: 'agents' },
        sla: { duration: '4h', calendar: 'office', warnings: [{ delay: '2h', channel: 'message' }] },
      },
      { id: 'end', type: 'end' },
    ],
    controls: [
      { from: 'start', to: 'review' },
      { from: 'review', on: 'approved', to: 'end' },
      { from: 'review', on: 'rejected', to: 'end' },
    ],
  };
}

function refused(doc: unknown): ValidationIssue[] {
  try {
    compileFlow(doc);
  } catch (err) {
    expect(isSluiceError(err, 'SLUICE_ERR_FLOW_INVALID')).toBe(true);
    return issuesOf(err);
  }
  throw new Error('definition was accepted');
}

const nodesOf = (d: Mutable) => d.nodes as Record<string, unknown>[];
const controlsOf = (d: Mutable) => d.controls as Record<string, unknown>[];

describe('compileFlow accepts', () => {
  it('a sound flow, resolving outcomes, SLA and calendar', () => {
    const flow = compileFlow(base());
    expect(flow.startNodeId).toBe('start');
    expect(flow.controls.get('start')?.[0]).toMatchObject({ to: 'review', on: 'next' });
    const sla = flow.nodes.get('review')?.sla;
    expect(sla).toMatchObject({
      durationMs: 4 * 3_600_000,
      breachChannel: 'log',
      warnings: [{ level: 1, delayMs: 7_200_000, channel: 'message' }],
    });
    expect(sla?.calendar).toEqual({ workingHours: { mon: ['09:00-17:00'] } });
    expect(Object.isFrozen(flow.document.nodes)).toBe(true);
  });

  it('the same flow as YAML and as JSON text', () => {
    const yaml = `
id: refund
version: 1
tenant: acme
name: Refund
nodes:
  - { id: start, type: start }
  - id: review
    type: approval
    assignees: { group: agents }
  - { id: end, type: end }
controls:
  - { from: start, to: review }
  - { from: review, on: approved, to: end }
  - { from: review, on: rejected, to: end }
`;
    expect(loadFlow(yaml).nodes.size).toBe(3);
    expect(loadFlow(JSON.stringify(base())).nodes.size).toBe(3);
  });

  it('a new node type registered from one file', () => {
    const escalate = defineNodeType<{ to: string }>({
      type: 'escalate',
      description: 'hands the ticket to a partner and moves on',
      behaviour: 'auto',
      properties: { to: { type: 'string' } },
      required: ['to'],
      todoActions: [],
      compile: (n) => ({ to: n.to as string }),
      outcomes: () => ['next'],
      enter: (c) => ({ notifications: [{ channel: 'webhook', notify: [`organisation:${c.to}`], message: 'escalated' }], outcome: 'next' }),
    });
    const doc = base();
    nodesOf(doc).splice(2, 0, { id: 'hand-off', type: 'escalate', to: 'partner' });
    controlsOf(doc)[2] = { from: 'review', on: 'rejected', to: 'hand-off' };
    controlsOf(doc).push({ from: 'hand-off', to: 'end' });
    expect(refused(doc)[0]?.message).toMatch(/unknown node type "escalate"/);
    expect(compileFlow(doc, { registry: defaultNodeTypes().register(escalate) }).nodes.get('hand-off')?.config).toEqual({ to: 'partner' });
  });
});

describe('compileFlow refuses, naming the path', () => {
  it('an unknown node type', () => {
    const doc = base();
    nodesOf(doc)[1] = { id: 'review', type: 'aproval' };
    expect(refused(doc)).toContainEqual({
      path: 'nodes[1].type',
      message: 'unknown node type "aproval" (known: approval, end, notify, start, task)',
    });
  });

  it('a dangling control target', () => {
    const doc = base();
    controlsOf(doc)[1] = { from: 'review', on: 'approved', to: 'ned' };
    expect(refused(doc)).toContainEqual({ path: 'controls[1].to', message: 'unknown node "ned" (dangling control target)' });
  });

  it('an unreachable end', () => {
    const doc = base();
    nodesOf(doc).push({ id: 'archive', type: 'end' });
    expect(refused(doc)).toEqual([{ path: 'nodes[3]', message: 'end node "archive" is unreachable from start' }]);
  });

  it('a cycle without exit', () => {
    const doc = base();
    nodesOf(doc).splice(2, 0, { id: 'fix', type: 'task', assignees: { user: 'ann' } });
    controlsOf(doc)[1] = { from: 'review', on: 'approved', to: 'fix' };
    controlsOf(doc)[2] = { from: 'review', on: 'rejected', to: 'fix' };
    controlsOf(doc).push({ from: 'fix', to: 'review' });
    const issues = refused(doc);
    expect(issues).toContainEqual({ path: 'nodes[1]', message: 'cycle without exit: review → fix → review never reaches an end node' });
    expect(issues).toContainEqual({ path: 'nodes[3]', message: 'end node "end" is unreachable from start' });
  });

  it('a cycle of automatic nodes even when it has an exit', () => {
    const doc = base();
    nodesOf(doc).push(
      { id: 'ping', type: 'notify', channel: 'log', notify: ['group:ops'], message: 'ping' },
      { id: 'pong', type: 'notify', channel: 'log', notify: ['group:ops'], message: 'pong' },
    );
    controlsOf(doc)[2] = { from: 'review', on: 'rejected', to: 'ping' };
    controlsOf(doc).push({ from: 'ping', to: 'pong' }, { from: 'pong', to: 'end', when: 'fields.done' }, { from: 'pong', to: 'ping' });
    expect(refused(doc)).toEqual([{ path: 'nodes[3]', message: 'cycle of automatic nodes ping → pong → ping never waits for anyone' }]);
  });

  it('a bad expression', () => {
    const doc = base();
    controlsOf(doc).splice(1, 0, { from: 'review', on: 'approved', to: 'end', when: 'fields.amount <' });
    const [issue] = refused(doc);
    expect(issue?.path).toBe('controls[1].when');
    expect(issue?.message).toMatch(/^bad expression `fields\.amount <`: Unexpected token/);
  });

  it('duplicate node and control ids', () => {
    const doc = base();
    nodesOf(doc).push({ id: 'review', type: 'end' });
    controlsOf(doc)[0] = { id: 'go', from: 'start', to: 'review' };
    controlsOf(doc)[1] = { id: 'go', from: 'review', on: 'approved', to: 'end' };
    const issues = refused(doc);
    expect(issues).toContainEqual({ path: 'nodes[3].id', message: 'duplicate node id "review" (first at nodes[1])' });
    expect(issues).toContainEqual({ path: 'controls[1].id', message: 'duplicate control id "go" (first at controls[0])' });
  });

  it('an outcome without a control, and one without a default', () => {
    const doc = base();
    controlsOf(doc).splice(2, 1);
    controlsOf(doc)[1] = { from: 'review', on: 'approved', to: 'end', when: 'fields.amount < 10' };
    expect(refused(doc)).toEqual([
      {
        path: 'controls[1].when',
        message: 'the last control for node "review" on "approved" must have no condition, so the ticket can always move on',
      },
      { path: 'nodes[1]', message: 'outcome "rejected" of node "review" has no control' },
    ]);
  });

  it('a control whose outcome is ambiguous or unknown', () => {
    const doc = base();
    controlsOf(doc)[1] = { from: 'review', to: 'end' };
    controlsOf(doc)[2] = { from: 'review', on: 'declined', to: 'end' };
    const issues = refused(doc);
    expect(issues).toContainEqual({ path: 'controls[1].on', message: 'node "review" leaves with approved or rejected; say which' });
    expect(issues).toContainEqual({
      path: 'controls[2].on',
      message: 'node "review" has no outcome "declined" (it has approved, rejected)',
    });
  });

  it('SLA mistakes: on a start node, unknown calendar, unordered levels, repeat without interval', () => {
    const doc = base();
    nodesOf(doc)[0] = { id: 'start', type: 'start', sla: { duration: '1h' } };
    nodesOf(doc)[1] = {
      id: 'review',
      type: 'approval',
      assignees: { group: 'agents' },
      sla: {
        duration: '1h',
        calendar: 'ofice',
        warnings: [
          { delay: '45m', channel: 'message' },
          { delay: '30m', channel: 'sms', repeat: 2 },
        ],
      },
    };
    expect(refused(doc)).toEqual([
      { path: 'nodes[0].sla', message: 'only waiting nodes take an SLA; "start" is a start node' },
      { path: 'nodes[1].sla.calendar', message: 'unknown calendar "ofice" (defined: office)' },
      { path: 'nodes[1].sla.warnings[1].interval', message: 'repeat 2 needs an interval longer than 0' },
      { path: 'nodes[1].sla.warnings[1].delay', message: "30m must come after level 1's 45m: levels are listed in firing order" },
    ]);
  });

  it('shape errors: typos, wrong types, bad channels, bad durations and calendars', () => {
    const doc = base();
    nodesOf(doc)[1] = {
      id: 'review',
      type: 'approval',
      asignees: { group: 'agents' },
      sla: { duration: 'soon', warnings: [{ delay: '1h', channel: 'pager' }] },
    };
    expect(refused(doc)).toEqual([
      { path: 'nodes[1]', message: 'missing required property "assignees"' },
      { path: 'nodes[1]', message: 'unknown property "asignees"' },
      { path: 'nodes[1].sla.warnings[0].channel', message: 'must be one of message, email, sms, phone, wecom, webhook, log' },
    ]);
    const doc2 = base();
    doc2.version = '2';
    doc2.calendars = { office: { workingHours: { mon: ['9-5'] } } };
    expect(refused(doc2)).toEqual([{ path: 'version', message: 'must be integer' }]);
    const doc3 = base();
    doc3.calendars = { office: { workingHours: { mon: ['9-5'] } } };
    (nodesOf(doc3)[1]?.sla as Record<string, unknown>).duration = 'soon';
    expect(refused(doc3)).toEqual([
      { path: 'calendars.office.workingHours.mon[0]', message: '"9-5" is not a window like "09:00-17:00"' },
      { path: 'nodes[1].sla.duration', message: '"soon" is not a duration (bad part at "soon"; units ms, s, m, h, d, w)' },
      { path: 'nodes[1].sla.calendar', message: 'unknown calendar "office" (defined: none)' },
    ]);
  });

  it('shape errors in places people refs are read from (null todos and warnings) as issues, not a crash', () => {
    const doc = base();
    nodesOf(doc)[1] = {
      id: 'review',
      type: 'task',
      assignees: { user: 'ann' },
      todos: [null, 3],
      sla: { duration: '4h', warnings: [null, { delay: '1h', channel: 'log', notify: [null, 'manager:nobody'] }] },
    };
    const issues = refused(doc);
    expect(issues).toContainEqual({ path: 'nodes[1].todos[0]', message: 'must be object' });
    expect(issues).toContainEqual({ path: 'nodes[1].sla.warnings[0]', message: 'must be object' });
  });

  it('a flow without start or end', () => {
    const doc = base();
    doc.nodes = [{ id: 'review', type: 'approval', assignees: { group: 'agents' } }];
    doc.controls = [];
    const issues = refused(doc);
    expect(issues).toContainEqual({ path: 'nodes', message: 'a flow needs a start node' });
    expect(issues).toContainEqual({ path: 'nodes', message: 'a flow needs at least one end node' });
  });

  it('with every reason in the message', () => {
    const doc = base();
    nodesOf(doc)[1] = { id: 'review', type: 'aproval' };
    expect(() => compileFlow(doc)).toThrow(/^flow "refund" v1 is invalid: nodes\[1\]\.type: unknown node type "aproval"/);
  });

  it('unparseable text', () => {
    expect(() => loadFlow('id: [unclosed')).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_FLOW_PARSE' }));
    expect(() => loadFlow('{"id": ', { format: 'json' })).toThrow(/^flow source is not valid JSON/);
    expect(() => loadFlow('a: 1\na: 2')).toThrow(/not valid YAML/);
  });

  it('a second registration of a node type', () => {
    expect(() => defaultNodeTypes().register(defineNodeType({ ...defaultNodeTypes().get('end')!.type }))).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_NODE_TYPE_EXISTS' }),
    );
  });
});
