import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Command, type CommanderError } from 'commander';
import { decoderFor, decoderNames } from '../pipelines/decoders/index.js';
import { replay, type QueueFigures, type ReplayResult } from '../pipelines/replay/replay.js';

/** What the command touches outside itself; tests pass their own. */
export interface ReplayIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Ends the process with `code`; must not return (tests throw). */
  exit(code: number): never;
  /** Wall clock, epoch ms. */
  now(): number;
}

const processIo: ReplayIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  exit: (code) => process.exit(code),
  now: () => Date.now(),
};

/** Exit codes: 0 the file was read (bad lines included), 1 it could not be read to the end, 2 usage. */
export const REPLAY_EXIT = { ok: 0, readFailed: 1, usage: 2 } as const;

function table(queues: QueueFigures[], byPeriod: boolean): string {
  const head = [
    ...(byPeriod ? (['period'] as const) : []),
    'queue',
    'offered',
    'answered',
    'abandoned',
    'timedOut',
    'asaSec',
    'avgTalkSec',
    'maxWaitSec',
  ] as const;
  const rows = queues.map((q) => head.map((h) => String(q[h] ?? '-')));
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return `${[head as readonly string[], ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(width[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/** `+02:00`, `-0530`, `0` → minutes east of UTC; undefined when not an offset. */
export function parseUtcOffset(v: string): number | undefined {
  if (v === '0' || v === 'Z' || v === 'UTC') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(v);
  if (!m) return undefined;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  if (Number(m[3]) > 59 || minutes > 840) return undefined;
  return m[1] === '-' ? -minutes : minutes;
}

/**
 * `sluice replay --format <name> FILE [--json] [--tenant t] [--by day|interval [--interval 15|30|60]
 * [--utc-offset ±HH:MM]]`: streams FILE line by line through the decoder, prints per-queue figures for the
 * whole file — or per day or interval of event time — (JSON array with `--json`, else a table) on stdout
 * and each bad line (`line N: code: reason`) on stderr. Events of any age are replayed: the file is
 * history. Exit codes: {@link REPLAY_EXIT}.
 */
export function replayCommand(io: ReplayIo = processIo): Command {
  const cmd = new Command('replay')
    .description('replay a telemetry file and print per-queue figures for the whole file')
    .argument('<file>', 'file to read, one record per line')
    .requiredOption('--format <format>', `input format: ${decoderNames().join(', ')}`)
    .option('--json', 'print the figures as JSON')
    .option('--tenant <tenant>', 'tenant of formats that carry none', 'default')
    .option('--service-level <seconds>', 'service-level threshold T, s', '20')
    .option('--short-abandon <seconds>', 'short-abandon threshold, s', '5')
    .option('--by <period>', 'figures per day or per interval of event time instead of for the whole file: day | interval')
    .option('--interval <minutes>', 'length of an interval with --by interval, minutes: 15, 30 or 60', '15')
    .option('--utc-offset <offset>', 'local time of the days and intervals, e.g. +02:00 (default UTC)', '+00:00')
    .configureOutput({ writeOut: (t) => io.stdout(t), writeErr: (t) => io.stderr(t) })
    .exitOverride((err: CommanderError) => io.exit(err.exitCode === 0 ? REPLAY_EXIT.ok : REPLAY_EXIT.usage));

  type Opts = {
    format: string;
    json?: boolean;
    tenant: string;
    serviceLevel: string;
    shortAbandon: string;
    by?: string;
    interval: string;
    utcOffset: string;
  };
  cmd.action(async (file: string, o: Opts) => {
    const usage = (msg: string): never => {
      io.stderr(`sluice replay: ${msg}\n`);
      return io.exit(REPLAY_EXIT.usage);
    };
    if (!decoderFor(o.format)) usage(`unknown format '${o.format}' (known: ${decoderNames().join(', ')})`);
    const kind = await stat(file).then(
      (s) => (s.isFile() ? 'file' : 'other'),
      () => 'missing',
    );
    if (kind !== 'file') usage(`cannot read ${file}: ${kind === 'missing' ? 'no such file' : 'not a regular file'}`);
    const whole = (name: string, v: string) =>
      /^\d{1,6}$/.test(v) ? Number(v) : usage(`${name} must be a whole number of seconds, got '${v}'`);
    const serviceLevelSec = whole('--service-level', o.serviceLevel);
    const shortAbandonSec = whole('--short-abandon', o.shortAbandon);
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(o.tenant))
      usage(`--tenant must be lower-case letters, digits, _ and - (at most 63), got '${o.tenant}'`);
    if (o.by !== undefined && o.by !== 'day' && o.by !== 'interval') usage(`--by must be day or interval, got '${o.by}'`);
    if (o.interval !== '15' && o.interval !== '30' && o.interval !== '60')
      usage(`--interval must be 15, 30 or 60 minutes, got '${o.interval}'`);
    const utcOffsetMinutes = parseUtcOffset(o.utcOffset);
    if (utcOffsetMinutes === undefined) usage(`--utc-offset must be ±HH:MM from -14:00 to +14:00, got '${o.utcOffset}'`);

    const input = createReadStream(file, { encoding: 'utf8' });
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    let result: ReplayResult;
    try {
      result = await replay(lines, {
        format: o.format,
        tenant: o.tenant,
        now: io.now(),
        serviceLevelSec,
        shortAbandonSec,
        onError: (e) => io.stderr(`line ${e.line}: ${e.code}: ${e.reason}\n`),
        ...(o.by === undefined ? {} : { by: o.by as 'day' | 'interval' }),
        intervalMinutes: Number(o.interval) as 15 | 30 | 60,
        utcOffsetMinutes: utcOffsetMinutes ?? 0,
      });
    } catch (err) {
      io.stderr(`sluice replay: reading ${file} failed: ${(err as Error).message}\n`);
      return io.exit(REPLAY_EXIT.readFailed);
    } finally {
      input.destroy();
    }
    io.stdout(o.json ? `${JSON.stringify(result.queues, null, 2)}\n` : table(result.queues, o.by !== undefined));
    const count = (n: number) => `${n} line${n === 1 ? '' : 's'} of ${result.lines}`;
    const ignored = `${result.ignored} ignored (not queue events or informational)`;
    if (result.errorCount > 0) io.stderr(`${count(result.errorCount)} could not be decoded${result.ignored > 0 ? `; ${ignored}` : ''}\n`);
    else if (result.ignored > 0) io.stderr(`${count(result.ignored)} ignored (not queue events or informational)\n`);
  });
  return cmd;
}
