import { MemoryRoundRobinCounter } from './memory.js';
import { roundRobinContract } from './round-robin.contract.js';

roundRobinContract('memory', () => new MemoryRoundRobinCounter());
