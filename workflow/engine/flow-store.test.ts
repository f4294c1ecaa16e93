import { MemoryFlowRepository } from './flow-store.js';
import { flowRepositoryContract } from './flow-store.contract.js';

flowRepositoryContract('memory', () => new MemoryFlowRepository());
