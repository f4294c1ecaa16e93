import { readFileSync } from 'node:fs';
import { ManualClock } from '../../adapters/clock.js';
import { WorkflowEngine } from '../engine/engine.js';
import { FlowCatalog, MemoryFlowRepository } from '../engine/flow-store.js';
import { MemoryTicketStore } from '../engine/memory-ticket-store.js';
import { MemoryPeopleDirectory } from '../people/memory.js';
import { MemoryTimerStore } from '../sla/memory-timer-store.js';
import { ChannelRegistry, type Notification } from '../sla/notifier.js';
import { CHANNELS } from '../sla/policy.js';
import { TimerService } from '../sla/timer-service.js';

/** Text of a flow file shipped in `workflow/flows/`. */
export function flowSource(name: string): string {
  return readFileSync(new URL(`../flows/${name}`, import.meta.url), 'utf8');
}

/** A notification as a recording channel saw it. */
export interface Sent {
  readonly channel: string;
  readonly kind: string;
  readonly level: number;
  readonly repeat: number;
  readonly ticketId: string;
  /** Epoch ms. */
  readonly at: number;
  readonly latenessMs: number;
  readonly late: boolean;
  readonly recipients: readonly string[];
  readonly message: string;
}

/** The whole workflow core on in-memory twins and a manual clock, with every channel recorded. */
export interface Harness {
  readonly clock: ManualClock;
  readonly engine: WorkflowEngine;
  readonly tickets: MemoryTicketStore;
  readonly timers: MemoryTimerStore;
  readonly flows: FlowCatalog;
  readonly people: MemoryPeopleDirectory;
  readonly service: TimerService;
  /** Every notification delivered, in delivery order. */
  readonly sent: Sent[];
}

/**
 * Builds a {@link Harness} starting at `start` (epoch ms), ticket ids `T1`, `T2`, …
 * The timer service is created but not started.
 */
export function createHarness(start: number): Harness {
  const clock = new ManualClock(start);
  const timers = new MemoryTimerStore();
  const tickets = new MemoryTicketStore({ timers });
  const flows = new FlowCatalog(new MemoryFlowRepository());
  const people = new MemoryPeopleDirectory();
  const sent: Sent[] = [];
  const registry = new ChannelRegistry();
  for (const name of CHANNELS) {
    registry.register({
      name,
      send: async (n: Notification) => {
        const t = n.timer;
        sent.push({
          channel: name,
          kind: t.kind,
          level: t.level,
          repeat: t.repeat,
          ticketId: t.ticketId,
          at: n.firedAt,
          latenessMs: n.latenessMs,
          late: n.late,
          recipients: t.recipients,
          message: t.message,
        });
      },
    });
  }
  let seq = 0;
  const engine = new WorkflowEngine({ tickets, flows, clock, people, newId: () => `T${++seq}` });
  const service = new TimerService({ store: timers, notifier: registry, clock });
  return { clock, engine, tickets, timers, flows, people, service, sent };
}
