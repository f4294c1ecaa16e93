/**
 * Measures the distributions behind Sluice's histograms, so their bucket layouts (`app/metric-buckets.ts`) are
 * chosen from data, not guessed: `npx tsx bench/metrics/distributions.ts` (about 20 s). Prints quantiles of
 *
 * - route decision time: `ControlService.route()`'s own `durationNs` (what `sluice_route_decision_duration_seconds`
 *   observes), in a tight loop after warm-up and spaced one call per millisecond as a live router calls it;
 * - SLA timer lateness: a real {@link TimerService} on the system clock firing timers due over a few seconds;
 * - queue waits: answered and abandoned calls of the "Anonymous Bank" call records (Israel, October 1999;
 *   collected and documented by Ilan Guedj and Avi Mandelbaum, Technion — see shared/data/README.md), the
 *   waits `sluice_queue_wait_seconds` sees when that month is replayed (`SLUICE_BANK_FILE` overrides the path).
 *
 * Batch sizes need no measuring: the in-process bus hands the worker one message per batch, Kafka up to a fetch.
 */
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../adapters/clock.js';
import { harness } from '../../control/testing/harness.js';
import { machineInfo } from '../machine.js';
import { calm } from '../../control/testing/harness.js';
import { loadBankDataset, ANONYMOUS_BANK_FILE } from '../../simulator/dataset.js';
import { MemoryTimerStore } from '../../workflow/sla/memory-timer-store.js';
import { TimerService } from '../../workflow/sla/timer-service.js';
import type { SlaTimer } from '../../workflow/sla/timer-store.js';

/** The q-quantile of `xs` (nearest rank). */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** Every distribution shown, for the JSON summary on the last line. */
const results: Record<string, { unit: string; n: number; min: number; max: number; quantiles: Record<string, number> }> = {};

function show(name: string, unit: string, scale: number, xs: readonly number[]): void {
  const QS = [0.01, 0.1, 0.5, 0.9, 0.99, 0.999];
  const qs = QS.map((q) => `p${q * 100}=${(quantile(xs, q) * scale).toPrecision(3)}`);
  results[name] = {
    unit,
    n: xs.length,
    min: Math.min(...xs) * scale,
    max: Math.max(...xs) * scale,
    quantiles: Object.fromEntries(QS.map((q) => [`p${q * 100}`, quantile(xs, q) * scale])),
  };
  console.log(
    `${name} (${unit}, n=${xs.length}): min=${(Math.min(...xs) * scale).toPrecision(3)} ${qs.join(' ')} max=${(Math.max(...xs) * scale).toPrecision(3)}`,
  );
}

async function routeDecisions(): Promise<void> {
  const h = harness();
  h.view.set([calm('acme', 'sales', h.clock.now())]);
  await h.svc.tick();
  const ns: number[] = [];
  h.svc.on('decision', (d) => ns.push(d.durationNs));
  const call = (i: number) => {
    const d = h.svc.route({ tenant: 'acme', skillGroup: 'sales', priority: 'normal', callId: `c${i}` });
    h.svc.outcome(d.decisionId, { outcome: 'connected', latencyMs: 40 });
  };
  for (let i = 0; i < 20_000; i++) call(i);
  ns.length = 0;
  for (let i = 0; i < 50_000; i++) call(i);
  show('route decision, tight loop', 'µs', 1e-3, ns);
  ns.length = 0;
  for (let i = 0; i < 3_000; i++) {
    call(i);
    await new Promise((r) => setTimeout(r, 1));
  }
  show('route decision, one call per ms', 'µs', 1e-3, ns);
}

async function timerLateness(): Promise<void> {
  const store = new MemoryTimerStore();
  const svc = new TimerService({ store, notifier: { notify: async () => {} }, clock: systemClock });
  const late: number[] = [];
  svc.on('fired', (r) => late.push(r.latenessMs));
  svc.start();
  const t0 = Date.now();
  const base: Omit<SlaTimer, 'id' | 'dueAt'> = {
    tenant: 'acme',
    ticketId: 't',
    revision: 1,
    kind: 'warning',
    level: 1,
    repeat: 0,
    nodeId: 'n',
    channel: 'log',
    recipients: [],
    message: '',
    attempt: 1,
  };
  // Scheduled up front (as a ticket's SLA timers are, long before they fall due), due over 8 s.
  for (let i = 0; i < 2_000; i++) await store.schedule({ ...base, id: `w${i}`, dueAt: t0 + 200 + Math.floor(Math.random() * 8_000) });
  await new Promise((r) => setTimeout(r, 9_500));
  await svc.stop();
  show('SLA timer lateness', 'ms', 1, late);
  console.log(
    `  zero: ${late.filter((x) => x === 0).length}, ≤1 ms: ${late.filter((x) => x <= 1).length}, ≤2 ms: ${late.filter((x) => x <= 2).length}`,
  );
}

async function bankWaits(): Promise<void> {
  const d = await loadBankDataset(process.env.SLUICE_BANK_FILE ?? fileURLToPath(ANONYMOUS_BANK_FILE));
  for (const outcome of ['AGENT', 'HANG'] as const) {
    const w = d.calls.filter((c) => c.outcome === outcome && c.queue !== null).map((c) => c.queue!.sec);
    show(`queue wait, ${outcome === 'AGENT' ? 'answered' : 'abandoned'} (Anonymous Bank)`, 's', 1, w);
  }
}

await routeDecisions();
await timerLateness();
await bankWaits();
// One JSON object on the last line, with the machine it ran on (figures drift between machines; shapes hold).
console.log(JSON.stringify({ bench: 'metric-distributions', machine: machineInfo(), results }));
