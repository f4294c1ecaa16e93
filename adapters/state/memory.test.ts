import { stateStoreContract } from './state.contract.js';
import { MemoryStateStore } from './memory.js';

stateStoreContract('in-memory twin', async () => new MemoryStateStore());
