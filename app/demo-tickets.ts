/**
 * Ticket traffic of `sluice demo` (issue 19): so the flow studio has live tickets to show, the demo
 * opens a fee-reduction request now and then (as the IVR would, from the caller's intent) and decides
 * the oldest open approval of the tenant's tickets, as the back office would. Runs only with the
 * simulator (`SLUICE_SIMULATOR=true`); a seeded sequence, on the injected clock.
 *
 * With `quickSla` (`sluice demo` only, issue 20) it also deploys {@link demoQuickSlaFlow}, a one-task flow whose SLA
 * warns after a minute and a half and breaches at three, opens one of its tickets per step and completes each after
 * a drawn handling time — some in time, some warned, some breached — so the Workflow panels (SLA warnings, breaches,
 * timer lateness, transitions, alerts) have data within the first five minutes.
 */
import type { Clock, TimerHandle } from '../adapters/clock.js';
import type { Logger } from '../core/logger.js';
import type { WorkflowEngine } from '../workflow/engine/engine.js';

/** Options of {@link startDemoTickets}. */
export interface DemoTicketsOptions {
  readonly engine: WorkflowEngine;
  readonly clock: Clock;
  readonly tenants: readonly string[];
  readonly log: Logger;
  /** Time between two steps, ms (default 20 000). */
  readonly everyMs?: number;
  /** Seed of the amounts and decisions. */
  readonly seed?: number;
  /** The short-SLA demo flow: deployed for the tenants and fed; `warningMs` is its first warning, the breach twice it. */
  readonly quickSla?: { readonly warningMs: number; readonly deploy: (doc: Record<string, unknown>) => Promise<unknown> };
}

/** Id of the short-SLA demo flow. */
export const QUICK_SLA_FLOW = 'demo-quick-check';

/**
 * The short-SLA demo flow of a tenant: start → a "quick check" task (the billing agents, least loaded) → end, its SLA
 * warning by message after `warningMs` and breaching at twice it. Opened by the intent `demo_quick_check`.
 */
export function demoQuickSlaFlow(tenant: string, warningMs: number): Record<string, unknown> {
  return {
    id: QUICK_SLA_FLOW,
    version: 1,
    tenant,
    name: 'Demo: quick check (short SLA)',
    description: `Only in sluice demo: an SLA warning after ${warningMs / 1000} s and a breach after ${(2 * warningMs) / 1000} s, so the SLA panels fill within minutes.`,
    permissions: { start: ['role:agent'], admin: ['group:billing-supervisors'] },
    triggers: [{ intent: 'demo_quick_check' }],
    nodes: [
      { id: 'start', type: 'start' },
      {
        id: 'check',
        name: 'Quick check',
        type: 'task',
        title: "Check the caller's account",
        assignees: { group: 'billing-agents', strategy: 'least-loaded', capacity: 25 },
        sla: { duration: `${2 * warningMs}ms`, breachChannel: 'message', warnings: [{ delay: `${warningMs}ms`, channel: 'message' }] },
      },
      { id: 'end', type: 'end' },
    ],
    controls: [
      { from: 'start', to: 'check' },
      { from: 'check', to: 'end' },
    ],
  };
}

/** Handling time of a quick-check ticket in warning periods, and how often: in time, warned, breached. */
const QUICK_HANDLING: readonly [number, number][] = [
  [0.5, 0.4],
  [1.5, 0.35],
  [2.5, 0.25],
];

/** Most open tickets the demo keeps per tenant: past it, it only decides. */
const MAX_OPEN = 40;

/**
 * Starts the demo's ticket traffic; returns its stop function. Each step opens one ticket per tenant
 * (while fewer than {@link MAX_OPEN} are open) and approves or rejects one open approval (three in
 * four approved).
 */
export function startDemoTickets(o: DemoTicketsOptions): () => void {
  let seed = (o.seed ?? 19) >>> 0;
  const next = () => {
    // mulberry32: a small, well-known seeded generator.
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const every = o.everyMs ?? 20_000;
  let timer: TimerHandle | undefined;
  let stopped = false;
  let deployed = false;
  // When each open quick-check ticket gets completed, epoch ms (bounded: at most MAX_OPEN open per tenant).
  const quickDue = new Map<string, number>();
  const quick = async (tenant: string, warningMs: number) => {
    const now = o.clock.now();
    const open = await o.engine.list(tenant, { flowId: QUICK_SLA_FLOW, state: 'active' }, undefined, MAX_OPEN);
    for (const t of open.items) {
      const due = quickDue.get(`${tenant}/${t.id}`) ?? now;
      const todo = t.todos.find((d) => d.status === 'open');
      if (due > now || !todo) continue;
      await o.engine.act(tenant, t.id, { type: 'complete', todoId: todo.id, actor: { id: 'demo-back-office', kind: 'system' } });
      quickDue.delete(`${tenant}/${t.id}`);
    }
    if (open.items.length < MAX_OPEN) {
      let u = next();
      let periods = 1;
      for (const [p, share] of QUICK_HANDLING) {
        periods = p;
        if (u < share) break;
        u -= share;
      }
      const r = await o.engine.createFromIvr({ tenant, intent: 'demo_quick_check', title: 'Quick check' });
      quickDue.set(`${tenant}/${r.ticket.id}`, now + periods * warningMs);
    }
  };
  const step = async () => {
    if (o.quickSla && !deployed) {
      for (const tenant of o.tenants)
        await o.quickSla.deploy(demoQuickSlaFlow(tenant, o.quickSla.warningMs)).catch((err: Error & { code?: string }) => {
          // Kept from an earlier run (a shared Redis): that version stays.
          if (err.code !== 'SLUICE_ERR_FLOW_VERSION_EXISTS') throw err;
        });
      deployed = true;
    }
    for (const tenant of o.tenants) {
      if (o.quickSla) await quick(tenant, o.quickSla.warningMs);
      const open = await o.engine.list(tenant, { flowId: 'fee-reduction', state: 'active' }, undefined, MAX_OPEN);
      if (open.items.length < MAX_OPEN) {
        const amount = [120, 480, 900, 2_400, 4_800, 12_000, 38_000][Math.floor(next() * 7)] as number;
        await o.engine.createFromIvr({ tenant, intent: 'fee_reduction', fields: { amount }, title: `Fee reduction of ${amount}` });
      }
      const waiting = open.items.find((t) => t.todos.some((d) => d.status === 'open'));
      const todo = waiting?.todos.find((d) => d.status === 'open');
      if (waiting && todo && next() < 0.5) {
        // One back-office desk per level: the flow's separation of duties wants someone else at the next level.
        const actor = { id: `demo-back-office-${todo.nodeId}`, kind: 'system' as const };
        await o.engine.act(
          tenant,
          waiting.id,
          next() < 0.75 ? { type: 'approve', todoId: todo.id, actor } : { type: 'reject', todoId: todo.id, actor },
        );
      }
    }
  };
  const loop = () => {
    if (stopped) return;
    step()
      .catch((err: Error) => o.log.warn({ err: err.message }, 'demo tickets: step failed'))
      .finally(() => {
        if (!stopped) timer = o.clock.setTimeout(loop, every);
      });
  };
  timer = o.clock.setTimeout(loop, 1_000);
  return () => {
    stopped = true;
    if (timer) o.clock.clearTimeout(timer);
  };
}
