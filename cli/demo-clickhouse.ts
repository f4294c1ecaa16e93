/**
 * `sluice demo`'s ClickHouse for Grafana (issue 20): the demo stores into chDB, in process, which no Grafana can
 * reach; this serves the same data folder behind ClickHouse's HTTP interface (`services/clickhouse-http.ts`, the
 * component the multi-process tests use) on a local port, read-only and with a key, so the provisioned dashboards
 * (`dashboards/provisioning/`) work against `npm start` without a ClickHouse server.
 *
 * - Loopback by default (`SLUICE_DEMO_CLICKHOUSE_HOST`), port 8124 (`SLUICE_DEMO_CLICKHOUSE_PORT`; 0 any free one,
 *   -1 none): 8123 is left to a real ClickHouse.
 * - User `sluice` (`SLUICE_DEMO_CLICKHOUSE_USER`), key `SLUICE_DEMO_CLICKHOUSE_KEY` (at least 16 characters), or a
 *   random one per start, printed in the banner. A wrong or missing key is refused (ClickHouse's 403).
 * - Reads only: writes, DDL and queries reaching files or other servers are refused (see `readOnly` there).
 * - Not served when the demo uses a ClickHouse server (`--use-env` with `CLICKHOUSE_URL`: point Grafana at that) or an
 *   in-memory chDB; a port in use is a warning, not a failed demo.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../app/config.js';
import { serveClickHouseHttp } from '../services/clickhouse-http.js';

/** The endpoint as started (or not): banner lines and its stop. */
export interface DemoClickHouse {
  /** `http://host:port`, or undefined when not served. */
  readonly url: string | undefined;
  readonly user: string;
  readonly key: string;
  readonly lines: string[];
  stop(): Promise<void>;
}

/** Starts the endpoint for `config` (see the module comment). */
export async function serveDemoClickHouse(config: Readonly<Config>, log: Logger): Promise<DemoClickHouse> {
  const user = config.demoClickhouseUser;
  const key = config.demoClickhouseKey ?? randomBytes(18).toString('base64url');
  const none = (why: string): DemoClickHouse => ({
    url: undefined,
    user,
    key,
    lines: [`  ClickHouse for Grafana: not served (${why})`],
    stop: async () => {},
  });
  if (config.clickhouseUrl) return none('the demo stores into CLICKHOUSE_URL: point Grafana at that server');
  if (config.chdbPath === ':memory:') return none('CHDB_PATH is :memory:, which no other session can open');
  if (config.demoClickhousePort < 0) return none('SLUICE_DEMO_CLICKHOUSE_PORT=-1');
  let server: Awaited<ReturnType<typeof serveClickHouseHttp>>;
  try {
    server = await serveClickHouseHttp({
      dataDir: resolve(config.chdbPath),
      host: config.demoClickhouseHost,
      port: config.demoClickhousePort,
      user,
      password: key,
      readOnly: true,
      // Queries are small (dashboard SELECTs): a megabyte of body is plenty.
      maxBodyBytes: 1024 * 1024,
      log: (line) => log.warn({ component: 'demo-clickhouse-http' }, line),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    log.warn(
      { err: e.message, host: config.demoClickhouseHost, port: config.demoClickhousePort },
      'demo: ClickHouse HTTP endpoint not started',
    );
    return none(e.code === 'EADDRINUSE' ? `port ${config.demoClickhousePort} is in use; set SLUICE_DEMO_CLICKHOUSE_PORT` : e.message);
  }
  const u = new URL(server.url);
  log.info({ url: server.url, user, database: config.clickhouseDatabase }, 'demo: chDB served over ClickHouse HTTP (read-only)');
  return {
    url: server.url,
    user,
    key,
    lines: [
      `  ClickHouse for Grafana  ${server.url}  (read-only; user ${user}, key ${key}; database ${config.clickhouseDatabase})`,
      `    Grafana: CLICKHOUSE_HOST=${u.hostname} CLICKHOUSE_PORT=${u.port} CLICKHOUSE_USER=${user} CLICKHOUSE_PASSWORD=${key} CLICKHOUSE_DATABASE=${config.clickhouseDatabase}`,
      `    (README "Grafana against npm start"; SLUICE_DEMO_CLICKHOUSE_KEY keeps the key across restarts)`,
    ],
    stop: () => server.stop(),
  };
}
