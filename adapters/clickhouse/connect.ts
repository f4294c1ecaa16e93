import {
  ClickHouseLogLevel,
  createClient,
  type ClickHouseClient,
  type ErrorLogParams,
  type Logger as ClientLogger,
  type LogParams,
  type WarnLogParams,
} from '@clickhouse/client';
import type { Logger, LogMethod } from '../../core/logger.js';
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
  /**
   * Where the client's own log lines go (its default prints multi-line text to the console): one structured line
   * each, fields under `clickhouse`. Without it the client logs nothing; its errors reach the caller anyway.
   */
  log?: Pick<Logger, 'info' | 'warn' | 'error'> & { debug?: LogMethod };
}

/**
 * The `@clickhouse/client` logger class writing to `log` (the client instantiates it itself, without arguments,
 * so the class closes over the logger): warn and error at theirs, the client's info and debug at debug.
 */
export function clickHouseLoggerClass(log: ConnectOptions['log']): new () => ClientLogger {
  const fields = (p: LogParams, err?: Error) => ({
    clickhouse: { module: p.module, ...(p.args ?? {}) },
    ...(err ? { err: { type: err.name, message: err.message } } : {}),
  });
  return class SluiceClickHouseLogger implements ClientLogger {
    trace(): void {}
    debug(p: LogParams): void {
      log?.debug?.(fields(p), p.message);
    }
    info(p: LogParams): void {
      log?.debug?.(fields(p), p.message);
    }
    warn(p: WarnLogParams): void {
      log?.warn(fields(p, p.err), p.message);
    }
    error(p: ErrorLogParams): void {
      log?.error(fields(p, p.err), p.message);
    }
  };
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
      log: { LoggerClass: clickHouseLoggerClass(opts.log), level: ClickHouseLogLevel.WARN },
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
    client = createClient({ connection, log: { LoggerClass: clickHouseLoggerClass(opts.log), level: ClickHouseLogLevel.WARN } });
    insertEncoded = chdbInserter(chdb.chdb as unknown as ChdbRawInsert);
  }
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  return { client, target, database, insertEncoded, close: () => client.close() };
}
