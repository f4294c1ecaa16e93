import { telemetryStoreContract } from './store.contract.js';
import { MemoryTelemetryStore } from './memory.js';

telemetryStoreContract('in-memory twin', async () => new MemoryTelemetryStore());
