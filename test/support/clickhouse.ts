import { inject } from 'vitest';
import type { ClickHouseTarget } from '../../adapters/clickhouse/connect.js';

/** The shared ClickHouse HTTP server of the global setup, as a target for `connectClickHouse`. */
export function clickhouseServer(): Extract<ClickHouseTarget, { kind: 'server' }> {
  return { kind: 'server', url: inject('clickhouseUrl'), username: inject('clickhouseUser'), password: inject('clickhousePassword') };
}

/** The environment a `sluice` process needs to use the shared ClickHouse HTTP server. */
export function clickhouseEnv(): Record<'CLICKHOUSE_URL' | 'CLICKHOUSE_USER' | 'CLICKHOUSE_PASSWORD', string> {
  return {
    CLICKHOUSE_URL: inject('clickhouseUrl'),
    CLICKHOUSE_USER: inject('clickhouseUser'),
    CLICKHOUSE_PASSWORD: inject('clickhousePassword'),
  };
}

/**
 * The two ways a test reaches ClickHouse, for suites that run against both: chDB in this process
 * (`chdb/connection`), and the shared server over HTTP (the real client's HTTP path).
 */
export const clickhouseTargets: readonly { readonly name: string; target(): ClickHouseTarget }[] = [
  { name: 'chDB in-process', target: () => ({ kind: 'chdb', path: ':memory:' }) },
  { name: 'server over HTTP', target: clickhouseServer },
];
