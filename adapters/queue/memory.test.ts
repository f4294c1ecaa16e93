import { workQueueContract } from './queue.contract.js';
import { MemoryWorkQueue } from './memory.js';

workQueueContract('in memory', async (claimAfterMs) => new MemoryWorkQueue({ claimAfterMs }));
