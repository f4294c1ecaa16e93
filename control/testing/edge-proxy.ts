/**
 * Test support: a SIP proxy at the telephony edge in virtual time, as the issue 18 run with Kamailio and
 * SIPp saw one. Calls arrive at a fixed rate; each asks the service where to go; a call sent to a CTI node
 * gets that node's behaviour (answers, 503, silence); the proxy reports what it saw the way a real one does
 * (`connected` at the node's first answer, `failed` on a 5xx, `timeout` at its own deadline) unless it is
 * told to lose outcomes, some or all of them, or to send them late or twice.
 */
import { runFor } from '../../adapters/clock.js';
import type { ManualClock } from '../../adapters/clock.js';
import type { StaticRealtimeView } from '../signals/snapshot.js';
import type { ControlService } from '../service.js';
import type { OutcomeKind } from '../outcome.js';
import type { Priority, Random } from '../types.js';
import { calm } from './harness.js';

/** How a CTI node treats the calls it gets. */
export type NodeBehaviour = 'answers' | 'refuses' | 'silent';

/** What the proxy does with the outcomes it has to report. */
export interface Reporting {
  /** Share of outcomes lost (never sent), [0, 1]. */
  readonly lose?: number;
  /** Whether the proxy reports a `timeout` at its deadline for a node that does not answer (a Kamailio failure_route does). */
  readonly timeouts?: boolean;
  /** Extra delay before an outcome is sent, ms (a late outcome). */
  readonly delayMs?: number;
  /** Share of outcomes sent twice (a retry after a lost answer), [0, 1]. */
  readonly duplicate?: number;
}

/** One phase of a run. */
export interface Phase {
  readonly name: string;
  readonly ms: number;
  /** Behaviour per CTI node (default: answers). */
  readonly nodes?: Readonly<Record<string, NodeBehaviour>>;
  readonly reporting?: Reporting;
}

/** What a phase looked like from the proxy. */
export interface PhaseResult {
  readonly name: string;
  /** Calls by target (`agent:<node>` for agents). */
  readonly targets: Record<string, number>;
  /** Highest level any answer carried. */
  readonly maxLevel: number;
  /** Level of the last answer. */
  readonly lastLevel: number;
  /** Agent calls that found their node answering (node behaviour `answers`), and all agent calls. */
  readonly answeredByAgent: number;
  readonly agentCalls: number;
  /** Time from the phase start to the first call sent to node `recoverNode` (ms), or null. */
  readonly firstOn: Record<string, number>;
  /** Of the last 20 % of the phase, the share of calls that went to each node. */
  readonly tailShare: Record<string, number>;
}

/** Options of {@link runEdge}. */
export interface EdgeOptions {
  readonly svc: ControlService;
  readonly clock: ManualClock;
  readonly view: StaticRealtimeView;
  readonly tenant: string;
  readonly skillGroup: string;
  /** Calls per second (default 50). */
  readonly rate?: number;
  readonly priority?: Priority;
  /** The proxy's deadline for a node's first answer, ms (default 5000: Kamailio's `fr_timer`). */
  readonly deadlineMs?: number;
  /** Latency of an answering node, ms (default 40). */
  readonly answerMs?: number;
  readonly random: Random;
  /** Called for every outcome that is taken (what the API would have answered, for checks). */
  readonly onReport?: (result: string) => void;
}

interface Due {
  readonly at: number;
  readonly id: string;
  readonly outcome: OutcomeKind;
  readonly latencyMs: number | undefined;
}

/** Runs the phases one after the other and returns what each looked like. */
export async function runEdge(o: EdgeOptions, phases: readonly Phase[]): Promise<PhaseResult[]> {
  const rate = o.rate ?? 50;
  const stepMs = 100;
  const perStep = (rate * stepMs) / 1_000;
  const deadline = o.deadlineMs ?? 5_000;
  const answerMs = o.answerMs ?? 40;
  const due: Due[] = [];
  const out: PhaseResult[] = [];
  let carry = 0;
  let n = 0;
  for (const phase of phases) {
    const start = o.clock.now();
    const targets: Record<string, number> = {};
    const firstOn: Record<string, number> = {};
    const tail: Record<string, number> = {};
    let tailCalls = 0;
    let maxLevel = 0;
    let lastLevel = 0;
    let answeredByAgent = 0;
    let agentCalls = 0;
    const r = phase.reporting ?? {};
    const send = (at: number, id: string, outcome: OutcomeKind, latencyMs: number | undefined): void => {
      if (o.random() < (r.lose ?? 0)) return;
      const d = { at: at + (r.delayMs ?? 0), id, outcome, latencyMs };
      due.push(d);
      if (o.random() < (r.duplicate ?? 0)) due.push({ ...d, at: d.at + 1_000 });
    };
    while (o.clock.now() - start < phase.ms) {
      o.view.set([calm(o.tenant, o.skillGroup, o.clock.now())]);
      const now = o.clock.now();
      // Deliver what is due (in order of time).
      due.sort((a, b) => a.at - b.at);
      while (due.length > 0 && due[0]!.at <= now) {
        const d = due.shift()!;
        const res = await o.svc.report(
          d.id,
          d.latencyMs === undefined ? { outcome: d.outcome } : { outcome: d.outcome, latencyMs: d.latencyMs },
          o.tenant,
        );
        o.onReport?.(res);
      }
      carry += perStep;
      for (; carry >= 1; carry -= 1) {
        const a = o.svc.route({ tenant: o.tenant, callId: `call-${n++}`, skillGroup: o.skillGroup, priority: o.priority ?? 'normal' });
        maxLevel = Math.max(maxLevel, a.level);
        lastLevel = a.level;
        const key = a.ctiNode === undefined ? a.target : `agent:${a.ctiNode}`;
        targets[key] = (targets[key] ?? 0) + 1;
        const inTail = now - start >= phase.ms * 0.8;
        if (inTail) {
          tailCalls += 1;
          tail[key] = (tail[key] ?? 0) + 1;
        }
        if (a.ctiNode === undefined) {
          // Channels (IVRs, chat, callback) take the call.
          if (a.target !== 'reject') send(now, a.decisionId, 'connected', 20);
          continue;
        }
        agentCalls += 1;
        firstOn[a.ctiNode] ??= now - start;
        const b = phase.nodes?.[a.ctiNode] ?? 'answers';
        if (b === 'answers') {
          answeredByAgent += 1;
          send(now + answerMs, a.decisionId, 'connected', answerMs);
        } else if (b === 'refuses') send(now + 10, a.decisionId, 'failed', 10);
        else if (r.timeouts !== false) send(now + deadline, a.decisionId, 'timeout', undefined);
      }
      await runFor(o.clock, stepMs, stepMs, 1);
    }
    const tailShare: Record<string, number> = {};
    for (const [k, v] of Object.entries(tail)) tailShare[k] = v / Math.max(1, tailCalls);
    out.push({ name: phase.name, targets, maxLevel, lastLevel, answeredByAgent, agentCalls, firstOn, tailShare });
  }
  return out;
}
