import { MemoryBus } from './memory.js';
import { messageBusContract } from './contract.js';

messageBusContract('in-memory twin', async () => new MemoryBus());
