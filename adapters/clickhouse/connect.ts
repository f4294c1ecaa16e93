import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { mkdirSync } from 'node:fs';
import { chdbInserter, execInserter, type ChdbRawInsert, type EncodedInserter } from './encoded-insert.js';

/** Where ClickHouse runs: a server over HTTP, or chDB (the ClickHouse engine in-process). */
export type ClickHouseTarget =
  | { kind: 'server'; url: string; username?: string; password?: string }
  | { kind: 'chdb' /** a data directory, or `:memory:` */; path: string };

/** A connected client plus what the rest of Sluice must know about the engine behind it. */
export interface ClickHouse {
  readonly client: ClickHouseClient;
  readonly target: ClickHouseTarget;
  /** Database holding Sluice's tables. */
  readonly database: string;
  /** Inserts rows already encoded as text (the engine parses them; see {@link EncodedInserter}). */
  readonly insertEncoded: EncodedInserter;
  close(): Promise<void>;
}

/** Options of {@link connectClickHouse}. */
export interface ConnectOptions {
  /** `CLICKHOUSE_CLUSTER`: tables are Distributed (see `renderStatements`), so inserts wait for every shard. */
  cluster?: string;
}

/**
 * Opens `@clickhouse/client` against a server (`CLICKHOUSE_URL`) or over `chdb/connection`, creating
 * the database when missing. Queries always name the database explicitly, so the same SQL works on
 * both (chDB sessions have no per-request default database).
 */
export async function connectClickHouse(target: ClickHouseTarget, database = 'sluice', opts: ConnectOptions = {}): Promise<ClickHouse> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database))
    throw new Error(`CLICKHOUSE_DATABASE must be an identifier (letters, digits, _), got "${database}"`);
  let client: ClickHouseClient;
  let insertEncoded: EncodedInserter;
  if (target.kind === 'server') {
    client = createClient({
      url: target.url,
      username: target.username,
      password: target.password,
      request_timeout: 30_000,
      // On a cluster an insert into a Distributed table answers once every shard stored its rows (under the
      // insert's own dedup token), not once they are queued on this server: acknowledged means stored.
      ...(opts.cluster ? { clickhouse_settings: { insert_distributed_sync: 1 } } : {}),
    });
    insertEncoded = execInserter(client);
  } else {
    if (target.path !== ':memory:') mkdirSync(target.path, { recursive: true });
    // chdb types its Connection against @clickhouse/client-common, the client against its own bundled
    // copy of the same interface: structurally equal, nominally not.
    const chdb = createChdbConnection({ path: target.path });
    const connection = chdb as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'];
    client = createClient({ connection });
    insertEncoded = chdbInserter(chdb.chdb as unknown as ChdbRawInsert);
  }
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  return { client, target, database, insertEncoded, close: () => client.close() };
}
