import { Command, Option } from 'commander';
import { pino, type Logger } from 'pino';
import { redactSecrets, redactUrl, urlSecrets } from '../adapters/redact.js';
import { loadConfig, PROCESS_ROLES, withoutExternalServices, type Config } from '../app/config.js';
import { isSluiceError } from '../core/errors.js';
import { startSluice } from '../app/main.js';
import { serveDemoClickHouse, type DemoClickHouse } from './demo-clickhouse.js';

/**
 * How `sluice start` speaks when nobody reads a terminal (systemd, a container, a log shipper): every line JSON.
 * A refusal to start is one `fatal` line on stderr whatever `LOG_LEVEL` says (a failed start must say why); Node's
 * own warnings and anything thrown past the code become log lines too. On a terminal the same is said in words.
 */
function jsonProcessOutput(log: Logger): void {
  // Node prints warnings as text through its own listener: replace it with a log line.
  process.removeAllListeners('warning');
  process.on('warning', (w) => log.warn({ warning: { name: w.name, message: w.message } }, 'Node.js warning'));
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception: exiting');
    process.exit(1);
  });
}

/** Says why Sluice stops before it ran: as text on a terminal, else as one JSON line (see {@link jsonProcessOutput}). */
function refuse(json: boolean, text: string, code: number): never {
  if (json && !process.stderr.isTTY) pino({ level: 'fatal' }, pino.destination({ fd: 2, sync: true })).fatal(text);
  else console.error(text);
  process.exit(code);
}

/** Something started beside Sluice once it runs (the demo's ClickHouse endpoint): its banner lines and its stop. */
interface Beside {
  readonly lines: string[];
  stop(): Promise<void>;
}

/** Runs Sluice until SIGINT/SIGTERM, then shuts down gracefully (a second signal forces exit). */
async function run(
  overrides: Record<string, string>,
  banner: (c: Readonly<Config>, url: string) => string[],
  env: Record<string, string | undefined> = process.env,
  json = false,
  beside?: (c: Readonly<Config>, log: Logger) => Promise<Beside>,
): Promise<void> {
  let config: Readonly<Config>;
  try {
    config = loadConfig(env, overrides);
  } catch (err) {
    if (isSluiceError(err)) refuse(json, `sluice: ${err.message}`, 2);
    throw err;
  }
  const log = pino({ level: config.logLevel });
  if (json) jsonProcessOutput(log);
  let sluice: Awaited<ReturnType<typeof startSluice>>;
  try {
    sluice = await startSluice(config, { logger: log });
  } catch (err) {
    // A client library may put a service URL, password and all, into its message: hide every secret the configuration holds.
    const secrets = [
      ...urlSecrets(config.redisUrl),
      ...urlSecrets(config.clickhouseUrl),
      ...urlSecrets(config.webhookUrl),
      config.clickhousePassword,
      ...config.alerts.secrets,
    ];
    const e = err as Error;
    const message = redactSecrets(String(e.message), secrets);
    log.fatal({ err: { type: e.name, message, stack: redactSecrets(String(e.stack), secrets) } }, 'could not start');
    log.flush();
    refuse(json, `sluice: could not start: ${message}`, 1);
  }
  let extra: Beside | undefined;
  try {
    extra = await beside?.(config, log);
  } catch (err) {
    await sluice.close().catch(() => {});
    refuse(json, `sluice: could not start: ${(err as Error).message}`, 1);
  }
  const lines = [...banner(config, sluice.url), ...(extra?.lines ?? [])];
  if (json && !process.stderr.isTTY) log.info({ url: sluice.url, role: config.role }, lines[0] ?? 'listening');
  else for (const line of lines) console.error(line);
  let firstSignalAt = 0;
  const stop = (signal: string) => {
    // Ctrl-C under `npm start` reaches this process twice (from the terminal and forwarded by npm):
    // only a signal sent again after a second forces the exit.
    if (firstSignalAt > 0) {
      if (Date.now() - firstSignalAt < 1_000) return;
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    firstSignalAt = Date.now();
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('shutdown took too long: exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 2_000);
    timer.unref();
    (extra?.stop() ?? Promise.resolve())
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'error while closing'))
      .then(() => sluice.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

const roleOption = () => new Option('--role <role>', 'which parts run in this process').choices([...PROCESS_ROLES]).default('all');

/** `sluice start`: runs the roles named, on the services the environment names. */
export function startCommand(): Command {
  return new Command('start')
    .description(
      'run Sluice with the services named by the environment (KAFKA_BROKERS, REDIS_URL, CLICKHOUSE_URL; in-process twins where unset)',
    )
    .addOption(roleOption())
    .option('--host <host>', 'address to listen on (env HOST)')
    .option('--port <port>', 'port to listen on (env PORT)')
    .option('--simulate', 'also run the built-in traffic simulator')
    .action(async (o: { role: string; host?: string; port?: string; simulate?: boolean }) => {
      const overrides: Record<string, string> = { SLUICE_ROLE: o.role };
      if (o.host) overrides.HOST = o.host;
      if (o.port) overrides.PORT = o.port;
      if (o.simulate) overrides.SLUICE_SIMULATOR = 'true';
      await run(
        overrides,
        (c, url) => [
          `Sluice (${c.role}) listening on ${url}`,
          ...(c.role === 'all' || c.role === 'pipeline' ? [`  live wallboard: ${url}/wallboard#key=<a viewer key of the tenant>`] : []),
        ],
        process.env,
        true,
      );
    });
}

/** `sluice demo`: everything on embedded defaults with the simulator, open API; external services only with `--use-env`. */
export function demoCommand(): Command {
  return (
    new Command('demo')
      .description(
        'run everything on embedded defaults with simulated traffic; the API is open (no keys), for trying Sluice on one machine',
      )
      // No default here: PORT (default 8080) applies unless --port is given.
      .option('--port <port>', 'port to listen on (env PORT, default 8080)')
      .option('--rate <calls>', 'simulated calls per hour per tenant (split over sales, support and billing)', '1200')
      .option(
        '--use-env',
        'use the services the environment names (KAFKA_BROKERS, REDIS_URL, CLICKHOUSE_URL, …) instead of ignoring them: the open demo API then reaches them',
      )
      .action(async (o: { port?: string; rate: string; useEnv?: boolean }) => {
        const { env, ignored } = o.useEnv ? { env: process.env, ignored: [] } : withoutExternalServices(process.env);
        await run(
          {
            SLUICE_OPEN: 'true',
            SLUICE_SIMULATOR: 'true',
            SLUICE_DEMO: 'true',
            SIM_CALLS_PER_HOUR: o.rate,
            ...(o.port ? { PORT: o.port } : {}),
          },
          (c, url) => [
            '',
            `  Sluice demo is running on ${url}  (open API: no keys needed — demo only)`,
            `  live wallboard     ${url}/wallboard`,
            `  flow studio        ${url}/studio#tenant=${c.tenants[0] ?? 'demo'}`,
            `  real-time figures  ${url}/v1/realtime/skillgroups`,
            `  metrics            ${url}/metrics`,
            `  readiness          ${url}/readyz`,
            `  ClickHouse (chDB)  ${c.clickhouseUrl ? redactUrl(c.clickhouseUrl) : c.chdbPath}   Kafka: ${c.kafkaBrokers?.join(',') ?? 'in-process'}   Redis: ${c.redisUrl ? redactUrl(c.redisUrl) : 'in-memory'}`,
            o.useEnv
              ? '  --use-env: using the services the environment names (the open API reaches them)'
              : ignored.length > 0
                ? `  embedded services only: ignored ${ignored.join(', ')} from the environment (--use-env uses them)`
                : '  embedded services only (--use-env would use KAFKA_BROKERS, REDIS_URL, CLICKHOUSE_URL from the environment)',
          ],
          env,
          false,
          async (c, log) => {
            const ch: DemoClickHouse = await serveDemoClickHouse(c, log);
            return {
              lines: [...ch.lines, '  Ctrl-C stops it; pending rows are stored first.', ''],
              stop: () => ch.stop(),
            };
          },
        );
      })
  );
}
