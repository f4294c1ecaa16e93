import { afterAll, beforeAll, describe } from 'vitest';
import { telemetryQueriesContract } from './queries.contract.js';
import type { TelemetryStore } from './types.js';
import { telemetryWriterContract } from './writer.contract.js';

/** The behaviour every {@link TelemetryStore} must have (ClickHouse over chDB, and the in-memory twin): both ports' contracts. */
export function telemetryStoreContract(name: string, make: () => Promise<TelemetryStore>): void {
  describe(`TelemetryStore contract: ${name}`, () => {
    let store: TelemetryStore;
    beforeAll(async () => {
      store = await make();
    });
    afterAll(async () => {
      await store.close();
    });

    telemetryWriterContract(() => store);
    describe('queries', () => telemetryQueriesContract(() => store));
  });
}
