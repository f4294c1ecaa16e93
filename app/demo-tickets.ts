/**
 * Ticket traffic of `sluice demo` (issue 19): so the flow studio has live tickets to show, the demo
 * opens a fee-reduction request now and then (as the IVR would, from the caller's intent) and decides
 * the oldest open approval of the tenant's tickets, as the back office would. Runs only with the
 * simulator (`SLUICE_SIMULATOR=true`); a seeded sequence, on the injected clock.
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
}

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
  const step = async () => {
    for (const tenant of o.tenants) {
      const open = await o.engine.list(tenant, { flowId: 'fee-reduction', state: 'active' }, undefined, MAX_OPEN);
      if (open.items.length < MAX_OPEN) {
        const amount = [120, 480, 900, 2_400, 4_800, 12_000, 38_000][Math.floor(next() * 7)] as number;
        await o.engine.createFromIvr({ tenant, intent: 'fee_reduction', fields: { amount }, title: `Fee reduction of ${amount}` });
      }
      const waiting = open.items.find((t) => t.todos.some((d) => d.status === 'open'));
      const todo = waiting?.todos.find((d) => d.status === 'open');
      if (waiting && todo && next() < 0.5) {
        const actor = { id: 'demo-back-office', kind: 'system' as const };
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
