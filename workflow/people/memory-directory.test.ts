import { directoryContract } from './directory.contract.js';
import { MemoryDirectory } from './memory-directory.js';

directoryContract('memory', () => new MemoryDirectory());
