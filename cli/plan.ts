/**
 * `sluice plan`: agents needed for a call rate (Erlang C, or Erlang A with
 * --patience), or per interval of a forecast CSV.
 *
 *   sluice plan --rate <calls/h> --aht <s> --target-sl <0..1> --target-time <s>
 *     [--target-asa <s>] [--patience <s>] [--max-occupancy <0..1>] [--shrinkage <0..1>]
 *     [--forecast <file.csv>] [--interval-minutes <n>] [--json]
 *
 * Usage errors (bad or missing options, a malformed forecast, an unreadable
 * file) print `error: …` and exit with code 2; an unattainable target exits with code 1.
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { ErrorOptions } from 'commander';
import { ForecastError, formatForecastTable, parseForecastCsv, planForecast } from '../planner/forecast.js';
import { PlanUsageError, formatPlanLine, runPlan } from '../planner/plan.js';
import { InfeasibleTargetError } from '../planner/staffing.js';

/** Where `sluice plan` reads and writes; every member defaults to the process's own. */
export interface PlanIo {
  /** Receives the plan (text or JSON), newline-terminated. */
  readonly stdout?: { write(chunk: string): unknown };
  /** Receives error messages. */
  readonly stderr?: { write(chunk: string): unknown };
  /** Reads a forecast file as UTF-8 text. */
  readonly readFile?: (path: string) => string;
}

/** Exit code of every usage error. */
export const USAGE_EXIT_CODE = 2;
/** Error code (exit code 1) of a valid request that cannot be planned, e.g. an unattainable target. */
const FAILED = 'sluice.plan.failed';

/** A commander Command whose usage errors, commander's own included, exit with code 2. */
class PlanCommand extends Command {
  override error(message: string, errorOptions?: ErrorOptions): never {
    return super.error(message, { ...errorOptions, exitCode: errorOptions?.code === FAILED ? 1 : USAGE_EXIT_CODE });
  }
}

/** Parses a decimal option value strictly: no blanks, no hex, no trailing text. */
function decimal(value: string): number {
  const n = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new InvalidArgumentError('Not a number.');
  return n;
}

interface RawOptions {
  rate?: number;
  aht?: number;
  targetSl?: number;
  targetTime: number;
  targetAsa?: number;
  patience?: number;
  maxOccupancy?: number;
  shrinkage?: number;
  forecast?: string;
  intervalMinutes: number;
  json?: boolean;
}

const num = (flags: string, description: string): Option => new Option(flags, description).argParser(decimal);

/**
 * Builds the `plan` command for the `sluice` CLI. The action prints to
 * `io.stdout`: with --json exactly one JSON object
 * `{ agents, scheduledAgents, serviceLevel, asa, occupancy, probabilityOfWait, probabilityOfAbandon? }`
 * (an array of them, each with `interval`, `calls` and `aht`, for --forecast);
 * otherwise a readable line (a table for --forecast).
 * @param io output streams and file reader, for tests; defaults to the process's
 */
export function planCommand(io: PlanIo = {}): Command {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const readFile = io.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const command = new PlanCommand('plan');
  command
    .description('Agents needed to meet a service-level or ASA target (Erlang C; Erlang A with --patience)')
    .addOption(num('--rate <callsPerHour>', 'offered calls per hour'))
    .addOption(num('--aht <seconds>', 'average handle time, seconds'))
    .addOption(num('--target-sl <fraction>', 'required service level, between 0 and 1 (e.g. 0.8)'))
    .addOption(num('--target-time <seconds>', 'answer-time threshold of the service level, seconds').default(20))
    .addOption(num('--target-asa <seconds>', 'required average speed of answer, seconds'))
    .addOption(num('--patience <seconds>', 'mean caller patience, seconds: use Erlang A (with abandonment)'))
    .addOption(num('--max-occupancy <fraction>', 'occupancy cap, above 0 and at most 1'))
    .addOption(num('--shrinkage <fraction>', 'shrinkage, at least 0 and below 1 (scheduled = agents / (1 - shrinkage))'))
    .addOption(new Option('--forecast <file>', 'CSV with header interval,calls,aht (calls per interval, aht in seconds)'))
    .addOption(num('--interval-minutes <minutes>', 'length of one forecast interval, minutes').default(30))
    .option('--json', 'print JSON instead of text')
    .configureOutput({ writeOut: (s) => void stdout.write(s), writeErr: (s) => void stderr.write(s) })
    .action(function (this: Command) {
      const o = this.opts<RawOptions>();
      const usage: (message: string) => never = (message) => this.error(`error: ${message}`, { code: 'sluice.plan.usage' });
      try {
        const shared = {
          targetSl: o.targetSl,
          targetTime: o.targetTime,
          targetAsa: o.targetAsa,
          patience: o.patience,
          maxOccupancy: o.maxOccupancy,
          shrinkage: o.shrinkage,
        };
        if (o.forecast !== undefined) {
          if (o.rate !== undefined || o.aht !== undefined) usage('--forecast takes rate and AHT from the file: drop --rate and --aht');
          let text: string;
          try {
            text = readFile(o.forecast);
          } catch (err) {
            return usage(`cannot read forecast file ${o.forecast}: ${err instanceof Error ? err.message : String(err)}`);
          }
          const plans = planForecast(parseForecastCsv(text), { ...shared, intervalMinutes: o.intervalMinutes });
          stdout.write(o.json ? `${JSON.stringify(plans)}\n` : `${formatForecastTable(plans)}\n`);
          return;
        }
        if (this.getOptionValueSource('intervalMinutes') === 'cli') usage('--interval-minutes applies only with --forecast');
        if (o.rate === undefined) usage('--rate is required (calls per hour), or give --forecast');
        if (o.aht === undefined) usage('--aht is required (seconds)');
        const result = runPlan({ ...shared, rate: o.rate, aht: o.aht });
        stdout.write(o.json ? `${JSON.stringify(result)}\n` : `${formatPlanLine(result, o.targetTime)}\n`);
      } catch (err) {
        if (err instanceof PlanUsageError || err instanceof ForecastError) usage(err.message);
        if (err instanceof InfeasibleTargetError) this.error(`error: ${err.message}`, { code: FAILED });
        throw err;
      }
    });
  return command;
}
