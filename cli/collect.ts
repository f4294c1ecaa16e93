/**
 * `sluice collect asterisk-queue-log --follow FILE --state STATE (--to URL --key KEY | --kafka BROKERS)`: a
 * live collector for a PBX log. It follows FILE through rotation and truncation
 * (`adapters/file/follow.ts`), decodes each line (`pipelines/decoders/`), publishes the events to Sluice's
 * HTTP ingest (batches, retries with backoff, honouring 429/503 `Retry-After`) or straight to Kafka (the
 * topics ingest publishes to), and saves its position in STATE after each batch (atomically: inode, offset,
 * hash of the file's first line). Lines the decoder refuses go to `--dead-letters` (NDJSON, with the reason).
 *
 * Exit codes: 0 stopped (a signal, or `--once` at the end of the file), 1 the destination refused for good
 * (a wrong key, a refused request) or the state could not be kept, 2 usage.
 */
import { appendFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CommanderError } from 'commander';
import { systemClock, type Clock } from '../adapters/clock.js';
import { FileFollower, type FollowNotice, type FollowPosition } from '../adapters/file/follow.js';
import { StateFile } from '../adapters/file/state-file.js';
import { isTenantName } from '../core/access.js';
import { Collector, type CollectorSink } from '../pipelines/collect/collector.js';
import { decoderFor } from '../pipelines/decoders/index.js';
import { HttpIngestSink, isHttpSinkError, MAX_HTTP_BATCH } from '../simulator/http-sink.js';
import { kafkaSink } from '../simulator/sinks.js';

/** What the command touches outside itself; tests pass their own. */
export interface CollectIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Ends the process with `code`; must not return (tests throw). */
  exit(code: number): never;
  readonly clock?: Clock;
  readonly fetch?: typeof fetch;
  /** Aborted to stop the collector (default: SIGINT or SIGTERM). */
  readonly stop?: AbortSignal;
  /** Opens the Kafka sink (default {@link kafkaSink}). */
  readonly kafka?: (brokers: string[]) => Promise<CollectorSink & { close(): Promise<void> }>;
}

/** Exit codes of `sluice collect`. */
export const COLLECT_EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The saved state: the position, and which file it is about. */
interface Saved {
  v: 1;
  file: string;
  format: string;
  position: FollowPosition;
  savedAt: number;
}

const processIo: CollectIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  exit: (code) => process.exit(code),
};

const whole = (min: number, max: number) => (v: string) => {
  const n = /^\d{1,9}$/.test(v) ? Number(v) : Number.NaN;
  if (!(n >= min && n <= max)) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
  return n;
};

function describe(n: FollowNotice): string {
  switch (n.kind) {
    case 'rotated':
      return `rotated: inode ${n.from} read to its end, now following inode ${n.to}`;
    case 'truncated':
      return `truncated: inode ${n.ino} was cut back below offset ${n.at} (copytruncate?): reading it again from the start`;
    case 'resumed':
      return `resumed: the file of the saved position (inode ${n.ino}) is now ${n.path}: reading it on from offset ${n.offset} first`;
    case 'lost':
      return `lost: the file of the saved position (inode ${n.ino}, offset ${n.offset}) is gone; its lines after that offset were not read (replay it with sluice replay); starting the current file from its start`;
    case 'oversized':
      return `oversized: a line of ${n.bytes} bytes at offset ${n.offset} skipped`;
  }
}

/** Builds `sluice collect`. */
export function collectCommand(io: CollectIo = processIo): Command {
  const cmd = new Command('collect')
    .description('follow a PBX log live (through rotation and truncation) and send its events to Sluice')
    .argument('<format>', 'log format: asterisk-queue-log')
    .requiredOption('--follow <file>', 'the log file to follow, e.g. /var/log/asterisk/queue_log')
    .requiredOption('--state <file>', 'where the position is kept (written atomically after each batch)')
    .option('--to <url>', "Sluice's HTTP ingest, e.g. http://sluice:8080 (POST /v1/events)")
    .option('--key <key>', 'API key for --to (an admin key of the tenant)')
    .option('--kafka <brokers>', 'publish to Kafka instead, comma-separated brokers')
    .option('--topic-prefix <prefix>', 'Kafka topic prefix (as KAFKA_TOPIC_PREFIX)', 'sluice')
    .option('--tenant <tenant>', 'tenant of the events (queue_log carries none)', 'default')
    .addOption(new Option('--batch <n>', `events per batch (at most ${MAX_HTTP_BATCH})`).argParser(whole(1, MAX_HTTP_BATCH)).default(500))
    .addOption(new Option('--poll-ms <ms>', 'how often to look for new lines, ms').argParser(whole(10, 60_000)).default(250))
    .option('--dead-letters <file>', 'where refused lines go, NDJSON with the reason (default: <state>.rejected.ndjson)')
    .option('--once', 'read to the end of the file (and of a rotated one) and exit, instead of following')
    .configureOutput({ writeOut: (t) => io.stdout(t), writeErr: (t) => io.stderr(t) })
    .exitOverride((err: CommanderError) => io.exit(err.exitCode === 0 ? COLLECT_EXIT.ok : COLLECT_EXIT.usage));

  type Opts = {
    follow: string;
    state: string;
    to?: string;
    key?: string;
    kafka?: string;
    topicPrefix: string;
    tenant: string;
    batch: number;
    pollMs: number;
    deadLetters?: string;
    once?: boolean;
  };
  cmd.action(async (format: string, o: Opts) => {
    const clock = io.clock ?? systemClock;
    const usage = (m: string): never => {
      io.stderr(`sluice collect: ${m}\n`);
      return io.exit(COLLECT_EXIT.usage);
    };
    const fail = (m: string): never => {
      io.stderr(`sluice collect: ${m}\n`);
      return io.exit(COLLECT_EXIT.failed);
    };
    const decoder = format === 'asterisk-queue-log' ? decoderFor(format) : undefined;
    if (!decoder) usage(`unknown format '${format}' (known: asterisk-queue-log)`);
    if ((o.to === undefined) === (o.kafka === undefined)) usage('give one destination: --to <url> --key <key>, or --kafka <brokers>');
    if (o.to !== undefined && !o.key) usage('--to needs --key');
    if (o.to !== undefined && !/^https?:\/\/[^/\s]+/.test(o.to)) usage(`--to must be an http(s) URL, got '${o.to}'`);
    if (!isTenantName(o.tenant)) usage(`--tenant must be lower-case letters, digits, _ and - (at most 63), got '${o.tenant}'`);

    const state = new StateFile<Saved>(o.state);
    let saved: Saved | undefined;
    try {
      saved = await state.load();
    } catch (err) {
      fail((err as Error).message);
    }
    if (saved && (saved.v !== 1 || typeof saved.position?.offset !== 'number'))
      fail(`state file ${o.state} is not a collector position (remove it to start from the beginning of the file)`);
    if (saved && saved.file !== o.follow)
      fail(`state file ${o.state} is the position in ${saved.file}, not ${o.follow}: give each followed file its own --state`);

    const log = (m: string) => io.stderr(`sluice collect: ${m}\n`);
    const follower = new FileFollower(o.follow, { onNotice: (n) => log(describe(n)) });
    await follower.start(saved?.position);

    let sink: CollectorSink & { close?(): Promise<void> };
    let http: HttpIngestSink | undefined;
    if (o.to) {
      sink = http = new HttpIngestSink({
        url: o.to,
        apiKey: o.key!,
        batchSize: o.batch,
        clock,
        ...(io.fetch ? { fetch: io.fetch } : {}),
      });
    } else {
      const brokers = o
        .kafka!.split(',')
        .map((b) => b.trim())
        .filter(Boolean);
      sink = await (io.kafka ?? ((b: string[]) => kafkaSink(b, { topicPrefix: o.topicPrefix })))(brokers).catch((err: Error) =>
        fail(`cannot connect to Kafka ${o.kafka}: ${err.message}`),
      );
    }
    const deadLetters = o.deadLetters ?? `${o.state}.rejected.ndjson`;
    const collector = new Collector<FollowPosition>({
      source: follower,
      decoder: decoder!,
      sink,
      clock,
      tenant: o.tenant,
      batchSize: o.batch,
      positions: { save: (position) => state.save({ v: 1, file: o.follow, format, position, savedAt: clock.now() }) },
      onRejected: (r) => appendFile(deadLetters, `${JSON.stringify({ file: o.follow, ...r })}\n`),
      retriable: (err) => !isHttpSinkError(err) || err.retriable,
      onRetry: (err, ms) => log(`publishing failed (${(err as Error).message.slice(0, 300)}); trying again in ${ms} ms`),
    });

    const stopSignal = io.stop ?? signalled();
    const onStop = () => collector.stop();
    stopSignal.addEventListener('abort', onStop, { once: true });
    // The clock's timers do not hold the process: this does, while following.
    const keepAlive = setInterval(() => {}, 1 << 30);
    let code: number = COLLECT_EXIT.ok;
    try {
      if (o.once) await collector.drain();
      else await collector.run(o.pollMs);
    } catch (err) {
      log(`stopped: ${(err as Error).message}`);
      code = COLLECT_EXIT.failed;
    } finally {
      clearInterval(keepAlive);
      stopSignal.removeEventListener('abort', onStop);
      await follower.close();
      await sink.close?.().catch(() => {});
    }
    const c = collector.counts;
    io.stdout(
      `${JSON.stringify({
        file: o.follow,
        lines: c.lines,
        events: c.events,
        ignored: c.ignored,
        rejected: c.rejected,
        batches: c.batches,
        retries: c.retries,
        ...(http ? { serverAccepted: http.accepted, serverRejected: http.rejected } : {}),
      })}\n`,
    );
    if (code !== COLLECT_EXIT.ok) io.exit(code);
  });
  return cmd;
}

/** Aborted on the first SIGINT or SIGTERM. */
function signalled(): AbortSignal {
  const ac = new AbortController();
  const on = () => ac.abort();
  process.once('SIGINT', on);
  process.once('SIGTERM', on);
  return ac.signal;
}
