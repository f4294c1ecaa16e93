/**
 * The routes the flow studio (`/studio`, `studio/`) needs beyond the flow and ticket API: who the key
 * is, a validate-only publish (the same {@link FlowCatalog.validate} `POST /v1/flows` runs), a CEL
 * "try it", a trigger tester, per-node figures of a flow version, a ticket's path on its graph and a
 * migration preview. None of them stores anything; every one is scoped to the key's tenant.
 */
import type { FastifyInstance } from 'fastify';
import { MAX_DATETIME64_MS } from '../../adapters/clickhouse/partitions.js';
import { ROLES, type Role } from '../../core/access.js';
import type {} from '../../core/http.js';
import { isSluiceError } from '../../core/errors.js';
import type { Clock } from '../../adapters/clock.js';
import type { CompiledFlow } from '../definition/compile.js';
import type { FlowDocument } from '../definition/document.js';
import { compileExpression, evaluateCondition, withFlowBudget } from '../definition/expression.js';
import { issuesOf, type ValidationIssue } from '../definition/issues.js';
import { selectFlow, type TriggerInput } from '../definition/triggers.js';
import type { WorkflowEngine } from '../engine/engine.js';
import { checkFields } from '../engine/fields.js';
import type { FlowCatalog } from '../engine/flow-store.js';
import { migrateTicket } from '../engine/migrate.js';
import type { Ticket } from '../engine/ticket.js';
import { workflowError } from '../errors.js';
import type { HistoryQueries } from '../history/types.js';
import type { Directory } from '../people/directory.js';
import { parsePeopleRef } from '../people/refs.js';
import type { ReminderStep } from '../people/spec.js';
import { CHANNELS } from '../sla/policy.js';
import type { TimerStore } from '../sla/timer-store.js';
import { actorOf, tenantOf } from './access.js';
import { errorResponses, flowIdPattern, tenantQuery, ticketIdParam } from './schemas.js';
import { slaStatus } from './sla-status.js';

/** Options of {@link studioRoutes}. */
export interface StudioRoutesOptions {
  readonly engine: WorkflowEngine;
  readonly catalog: FlowCatalog;
  readonly clock: Clock;
  readonly timers: TimerStore;
  /** Ticket history (breaches, time spent); without it the figures carry open tickets only. */
  readonly history?: HistoryQueries;
  /** Turns a request body into a flow document, as `POST /v1/flows` does. */
  readonly documentOf: (body: unknown) => Record<string, unknown>;
  /** The tenant's people directory: the inspector's people, groups and organisations come from it when given. */
  readonly directory?: Directory;
}

/** Most open tickets one figures or preview request reads (pages of 500); beyond, the answer says `truncated`. */
export const STUDIO_MAX_TICKETS_SCANNED = 10_000;
/** Default window of the per-node history figures, ms (7 days back from now). */
const FIGURES_WINDOW_MS = 7 * 86_400_000;
/** Longest window one figures request may ask for, ms (366 days). */
const MAX_FIGURES_WINDOW_MS = 366 * 86_400_000;
/** Most people, groups and organisations (each) the suggestions list. */
export const MAX_SUGGESTIONS = 500;
/** Reminder steps an assignee spec's `remind` takes, in the schema's order. */
const REMIND_STEPS: readonly ReminderStep[] = ['preferred', 'email', 'sms', 'voice', 'wecom', 'webhook'];

const READ: readonly Role[] = ROLES;
const TAGS = ['studio'];
const withTenant = { type: 'object', additionalProperties: false, properties: { tenant: tenantQuery } } as const;
const flowParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: flowIdPattern } },
} as const;
const name = { type: 'string', minLength: 1, maxLength: 128 } as const;

/** The open (active or paused) tickets of a flow, at most {@link STUDIO_MAX_TICKETS_SCANNED}. */
async function openTickets(engine: WorkflowEngine, tenant: string, flowId: string): Promise<{ tickets: Ticket[]; truncated: boolean }> {
  const tickets: Ticket[] = [];
  for (const state of ['active', 'paused'] as const) {
    let cursor: string | undefined;
    do {
      const page = await engine.list(tenant, { flowId, state }, cursor, 500);
      tickets.push(...page.items);
      cursor = page.nextCursor;
      if (tickets.length >= STUDIO_MAX_TICKETS_SCANNED) return { tickets: tickets.slice(0, STUDIO_MAX_TICKETS_SCANNED), truncated: true };
    } while (cursor !== undefined);
  }
  return { tickets, truncated: false };
}

/** What `GET /v1/studio/suggestions` answers. */
export interface StudioSuggestions {
  /** `directory` when the people come from the tenant's directory, `flows` when only from refs its flows name. */
  readonly source: 'directory' | 'flows';
  /** Person ids, sorted. */
  readonly users: string[];
  /** Group ids, sorted. */
  readonly groups: string[];
  /** Organisation ids, sorted (for `organisation:` and `head:`). */
  readonly organisations: string[];
  /** Display names from the directory, by ref: `user:ann`, `group:billing-agents`, `organisation:billing`. */
  readonly names: Record<string, string>;
  readonly roles: string[];
  readonly calendars: string[];
  readonly channels: string[];
  /** Steps an assignee spec's `remind` list takes. */
  readonly remind: string[];
  /** Whether people, groups, organisations or calendars were left out past {@link MAX_SUGGESTIONS}. */
  readonly truncated: boolean;
}

/**
 * The inspector's suggestions for a tenant: the first {@link MAX_SUGGESTIONS} people, groups and
 * organisations of its directory (one page each, by id) with their names, then the refs its flows'
 * permissions, assignee specs (fallbacks included) and warning recipients name, up to the same
 * bound per kind. Reads at most one page of each directory list and every flow's latest version.
 */
export async function suggestionsFor(tenant: string, catalog: FlowCatalog, directory: Directory | undefined): Promise<StudioSuggestions> {
  const sets = { user: new Set<string>(), group: new Set<string>(), organisation: new Set<string>(), role: new Set<string>() };
  const names: Record<string, string> = {};
  const calendars = new Set<string>();
  let truncated = false;
  const add = (kind: keyof typeof sets, id: string) => {
    const set = sets[kind];
    if (set.has(id)) return;
    if (set.size < MAX_SUGGESTIONS) set.add(id);
    else truncated = true;
  };
  if (directory) {
    const page = { limit: MAX_SUGGESTIONS };
    const [persons, groups, orgs] = await Promise.all([
      directory.listPersons(tenant, page),
      directory.listGroups(tenant, page),
      directory.listOrgs(tenant, page),
    ]);
    const take = (kind: 'user' | 'group' | 'organisation', p: { items: readonly { id: string; name?: string }[]; nextCursor?: string }) => {
      for (const x of p.items) {
        add(kind, x.id);
        if (x.name !== undefined) names[`${kind}:${x.id}`] = x.name;
      }
      if (p.nextCursor !== undefined) truncated = true;
    };
    take('user', persons);
    take('group', groups);
    take('organisation', orgs);
  }
  const addRef = (ref: unknown) => {
    if (typeof ref !== 'string') return;
    const r = parsePeopleRef(ref);
    if (!r) return;
    if (r.kind === 'manager') {
      if (r.subject.of === 'person') add('user', r.subject.id);
    } else add(r.kind === 'head' ? 'organisation' : r.kind, r.id);
  };
  const addSpec = (a: unknown) => {
    if (typeof a !== 'object' || a === null) return;
    const spec = a as Record<string, unknown>;
    for (const kind of ['user', 'group', 'organisation', 'head', 'manager'] as const)
      if (typeof spec[kind] === 'string') addRef(`${kind}:${spec[kind]}`);
    addSpec(spec.fallback);
  };
  for (const flow of await catalog.latestAll(tenant)) {
    const d = flow.document;
    for (const list of Object.values(d.permissions ?? {})) for (const r of list ?? []) addRef(r);
    for (const c of Object.keys(d.calendars ?? {}))
      if (calendars.size < MAX_SUGGESTIONS) calendars.add(c);
      else truncated = true;
    for (const n of d.nodes) {
      addSpec(n.assignees);
      for (const w of n.sla?.warnings ?? []) for (const r of w.notify ?? []) if (r !== 'assignees') addRef(r);
    }
  }
  const sorted = (s: Set<string>) => [...s].sort();
  return {
    source: directory ? 'directory' : 'flows',
    users: sorted(sets.user),
    groups: sorted(sets.group),
    organisations: sorted(sets.organisation),
    names,
    roles: [...new Set([...ROLES, ...sets.role])].sort(),
    calendars: sorted(calendars),
    channels: [...CHANNELS],
    remind: [...REMIND_STEPS],
    truncated,
  };
}

/** One step of a ticket's path: a control taken from one node to the next. */
export interface PathEdge {
  readonly from: string;
  readonly to: string;
  /** Position of the control in the version's `controls`. */
  readonly control: number;
  /** Epoch ms of the action that took it. */
  readonly at: number;
}

/**
 * The controls a move from `from` to `to` went through: the shortest chain of controls whose
 * intermediate nodes move by themselves (start, notify, the extension types that do not wait),
 * as one audit entry records only where an action started and where the ticket came to rest.
 * Bounded by the flow's size (breadth-first, each node once). Pure.
 */
export function controlsBetween(flow: CompiledFlow, from: string, to: string): number[] {
  const prev = new Map<string, { node: string; control: number }>();
  const queue = [from];
  const seen = new Set([from]);
  for (let i = 0; i < queue.length; i++) {
    const at = queue[i] as string;
    for (const c of flow.controls.get(at) ?? []) {
      if (seen.has(c.to)) continue;
      seen.add(c.to);
      prev.set(c.to, { node: at, control: c.index });
      if (c.to === to) {
        const out: number[] = [];
        for (let n = to; n !== from; ) {
          const p = prev.get(n) as { node: string; control: number };
          out.push(p.control);
          n = p.node;
        }
        return out.reverse();
      }
      const behaviour = flow.nodes.get(c.to)?.type.behaviour;
      if (behaviour !== 'wait' && behaviour !== 'end') queue.push(c.to);
    }
  }
  return [];
}

/**
 * Registers the studio's routes: `GET /v1/studio/session`, `GET /v1/studio/suggestions`,
 * `POST /v1/flows/validate`, `POST /v1/flows/evaluate`, `POST /v1/flows/trigger-test`,
 * `GET /v1/flows/{id}/versions/{version}/figures`, `POST /v1/flows/{id}/migration-preview` and
 * `GET /v1/tickets/{id}/path`.
 */
export async function studioRoutes(app: FastifyInstance, opts: StudioRoutesOptions): Promise<void> {
  const { engine, catalog, clock } = opts;

  app.get(
    '/v1/studio/session',
    {
      config: { access: { roles: READ, action: 'read its own key' } },
      schema: {
        tags: TAGS,
        summary: 'Who the key is: tenant, role, user, and whether it may edit and deploy flows',
        response: errorResponses,
      },
    },
    async (req) => {
      const p = req.principal;
      return {
        tenant: p.tenant,
        platform: p.tenant === '*',
        role: p.role,
        key: p.keyId,
        ...(p.user !== undefined && { user: p.user }),
        canEdit: p.role === 'admin',
      };
    },
  );

  app.get<{ Querystring: { tenant?: string } }>(
    '/v1/studio/suggestions',
    {
      config: { access: { roles: READ, action: 'read flows' } },
      schema: {
        tags: TAGS,
        summary:
          'People, groups and organisations of the tenant’s directory and the refs its flows name, with roles, calendars, channels and reminder steps, for the inspector',
        description: `The directory's first ${MAX_SUGGESTIONS} people, groups and organisations (by id) with their names, then refs the tenant's flows name that the directory does not hold, up to ${MAX_SUGGESTIONS} of each; \`truncated\` says some were left out.`,
        querystring: withTenant,
        response: errorResponses,
      },
    },
    async (req) => {
      const tenant = tenantOf(req.principal, req.query.tenant);
      return suggestionsFor(tenant, catalog, opts.directory);
    },
  );

  app.post<{ Body: unknown; Querystring: { tenant?: string } }>(
    '/v1/flows/validate',
    {
      config: { access: { roles: READ, action: 'validate flows' } },
      schema: {
        tags: TAGS,
        summary: 'Check a flow exactly as publishing would, without storing it: every issue with its path',
        description:
          'Same body as `POST /v1/flows`. Answers 200 `{valid, issues}`; `issues` lists what `POST /v1/flows` would refuse (`path`: where, `message`: why), including a version that is not newer than the deployed one.',
        querystring: withTenant,
        response: errorResponses,
      },
    },
    async (req) => {
      const doc = opts.documentOf(req.body);
      const named = typeof doc.tenant === 'string' ? doc.tenant : undefined;
      const tenant = tenantOf(
        req.principal,
        req.query.tenant ?? named,
        req.query.tenant === undefined ? 'body.tenant' : 'querystring.tenant',
      );
      if (named !== undefined && named !== tenant)
        throw workflowError('SLUICE_ERR_VALIDATION', `body.tenant ("${named}") and querystring.tenant disagree`, {
          details: { field: 'body.tenant' },
        });
      let issues: ValidationIssue[] = [];
      let flow: CompiledFlow | undefined;
      try {
        flow = catalog.validate({ ...doc, tenant }, { tenant });
      } catch (err) {
        if (!isSluiceError(err, 'SLUICE_ERR_FLOW_INVALID')) throw err;
        issues = issuesOf(err);
        if (issues.length === 0) issues = [{ path: '', message: err.message }];
      }
      if (flow) {
        const latest = await catalog.repo.latestVersion(tenant, flow.id);
        if (latest !== undefined && flow.version <= latest)
          issues.push({
            path: 'version',
            message: `flow "${flow.id}" is at v${latest}; deploy v${latest + 1} or later, not v${flow.version}`,
          });
        return {
          valid: issues.length === 0,
          issues,
          id: flow.id,
          version: flow.version,
          ...(latest !== undefined && { latestVersion: latest }),
        };
      }
      return { valid: false, issues };
    },
  );

  app.post<{ Body: { expression: string; fields?: Record<string, unknown> }; Querystring: { tenant?: string } }>(
    '/v1/flows/evaluate',
    {
      config: { access: { roles: READ, action: 'try conditions' } },
      schema: {
        tags: TAGS,
        summary: 'Evaluate a CEL condition on sample ticket fields (the “try it” box)',
        querystring: withTenant,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['expression'],
          properties: {
            expression: { type: 'string', minLength: 1, maxLength: 200, description: 'A CEL condition over `fields` and `ticket`.' },
            fields: { type: 'object', additionalProperties: true, description: 'Sample ticket fields (same limits as a ticket’s).' },
          },
        },
        response: errorResponses,
      },
    },
    async (req) => {
      tenantOf(req.principal, req.query.tenant);
      const fields = req.body.fields ?? {};
      checkFields(fields, 'body.fields');
      const source = req.body.expression;
      try {
        const expr = withFlowBudget(() => compileExpression(source, 'condition', 'body.expression'));
        const ticket = { id: 'sample', state: 'active', nodeId: 'sample', flowId: 'sample', fields };
        return { valid: true, value: evaluateCondition(expr, { fields, ticket }, 'body.expression') };
      } catch (err) {
        if (isSluiceError(err, 'SLUICE_ERR_FLOW_INVALID')) return { valid: false, error: err.message };
        if (isSluiceError(err, 'SLUICE_ERR_EXPRESSION_FAILED')) return { valid: true, error: err.message };
        throw err;
      }
    },
  );

  app.post<{
    Body: { intent?: string; trajectory?: string[]; diversion?: string; fields?: Record<string, unknown>; draft?: unknown };
    Querystring: { tenant?: string };
  }>(
    '/v1/flows/trigger-test',
    {
      config: { access: { roles: READ, action: 'test triggers' } },
      schema: {
        tags: TAGS,
        summary: 'Which flow an intent, IVR trajectory or diversion would open (optionally with a draft in place of its deployed version)',
        querystring: withTenant,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            intent: name,
            trajectory: { type: 'array', maxItems: 64, items: name },
            diversion: name,
            fields: { type: 'object', additionalProperties: true },
            draft: { type: 'object', description: 'A flow document tried in place of the deployed flow of the same id.' },
          },
        },
        response: errorResponses,
      },
    },
    async (req) => {
      const tenant = tenantOf(req.principal, req.query.tenant);
      const b = req.body;
      if (b.fields) checkFields(b.fields, 'body.fields');
      let flows = await catalog.latestAll(tenant);
      if (b.draft !== undefined) {
        const draft = catalog.validate({ ...(b.draft as Record<string, unknown>), tenant }, { tenant });
        flows = [...flows.filter((f) => f.id !== draft.id), draft];
      }
      const input: TriggerInput = {
        ...(b.intent !== undefined && { intent: b.intent }),
        ...(b.trajectory !== undefined && { trajectory: b.trajectory }),
        ...(b.diversion !== undefined && { diversion: b.diversion }),
        ...(b.fields !== undefined && { fields: b.fields }),
      };
      const flow = selectFlow(flows, input);
      return flow ? { match: { id: flow.id, version: flow.version, name: flow.name } } : { match: null };
    },
  );

  app.get<{ Params: { id: string; version: number }; Querystring: { tenant?: string; from?: number; to?: number } }>(
    '/v1/flows/:id/versions/:version/figures',
    {
      config: { access: { roles: READ, action: 'read flows' } },
      schema: {
        tags: TAGS,
        summary: 'Per node of a flow version: open tickets now, breaches and median time spent (history, default the last 7 days)',
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'version'],
          properties: { id: flowParams.properties.id, version: { type: 'integer', minimum: 1 } },
        },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            tenant: tenantQuery,
            from: { type: 'integer', minimum: 0, maximum: MAX_DATETIME64_MS, description: 'Epoch ms (default now − 7 days).' },
            to: { type: 'integer', minimum: 0, maximum: MAX_DATETIME64_MS, description: 'Epoch ms (default now).' },
          },
        },
        response: errorResponses,
      },
    },
    async (req) => {
      const tenant = tenantOf(req.principal, req.query.tenant);
      const flow = await catalog.get(tenant, req.params.id, req.params.version);
      const now = clock.now();
      const to = req.query.to ?? now + 1;
      const from = req.query.from ?? to - FIGURES_WINDOW_MS;
      if (to <= from)
        throw workflowError('SLUICE_ERR_VALIDATION', 'querystring.to must be greater than querystring.from', {
          details: { field: 'querystring.to' },
        });
      if (to - from > MAX_FIGURES_WINDOW_MS)
        throw workflowError('SLUICE_ERR_VALIDATION', 'querystring.to may be at most 366 days after querystring.from', {
          details: { field: 'querystring.to' },
        });
      const { tickets, truncated } = await openTickets(engine, tenant, flow.id);
      const nodes: Record<string, { open: number; paused: number; breached: number; breaches: number; stays: number; medianMs: number }> =
        {};
      for (const id of flow.nodes.keys()) nodes[id] = { open: 0, paused: 0, breached: 0, breaches: 0, stays: 0, medianMs: 0 };
      for (const t of tickets) {
        const n = t.flow.version === flow.version ? nodes[t.nodeId] : undefined;
        if (!n) continue;
        n.open++;
        if (t.state === 'paused') n.paused++;
      }
      const history = opts.history
        ? await opts.history.nodeFigures({ tenant, flowId: flow.id, flowVersion: flow.version, from, to })
        : undefined;
      for (const r of history ?? []) {
        const n = nodes[r.nodeId];
        if (n) Object.assign(n, { breaches: r.breaches, stays: r.stays, medianMs: r.medianMs });
      }
      return { id: flow.id, version: flow.version, at: now, from, to, history: history !== undefined, truncated, nodes };
    },
  );

  app.post<{ Params: { id: string }; Body: { toVersion?: number; nodeMap?: Record<string, string> }; Querystring: { tenant?: string } }>(
    '/v1/flows/:id/migration-preview',
    {
      config: { access: { roles: ['admin'], action: 'preview migrations' } },
      schema: {
        tags: TAGS,
        summary: 'Which running tickets would move to which node of a newer version (nothing is changed)',
        params: flowParams,
        querystring: withTenant,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            toVersion: { type: 'integer', minimum: 1, maximum: 2_147_483_647, description: 'Default the latest version.' },
            nodeMap: {
              type: 'object',
              maxProperties: 1000,
              additionalProperties: { type: 'string', minLength: 1, maxLength: 100 },
              description: 'Old node id → new node id, for renamed nodes.',
            },
          },
        },
        response: errorResponses,
      },
    },
    async (req) => {
      const tenant = tenantOf(req.principal, req.query.tenant);
      const to = await catalog.get(tenant, req.params.id, req.body?.toVersion);
      const actor = actorOf(req.principal);
      const now = clock.now();
      const { tickets, truncated } = await openTickets(engine, tenant, to.id);
      const moves: { ticketId: string; fromVersion: number; fromNode: string; toNode?: string; refused?: string }[] = [];
      for (const t of tickets) {
        if (t.flow.version >= to.version) continue;
        const from = await catalog.get(tenant, t.flow.id, t.flow.version);
        try {
          const r = migrateTicket(t, from, to, now, { actor, ...(req.body?.nodeMap && { nodeMap: req.body.nodeMap }) });
          moves.push({ ticketId: t.id, fromVersion: t.flow.version, fromNode: t.nodeId, toNode: r.ticket.nodeId });
        } catch (err) {
          if (!isSluiceError(err)) throw err;
          moves.push({ ticketId: t.id, fromVersion: t.flow.version, fromNode: t.nodeId, refused: err.message });
        }
      }
      return { id: to.id, toVersion: to.version, truncated, moves };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { tenant?: string } }>(
    '/v1/tickets/:id/path',
    {
      config: { access: { roles: READ, action: 'read tickets' } },
      schema: {
        tags: TAGS,
        summary: 'A ticket’s path on its flow version: nodes and controls taken, the current node, SLA and warnings sent (with recipients)',
        params: ticketIdParam,
        querystring: withTenant,
        response: errorResponses,
      },
    },
    async (req) => {
      const tenant = tenantOf(req.principal, req.query.tenant);
      const ticket = await engine.get(tenant, req.params.id);
      const flow = await catalog.get(tenant, ticket.flow.id, ticket.flow.version);
      const edges: PathEdge[] = [];
      const nodes = new Set<string>([flow.startNodeId]);
      for (const e of ticket.history) {
        nodes.add(e.node);
        if (e.toNode === undefined || e.action === 'migrate') continue;
        nodes.add(e.toNode);
        let at = e.node;
        for (const control of controlsBetween(flow, e.node, e.toNode)) {
          const c = flow.document.controls[control] as FlowDocument['controls'][number];
          edges.push({ from: at, to: c.to, control, at: e.at });
          nodes.add(c.to);
          at = c.to;
        }
      }
      const sla = await slaStatus(ticket, opts.timers, clock.now());
      const doc = flow.document.nodes.find((n) => n.id === ticket.nodeId);
      const assignees = ticket.todos
        .filter((t) => t.nodeId === ticket.nodeId && t.visit === ticket.visit && t.assignee)
        .map((t) => t.assignee);
      const warnings = (sla.sla?.warningsFired ?? []).map((w) => {
        const notify = w.kind === 'warning' ? (doc?.sla?.warnings?.[w.level - 1]?.notify ?? ['assignees']) : ['assignees'];
        return { ...w, recipients: notify.flatMap((r) => (r === 'assignees' ? assignees.map((a) => `user:${a}`) : [r])) };
      });
      return {
        ticketId: ticket.id,
        flow: ticket.flow,
        state: ticket.state,
        current: ticket.nodeId,
        ...(ticket.outcome !== undefined && { outcome: ticket.outcome }),
        nodes: [...nodes],
        edges,
        sla: sla.sla && {
          nodeId: sla.sla.nodeId,
          durationMs: sla.sla.durationMs,
          elapsedMs: sla.sla.elapsedMs,
          remainingMs: Math.max(0, sla.sla.durationMs - sla.sla.elapsedMs),
          paused: sla.sla.paused,
          breached: sla.sla.breached,
          ...(sla.sla.breachAt !== undefined && { breachAt: sla.sla.breachAt }),
        },
        warnings,
        history: ticket.history,
      };
    },
  );
}
