import { describe, expect, it } from 'vitest';
import { clickHouseLoggerClass } from './connect.js';
import { checkClickHouseServer, compareVersions, grantNamed, MIN_CLICKHOUSE_VERSION } from './server-check.js';

/**
 * A client answering as a ClickHouse server of `version` whose user lacks `denied` ("INSERT ON db.t"): the
 * error text is ClickHouse's own (24.x). The engine in the tests (chDB) has one all-powerful user, so the refusal
 * paths are checked against ClickHouse's answers here; test/integration/prerequisites.test.ts runs the check
 * against the real engine.
 */
function server(version: string, denied: string[] = []) {
  const ran: string[] = [];
  return {
    ran,
    client: {
      query: async ({ query }: { query: string }) => ({
        json: async () =>
          query.startsWith('SELECT version()') ? [{ version, user: 'sluice' }] : [{ name: 'events_raw' }, { name: 'skillgroup_minute' }],
      }),
      command: async ({ query }: { query: string }) => {
        ran.push(query);
        const kind = query.startsWith('INSERT') ? 'INSERT' : 'SELECT';
        const table = /(?:FROM|INTO) (\S+)/.exec(query)?.[1];
        if (denied.includes(`${kind} ON ${table}`))
          throw new Error(
            `sluice: Not enough privileges. To execute this query, it's necessary to have the grant ${kind}(id, tenant) ON ${table}. (ACCESS_DENIED) (version ${version})`,
          );
        return {};
      },
    } as unknown as Parameters<typeof checkClickHouseServer>[0],
  };
}

describe('ClickHouse server check (issue 21)', () => {
  it('compares versions by their numbers', () => {
    expect(compareVersions('24.8.3.59', MIN_CLICKHOUSE_VERSION)).toBe(1);
    expect(compareVersions('24.8', '24.8.0')).toBe(0);
    expect(compareVersions('24.3.18.7', '24.8')).toBe(-1);
    expect(compareVersions('9.9', '24.8')).toBe(-1);
    expect(compareVersions('26.7.2.1', '24.8')).toBe(1);
  });

  it('passes a supported server with every grant, having probed SELECT and INSERT on each table without writing', async () => {
    const s = server('25.3.2.1');
    const check = await checkClickHouseServer(s.client, 'sluice');
    expect(check).toEqual({ version: '25.3.2.1', user: 'sluice', problems: [] });
    expect(s.ran).toEqual([
      'SELECT * FROM sluice.events_raw WHERE 0 LIMIT 0',
      'INSERT INTO sluice.events_raw SELECT * FROM sluice.events_raw WHERE 0 LIMIT 0',
      'SELECT * FROM sluice.skillgroup_minute WHERE 0 LIMIT 0',
      'INSERT INTO sluice.skillgroup_minute SELECT * FROM sluice.skillgroup_minute WHERE 0 LIMIT 0',
    ]);
  });

  it('names a too-old server and each missing grant', async () => {
    const check = await checkClickHouseServer(server('23.8.1.1', ['INSERT ON sluice.events_raw']).client, 'sluice');
    expect(check.problems).toEqual([
      'ClickHouse 23.8.1.1 is older than 24.8, the oldest version Sluice supports: upgrade the server',
      'ClickHouse user sluice may not INSERT on sluice.events_raw: grant INSERT(id, tenant) ON sluice.events_raw',
    ]);
  });

  it('reads the grant out of ClickHouse messages', () => {
    expect(grantNamed("Not enough privileges. To execute this query, it's necessary to have the grant SELECT ON db.*")).toBe(
      'SELECT ON db.*',
    );
    expect(grantNamed('Code: 60. Unknown table')).toBeUndefined();
  });

  it('lets any other error through: a check must not hide a server that is down', async () => {
    const s = server('25.3');
    (s.client as unknown as { command: () => Promise<never> }).command = async () => {
      throw new Error('connect ECONNREFUSED');
    };
    await expect(checkClickHouseServer(s.client, 'sluice')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe("the ClickHouse client's log lines (issue 21)", () => {
  it('go to the logger as one structured line each, at warn and error, the rest at debug', () => {
    const lines: { level: string; fields: Record<string, unknown>; msg: string | undefined }[] = [];
    const at = (level: string) => (fields: object, msg?: string) => lines.push({ level, fields: fields as Record<string, unknown>, msg });
    const Logger = clickHouseLoggerClass({ info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') });
    const l = new Logger();
    l.trace({ module: 'HTTP', message: 'trace' });
    l.info({ module: 'HTTP', message: 'socket reused' });
    l.warn({ module: 'HTTP', message: 'retrying', args: { attempt: 2 } });
    l.error({ module: 'Connection', message: 'query failed', err: new TypeError('multi\nline') });
    expect(lines).toEqual([
      { level: 'debug', fields: { clickhouse: { module: 'HTTP' } }, msg: 'socket reused' },
      { level: 'warn', fields: { clickhouse: { module: 'HTTP', attempt: 2 } }, msg: 'retrying' },
      {
        level: 'error',
        fields: { clickhouse: { module: 'Connection' }, err: { type: 'TypeError', message: 'multi\nline' } },
        msg: 'query failed',
      },
    ]);
    // Without a logger nothing is written (the client's default printed multi-line text to the console).
    expect(() => new (clickHouseLoggerClass(undefined))().error({ module: 'x', message: 'y', err: new Error('z') })).not.toThrow();
  });
});
