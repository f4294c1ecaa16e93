/**
 * The in-memory decision log: the same buffer as production over a writer
 * that keeps batches in memory and, like ClickHouse with a dedup token,
 * ignores a batch whose token it has already stored.
 */
import type { Clock } from '../../adapters/clock.js';
import { BufferedDecisionLog } from './buffered.js';
import type { BufferedLogOptions } from './buffered.js';
import type { ControlLogRecord, DecisionRecord, LevelChangeRecord, LogWriter } from './types.js';

/** A writer that keeps what it is given. */
export class MemoryLogWriter implements LogWriter {
  /** Batches written, in order (the latest 5 000–10 000). */
  readonly batches: { token: string; size: number }[] = [];
  /** A ring of the newest records, so a long-running demo stays bounded and a write costs O(batch). */
  readonly #ring: (ControlLogRecord | undefined)[];
  #next = 0;
  readonly #tokens = new Set<string>();
  readonly #keep: number;
  /** When set, the next writes fail with this error (tests). */
  failWith: Error | null = null;

  /** @param keep records kept at most (default 100 000) */
  constructor(keep = 100_000) {
    this.#keep = keep;
    this.#ring = new Array<ControlLogRecord | undefined>(keep);
  }

  /** {@inheritDoc LogWriter.write} */
  async write(batch: readonly ControlLogRecord[], token: string): Promise<void> {
    if (this.failWith !== null) throw this.failWith;
    if (this.#tokens.has(token)) return;
    this.#tokens.add(token);
    if (this.#tokens.size > 10_000) this.#tokens.delete(this.#tokens.values().next().value!);
    this.batches.push({ token, size: batch.length });
    if (this.batches.length > 10_000) this.batches.splice(0, 5_000);
    for (const r of batch) this.#ring[this.#next++ % this.#keep] = r;
  }

  /** Records kept, oldest first. */
  records(): ControlLogRecord[] {
    const out: ControlLogRecord[] = [];
    const from = Math.max(0, this.#next - this.#keep);
    for (let i = from; i < this.#next; i++) out.push(this.#ring[i % this.#keep]!);
    return out;
  }

  /** Decisions kept. */
  decisions(): DecisionRecord[] {
    return this.records().filter((r): r is DecisionRecord => r.kind === 'decision');
  }

  /** Level changes kept. */
  levelChanges(): LevelChangeRecord[] {
    return this.records().filter((r): r is LevelChangeRecord => r.kind === 'level');
  }
}

/** An in-memory decision log: {@link BufferedDecisionLog} over a {@link MemoryLogWriter}. */
export function memoryDecisionLog(
  clock: Clock,
  options: Omit<BufferedLogOptions<unknown>, 'writer' | 'clock'> & { writer?: MemoryLogWriter } = { tokenPrefix: 'memory' },
): {
  log: BufferedDecisionLog;
  writer: MemoryLogWriter;
} {
  const writer = options.writer ?? new MemoryLogWriter();
  return { log: new BufferedDecisionLog({ ...options, writer, clock }), writer };
}
