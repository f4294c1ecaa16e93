import { MemoryAlertOutbox } from './memory-outbox.js';
import { alertOutboxContract } from './outbox.contract.js';

alertOutboxContract('in memory', async () => new MemoryAlertOutbox());
