import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { startSluice, type Sluice } from '../../app/main.js';
import { checkHostileIngest, type HttpDeadLetter } from '../support/hostile-check.js';

const ACME = 'hostile-acme-admin-key-01';
const GLOBEX = 'hostile-globex-admin-key1';

describe('POST /v1/events under hostile input (embedded: in-process bus, chDB)', () => {
  let sluice: Sluice;
  beforeAll(async () => {
    const config = loadConfig({
      SLUICE_API_KEYS: `${ACME}:acme:admin,${GLOBEX}:globex:admin`,
      SLUICE_TENANTS: 'acme,globex',
      CHDB_PATH: ':memory:',
      CLICKHOUSE_DATABASE: `hostile_${process.pid}`,
      PORT: '0',
      LOG_LEVEL: 'warn',
    });
    sluice = await startSluice(config, { logger: pino({ level: 'warn' }), httpLogger: false });
  });
  afterAll(async () => {
    await sluice?.close();
  });

  it("never answers 5xx, stores every valid event once, dead-letters every invalid one with its reason, and keeps storing another tenant's events", async () => {
    const ch = sluice.clickhouse;
    const totals = await checkHostileIngest(
      {
        clickhouse: ch,
        post: async (key, text) => {
          const r = await sluice.app.inject({
            method: 'POST',
            url: '/v1/events',
            headers: { 'x-api-key': key, 'content-type': 'application/json' },
            payload: text,
          });
          return { status: r.statusCode, body: r.body };
        },
        deadLetters: async () =>
          (
            await ch.client.query({
              query: `SELECT origin, reason, tenant FROM ${ch.database}.dead_letters WHERE source = 'http'`,
              format: 'JSONEachRow',
            })
          ).json<HttpDeadLetter>(),
      },
      { keyA: ACME, keyB: GLOBEX, tenantB: 'globex', numRuns: 30 },
    );
    // The runs did reach both sides: events stored and events refused.
    expect(totals.stored).toBeGreaterThan(10);
    expect(totals.deadLettered).toBeGreaterThan(10);
  });
});
