/**
 * `sluice traffic`: generates seeded traffic (all four sources) or replays the Anonymous Bank call
 * records, into HTTP ingest, Kafka or stdout (NDJSON), in real time, accelerated or as fast as
 * possible, and prints a one-line summary at the end.
 *
 *   sluice traffic --seed N --minutes M [--tenants a,b] [--calls-per-hour X] [--peak 3x@10:00+60m[/15m]]…
 *     [--profile flat|bank] [--start HH:MM|ISO] [--interval 15|30]
 *     [--to http://host:port --key K | --kafka host:port,… | --stdout] [--speed N|max] [--batch N]
 *   sluice traffic --replay anonymous-bank [--file path] [--shift-days N|auto] [--to …|--kafka …|--stdout] [--speed …]
 *
 * Exit codes: 0 done, 1 the destination failed, 2 usage.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { ErrorOptions } from 'commander';
import { systemClock, type Clock } from '../adapters/clock.js';
import type { TelemetryEvent } from '../pipelines/events/types.js';
import { hhmm } from '../simulator/calendar.js';
import { ANONYMOUS_BANK_FILE, loadBankDataset } from '../simulator/dataset.js';
import { HttpIngestSink, MAX_HTTP_BATCH } from '../simulator/http-sink.js';
import { TrafficSimulation } from '../simulator/model.js';
import { pace } from '../simulator/pacer.js';
import { BANK_PROFILE, DAY_MS, FLAT_PROFILE, parsePeakSpec, placePeak, type PeakSpec } from '../simulator/profile.js';
import { replayBankEvents, summariseDataset } from '../simulator/replay.js';
import { buildScenario } from '../simulator/scenario.js';
import { kafkaSink, ndjsonSink, type TextOut, type TrafficSink } from '../simulator/sinks.js';

/** What the command touches outside itself; every member defaults to the process's own. */
export interface TrafficIo {
  readonly stdout?: TextOut;
  readonly stderr?: { write(chunk: string): unknown };
  readonly clock?: Clock;
  /** Local time minus UTC at an instant, minutes (default the machine's time zone). */
  readonly utcOffsetMinutes?: (at: number) => number;
  /** Opens the Kafka sink (default {@link kafkaSink}). */
  readonly kafka?: (brokers: string[]) => Promise<TrafficSink & { close(): Promise<void> }>;
  readonly fetch?: typeof fetch;
}

/** Exit codes of `sluice traffic`. */
export const TRAFFIC_EXIT = { ok: 0, failed: 1, usage: 2 } as const;
const WEEK_MS = 7 * DAY_MS;

class TrafficCommand extends Command {
  override error(message: string, errorOptions?: ErrorOptions): never {
    return super.error(message, {
      ...errorOptions,
      exitCode: errorOptions?.code === 'sluice.traffic.failed' ? TRAFFIC_EXIT.failed : TRAFFIC_EXIT.usage,
    });
  }
}

const number =
  (min: number, integer: boolean) =>
  (v: string): number => {
    const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n)))
      throw new InvalidArgumentError(`must be ${integer ? 'a whole number' : 'a number'} ≥ ${min}.`);
    return n;
  };
const peakOption = (v: string, prev: PeakSpec[] = []): PeakSpec[] => {
  try {
    return [...prev, parsePeakSpec(v)];
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};
const speedOption = (v: string): number | 'max' => (v === 'max' ? 'max' : number(Number.MIN_VALUE, false)(v));

interface Opts {
  seed: number;
  minutes: number;
  tenants: string;
  callsPerHour: number;
  peak?: PeakSpec[];
  profile: 'flat' | 'bank';
  start?: string;
  interval: '15' | '30';
  replay?: string;
  file?: string;
  shiftDays?: string;
  to?: string;
  key?: string;
  kafka?: string;
  stdout?: boolean;
  speed: number | 'max';
  batch: number;
}

/**
 * Builds the `traffic` command for the `sluice` CLI.
 * @param io output streams, clock and connectors, for tests; defaults to the process's
 */
export function trafficCommand(io: TrafficIo = {}): Command {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const clock = io.clock ?? systemClock;
  const offsetAt = io.utcOffsetMinutes ?? ((at: number) => -new Date(at).getTimezoneOffset());
  const cmd = new TrafficCommand('traffic');
  cmd
    .description(
      'generate seeded call-center traffic (agent, extension, skill-group, interval events) or replay real call records, into Sluice',
    )
    .addOption(new Option('--seed <n>', 'seed: the same seed gives the same events').argParser(number(0, true)).default(1))
    .addOption(new Option('--minutes <m>', 'minutes of event time to simulate').argParser(number(1, false)).default(60))
    .option('--tenants <ids>', 'comma-separated tenant ids', 'demo')
    .addOption(
      new Option('--calls-per-hour <x>', 'calls per hour per tenant at the normal rate (split sales 50 %, support 35 %, billing 15 %)')
        .argParser(number(0, false))
        .default(360),
    )
    .addOption(
      new Option('--peak <spec>', 'a surge, e.g. 3x@10:00+60m or 3x@10:00+60m/15m (15-minute ramps); repeatable').argParser(peakOption),
    )
    .addOption(new Option('--profile <name>', 'hourly shape of the day').choices(['flat', 'bank']).default('flat'))
    .option(
      '--start <time>',
      'first instant simulated: HH:MM today (local) or an ISO date-time (default: now at --speed 1, else --minutes before now)',
    )
    .addOption(new Option('--interval <minutes>', 'length of the vendor interval reports').choices(['15', '30']).default('15'))
    .addOption(new Option('--replay <dataset>', 'replay a real dataset instead of simulating').choices(['anonymous-bank']))
    .option('--file <path>', 'the dataset file (default the shared anonymous-bank/october-1999.tsv)')
    .option(
      '--shift-days <n|auto>',
      'shift replayed times by whole days; auto: by whole weeks so the month ends before now (default auto, 0 with --stdout)',
    )
    .option('--to <url>', 'send to Sluice over HTTP ingest (POST /v1/events), e.g. http://127.0.0.1:8080')
    .option('--key <key>', 'API key for --to (an admin key of the tenants sent)')
    .option('--kafka <brokers>', 'send to Kafka, comma-separated brokers, e.g. 127.0.0.1:9092')
    .option('--stdout', 'write NDJSON events to stdout (the default)')
    .addOption(
      new Option('--speed <n|max>', 'event time per wall time: 1 real time, 60 an hour a minute, max as fast as possible')
        .argParser(speedOption)
        .default('max'),
    )
    .addOption(new Option('--batch <n>', `events per batch (at most ${MAX_HTTP_BATCH} with --to)`).argParser(number(1, true)).default(500))
    .configureOutput({ writeOut: (s) => void stdout.write(s), writeErr: (s) => void stderr.write(s) })
    .action(async function (this: Command) {
      const o = this.opts<Opts>();
      const usage = (m: string): never => this.error(`error: ${m}`, { code: 'sluice.traffic.usage' });
      const targets = [o.to, o.kafka, o.stdout].filter((x) => x !== undefined).length;
      if (targets > 1) usage('give one destination: --to, --kafka or --stdout');
      if (o.to !== undefined && !o.key) usage('--to needs --key');
      if (o.key !== undefined && o.to === undefined) usage('--key applies only with --to');
      if (o.to !== undefined && o.batch > MAX_HTTP_BATCH) usage(`--batch must be at most ${MAX_HTTP_BATCH} with --to`);
      if (o.to !== undefined && !/^https?:\/\/[^/\s]+/.test(o.to)) usage(`--to must be an http(s) URL, got '${o.to}'`);
      const fromCli = (k: string) => this.getOptionValueSource(k) === 'cli';
      const modelOnly = ['seed', 'minutes', 'tenants', 'callsPerHour', 'peak', 'profile', 'start', 'interval'];
      const replayOnly = ['file', 'shiftDays'];
      if (o.replay && modelOnly.some(fromCli))
        usage(
          `--replay takes its calls from the dataset: drop ${modelOnly
            .filter(fromCli)
            .map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`)
            .join(', ')}`,
        );
      if (!o.replay && replayOnly.some(fromCli)) usage('--file and --shift-days apply only with --replay');

      const destination = o.to ?? (o.kafka ? `kafka ${o.kafka}` : 'stdout');
      const now = clock.now();
      let events: Iterable<TelemetryEvent>;
      let describe: () => string;
      if (o.replay) {
        const path = o.file ?? ANONYMOUS_BANK_FILE;
        const load = await loadBankDataset(path).catch((err: Error) => usage(`cannot load ${String(path)}: ${err.message}`));
        for (const m of load.malformed) stderr.write(`line ${m.line}: ${m.code}: ${m.reason}\n`);
        const shiftDays = o.shiftDays ?? (o.to || o.kafka ? 'auto' : '0');
        let shiftMs: number;
        if (shiftDays === 'auto') {
          const last = Math.max(0, ...load.calls.map((c) => (c.service ?? c.queue ?? c.vru).exit));
          shiftMs = Math.max(0, Math.floor((now - last) / WEEK_MS)) * WEEK_MS;
        } else if (/^-?\d{1,6}$/.test(shiftDays)) shiftMs = Number(shiftDays) * DAY_MS;
        else return usage(`--shift-days must be a whole number of days or auto, got '${shiftDays}'`);
        const list = replayBankEvents(load.calls, { shiftMs });
        events = list;
        const s = summariseDataset(load);
        describe = () =>
          `replay anonymous-bank: ${list.length} events from ${s.total.calls} calls (answered ${s.total.answered}, abandoned ${s.total.abandoned}, never queued ${s.total.vruOnly}; ` +
          `${s.malformed.count} malformed lines skipped, ${s.phantom} phantom ignored; times shifted ${shiftMs / DAY_MS} days)`;
      } else {
        const off = offsetAt(now);
        let start: number;
        if (o.start === undefined) start = Math.floor((o.speed === 1 ? now : now - o.minutes * 60_000) / 1000) * 1000;
        else if (/^\d{1,2}:\d\d$/.test(o.start)) {
          const minute = (() => {
            try {
              return hhmm(o.start);
            } catch (err) {
              return usage(`--start: ${(err as Error).message}`);
            }
          })();
          start = Math.floor((now + off * 60_000) / DAY_MS) * DAY_MS - off * 60_000 + minute * 60_000;
        } else {
          start = Date.parse(o.start);
          if (!Number.isFinite(start) || start < 0) usage(`--start must be HH:MM or an ISO date-time, got '${o.start}'`);
        }
        const tenants = o.tenants.split(',').map((t) => t.trim());
        if (tenants.some((t) => !/^[a-z0-9][a-z0-9_-]{0,62}$/.test(t)))
          usage(`--tenants must be lower-case ids (letters, digits, _ and -), got '${o.tenants}'`);
        const sim = new TrafficSimulation(
          buildScenario({
            seed: o.seed,
            start,
            minutes: o.minutes,
            tenants,
            callsPerHour: o.callsPerHour,
            utcOffsetMinutes: off,
            profile: o.profile === 'bank' ? BANK_PROFILE : FLAT_PROFILE,
            peaks: (o.peak ?? []).map((p) => placePeak(p, start, off)),
            intervalSec: o.interval === '30' ? 1800 : 900,
          }),
        );
        events = sim;
        describe = () => {
          const s = sim.summary();
          const e = s.events;
          return (
            `traffic seed ${o.seed}: ${e.total} events (agent ${e.agent}, extension ${e.extension}, skillgroup ${e.skillgroup}, interval ${e.interval}) over ${o.minutes} min from ${new Date(start).toISOString()}; ` +
            `calls offered ${s.totals.offered}, answered ${s.totals.answered}, abandoned ${s.totals.abandoned}`
          );
        };
      }

      let sink: TrafficSink;
      let http: HttpIngestSink | undefined;
      if (o.to)
        sink = http = new HttpIngestSink({
          url: o.to,
          apiKey: o.key!,
          batchSize: Math.min(o.batch, MAX_HTTP_BATCH),
          clock,
          ...(io.fetch ? { fetch: io.fetch } : {}),
        });
      else if (o.kafka) {
        const brokers = o.kafka
          .split(',')
          .map((b) => b.trim())
          .filter(Boolean);
        sink = await (io.kafka ?? kafkaSink)(brokers).catch((err: Error) =>
          this.error(`error: cannot connect to Kafka ${o.kafka}: ${err.message}`, { code: 'sluice.traffic.failed' }),
        );
      } else sink = ndjsonSink(stdout);
      try {
        const stats = await pace(events, sink, { clock, speed: o.speed, batchSize: o.batch });
        const rejected =
          http && http.rejected > 0 ? `; ${http.rejected} rejected by the server (first: ${http.rejections[0]?.reason ?? '?'})` : '';
        const line = `${describe()} → ${destination} in ${(stats.wallMs / 1000).toFixed(1)} s${rejected}\n`;
        (o.to || o.kafka ? stdout : stderr).write(line);
      } catch (err) {
        // The reader of stdout went away (`| head`): stop quietly, as command-line tools do.
        if (destination === 'stdout' && (err as NodeJS.ErrnoException).code === 'EPIPE')
          return void stderr.write(`${describe()} → stdout closed early\n`);
        this.error(`error: sending to ${destination} failed: ${(err as Error).message}`, { code: 'sluice.traffic.failed' });
      } finally {
        await sink.close?.();
      }
    });
  return cmd;
}
