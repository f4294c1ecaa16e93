import { telemetryStoreContract } from './contract.js';
import { MemoryTelemetryStore } from './memory.js';

telemetryStoreContract('in-memory twin', async () => new MemoryTelemetryStore());
