/**
 * `sluice bench <scenario|all|capacity>`: runs load scenarios against the real composition
 * (embedded twins, or real Kafka / Redis when given), with a progress bar and live figures on
 * a terminal, and writes JSON results, a Markdown report and SVG charts per scenario; or
 * measures engine capacity and sizes a contact center.
 */
import { Command, InvalidArgumentError } from 'commander';
import { sizeDeployment } from '../bench/capacity/sizing.js';
import { SCENARIOS, scenarioNamed } from '../bench/scenarios/definitions.js';
import { RESULTS_DIR, runWithProgress } from '../bench/scenarios/progress.js';
import { headline, writeScenarioReport } from '../bench/scenarios/report.js';
import type { ScenarioDefinition } from '../bench/scenarios/types.js';

const count = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number ≥ 0`);
  return n;
};

/** The `bench` subcommand. Exit code 0 when every expectation is met, 1 otherwise, 2 on usage errors. */
export function benchCommand(): Command {
  return new Command('bench')
    .description('run load scenarios (steady, peak, cti-failure, clickhouse-slow, redis-outage, soak, or all) or measure engine capacity')
    .argument('<scenario>', `${SCENARIOS.map((s) => s.name).join(' | ')} | all | capacity`)
    .option('--short', 'the short version of the scenario (as in the test suite)')
    .option('--out <dir>', 'folder for JSON results, Markdown reports and SVG charts', RESULTS_DIR)
    .option('--kafka <brokers>', 'use this Kafka instead of the in-process bus')
    .option('--redis <url>', 'use this Redis for shared state (the Redis outage always starts its own redis-server)')
    .option('--agents <n>', 'capacity: agents of the contact center to size', count('--agents'))
    .option('--calls-per-hour <n>', 'capacity: calls in the busiest hour', count('--calls-per-hour'))
    .option(
      '--events-per-call <n>',
      'capacity: telemetry events per call (default: measured on the traffic model)',
      count('--events-per-call'),
    )
    .option('--json', 'print only the result as one JSON line')
    .action(
      async (
        name: string,
        o: {
          short?: boolean;
          out: string;
          kafka?: string;
          redis?: string;
          agents?: number;
          callsPerHour?: number;
          eventsPerCall?: number;
          json?: boolean;
        },
      ) => {
        if (name === 'capacity') {
          // Loaded on demand: its HTTP probe drives autocannon, a development dependency an installed package lacks.
          const { capacityMarkdown, measureCapacity, modelEventsPerCall } = await import('../bench/capacity/run.js');
          const r = await measureCapacity({
            onProbe: (what, p) =>
              o.json ||
              process.stderr.write(
                `${what}: ${Math.round(p.rate)}/s offered, ${p.achieved}/s handled, p99 ${p.p99Ms} ms, ${p.sustained ? 'sustained' : 'not sustained'}\n`,
              ),
          });
          const capacity = { eventsPerSec: Math.max(1, r.pipeline.maxSustained), decisionsPerSec: Math.max(1, r.control.maxSustained) };
          const center =
            o.agents !== undefined && o.callsPerHour !== undefined
              ? {
                  agents: o.agents,
                  callsPerHour: o.callsPerHour,
                  eventsPerCall: o.eventsPerCall ?? modelEventsPerCall(),
                  agentEventsPerHour: o.eventsPerCall === undefined ? 0 : 6,
                }
              : undefined;
          const sizing = center ? sizeDeployment(center, capacity) : undefined;
          if (!o.json) process.stdout.write(`${capacityMarkdown(r)}\n`);
          process.stdout.write(
            `${JSON.stringify({ pipelineEventsPerSec: capacity.eventsPerSec, controlDecisionsPerSec: capacity.decisionsPerSec, eventsPerCall: r.eventsPerCall, ...(sizing ? { center, sizing } : {}) })}\n`,
          );
          return;
        }
        let defs: readonly ScenarioDefinition[];
        try {
          defs = name === 'all' ? SCENARIOS : [scenarioNamed(name)];
        } catch (err) {
          process.stderr.write(`sluice bench: ${(err as Error).message}\n`);
          process.exit(2);
        }
        const services = { ...(o.kafka ? { kafkaBrokers: o.kafka } : {}), ...(o.redis ? { redisUrl: o.redis } : {}) };
        const heads = [];
        for (const def of defs) {
          const r = await runWithProgress(def, { variant: o.short ? 'short' : 'full', services }, o.json ? process.stderr : process.stdout);
          const md = writeScenarioReport(r, o.out);
          heads.push(headline(r));
          if (!o.json) {
            for (const c of r.checks) process.stdout.write(`  ${c.pass ? 'pass' : 'FAIL'}  ${c.says} — ${c.observed}\n`);
            process.stdout.write(`${def.name}: ${r.pass ? 'PASS' : 'FAIL'} (report ${md})\n`);
          }
        }
        process.stdout.write(`${JSON.stringify(heads.length === 1 ? heads[0] : heads)}\n`);
        if (heads.some((h) => !h.pass)) process.exitCode = 1;
      },
    );
}
