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

function table(queues: QueueFigures[]): string {
  const head = ['queue', 'offered', 'answered', 'abandoned', 'timedOut', 'asaSec', 'avgTalkSec', 'maxWaitSec'] as const;
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

/**
 * `sluice replay --format <name> FILE [--json] [--tenant t]`: streams FILE line by line through the
 * decoder, prints per-queue figures for the whole file (JSON array with `--json`, else a table) on
 * stdout and each bad line (`line N: code: reason`) on stderr. Exit codes: {@link REPLAY_EXIT}.
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
    .configureOutput({ writeOut: (t) => io.stdout(t), writeErr: (t) => io.stderr(t) })
    .exitOverride((err: CommanderError) => io.exit(err.exitCode === 0 ? REPLAY_EXIT.ok : REPLAY_EXIT.usage));

  cmd.action(async (file: string, o: { format: string; json?: boolean; tenant: string; serviceLevel: string; shortAbandon: string }) => {
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
      });
    } catch (err) {
      io.stderr(`sluice replay: reading ${file} failed: ${(err as Error).message}\n`);
      return io.exit(REPLAY_EXIT.readFailed);
    } finally {
      input.destroy();
    }
    io.stdout(o.json ? `${JSON.stringify(result.queues, null, 2)}\n` : table(result.queues));
    if (result.errorCount > 0)
      io.stderr(`${result.errorCount} line${result.errorCount === 1 ? '' : 's'} of ${result.lines} could not be decoded\n`);
  });
  return cmd;
}
