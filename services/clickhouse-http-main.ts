/**
 * `npm run clickhouse` (or `tsx services/clickhouse-http-main.ts`): chDB behind ClickHouse's HTTP
 * interface in the foreground, for tests and for trying Sluice with `CLICKHOUSE_URL`. Prints the URL
 * on a line of its own once it serves; SIGTERM or SIGINT stop it (the data folder stays).
 *
 * Environment: `CLICKHOUSE_HTTP_DATA_DIR` (default `./data/chdb-http`), `CLICKHOUSE_HTTP_HOST`
 * (127.0.0.1), `CLICKHOUSE_HTTP_PORT` (8123; 0 for any free one), `CLICKHOUSE_HTTP_USER` (`default`),
 * `CLICKHOUSE_HTTP_PASSWORD` (empty), `CLICKHOUSE_HTTP_MAX_BODY_BYTES`; `CLICKHOUSE_HTTP_WATCH_STDIN=1`
 * stops it when its stdin closes (its parent died: how tests keep it from outliving them).
 */
import { resolve } from 'node:path';
import { serveClickHouseHttp } from './clickhouse-http.js';

const env = process.env;
const log = (l: string) => console.error(`[clickhouse-http] ${l}`);
const server = await serveClickHouseHttp({
  dataDir: resolve(env.CLICKHOUSE_HTTP_DATA_DIR || './data/chdb-http'),
  host: env.CLICKHOUSE_HTTP_HOST || '127.0.0.1',
  port: Number(env.CLICKHOUSE_HTTP_PORT ?? 8123),
  user: env.CLICKHOUSE_HTTP_USER || 'default',
  password: env.CLICKHOUSE_HTTP_PASSWORD ?? '',
  maxBodyBytes: env.CLICKHOUSE_HTTP_MAX_BODY_BYTES ? Number(env.CLICKHOUSE_HTTP_MAX_BODY_BYTES) : undefined,
  log,
});
console.log(server.url);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.stop().then(
    () => process.exit(0),
    (err: Error) => {
      log(`stopping: ${err.message}`);
      process.exit(1);
    },
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
if (env.CLICKHOUSE_HTTP_WATCH_STDIN === '1') {
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
}
