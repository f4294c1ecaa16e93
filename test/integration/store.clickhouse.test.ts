import { connectClickHouse } from '../../adapters/clickhouse/connect.js';
import { ClickHouseTelemetryStore } from '../../pipelines/store/clickhouse.js';
import { telemetryStoreContract } from '../../pipelines/store/contract.js';

telemetryStoreContract('ClickHouse over chDB', async () => {
  const ch = await connectClickHouse({ kind: 'chdb', path: ':memory:' }, `contract_${process.pid}`);
  return ClickHouseTelemetryStore.open(ch, { rawTtlDays: 30 });
});
