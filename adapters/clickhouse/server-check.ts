/**
 * What Sluice needs of a ClickHouse server, checked once at start rather than discovered by a pipeline worker
 * retrying an insert for ever: a version Sluice supports, and the privileges its statements need. A missing
 * privilege is `ACCESS_DENIED` (497), which an insert treats as "unavailable, retry" (`errors.ts`): without this
 * check a worker would hold its partition, waiting for a grant nobody knows is missing.
 */
import type { ClickHouseClient } from '@clickhouse/client';

/**
 * The oldest ClickHouse Sluice supports (README, "ClickHouse versions and grants"): an LTS release with every
 * setting and statement Sluice uses (`insert_deduplication_token` on every insert, `input_format_json_read_objects_as_strings`,
 * `ADD/MODIFY COLUMN IF NOT EXISTS`, query parameters). The tests run on chDB's engine, a newer release.
 */
export const MIN_CLICKHOUSE_VERSION = '24.8';

/** `-1`, `0` or `1` as version `a` (`24.8.3.59`) is older, the same as, or newer than `b`, by their numeric parts. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** What the server said about itself, and what is wrong with it (nothing: an empty `problems`). */
export interface ClickHouseServerCheck {
  readonly version: string;
  readonly user: string;
  /** Each problem in words, naming the version or the grant (`INSERT ON sluice.events_raw`). */
  readonly problems: readonly string[];
}

const ACCESS_DENIED = /ACCESS_DENIED|Code: 497|Not enough privileges/;

/** The grant ClickHouse's `ACCESS_DENIED` message names (`…it's necessary to have the grant INSERT(a, b) ON db.t`). */
export function grantNamed(message: string): string | undefined {
  return /necessary to have the grant (.+?)(?:\.\s|\.?$|\s\(ACCESS_DENIED\))/m.exec(message)?.[1]?.trim();
}

/**
 * Asks the server its version (`SELECT version()`) and tries, without changing anything, each statement kind
 * Sluice runs on each of its tables in `database`: `SELECT … WHERE 0` and `INSERT INTO t SELECT * FROM t WHERE 0`
 * (zero rows: the server checks the privilege and writes nothing). Probing rather than parsing `SHOW GRANTS` counts
 * grants through roles, wildcards and partial revokes exactly as the server does. CREATE and ALTER are needed by the
 * migrations, which run before this and fail with ClickHouse's own message naming the grant.
 *
 * @param tables Sluice's tables to probe (default: every table of `database` the user can see)
 */
export async function checkClickHouseServer(
  client: Pick<ClickHouseClient, 'query' | 'command'>,
  database: string,
  tables?: readonly string[],
): Promise<ClickHouseServerCheck> {
  const who = await client.query({ query: 'SELECT version() AS version, currentUser() AS user', format: 'JSONEachRow' });
  const [row] = await who.json<{ version: string; user: string }>();
  const version = String(row?.version ?? '0');
  const user = String(row?.user ?? '');
  const problems: string[] = [];
  if (compareVersions(version, MIN_CLICKHOUSE_VERSION) < 0) {
    problems.push(`ClickHouse ${version} is older than ${MIN_CLICKHOUSE_VERSION}, the oldest version Sluice supports: upgrade the server`);
  }
  let names = tables;
  if (names === undefined) {
    const listed = await client.query({
      query: `SELECT name FROM system.tables WHERE database = {db:String} AND engine NOT LIKE '%View' ORDER BY name`,
      query_params: { db: database },
      format: 'JSONEachRow',
    });
    names = (await listed.json<{ name: string }>()).map((r) => r.name);
  }
  for (const table of names) {
    const t = `${database}.${table}`;
    for (const [kind, query] of [
      ['SELECT', `SELECT * FROM ${t} WHERE 0 LIMIT 0`],
      ['INSERT', `INSERT INTO ${t} SELECT * FROM ${t} WHERE 0 LIMIT 0`],
    ] as const) {
      try {
        await client.command({ query });
      } catch (err) {
        const message = (err as Error).message;
        if (!ACCESS_DENIED.test(message)) throw err;
        problems.push(
          `ClickHouse user ${user || '(default)'} may not ${kind} on ${t}: grant ${grantNamed(message) ?? `${kind} ON ${database}.*`}`,
        );
      }
    }
  }
  return { version, user, problems };
}
