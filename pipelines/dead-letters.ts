import { MAX_DATETIME64_MS } from '../adapters/clickhouse/partitions.js';
import type { BusProducer } from '../adapters/bus/types.js';
import { splitRefusals, type RefusedRow } from './store/refusals.js';
import type { DeadLetter, TelemetryWriter } from './store/types.js';

/** Where refused input goes, with its reason and original bytes. */
export interface DeadLetterSink {
  /** Writes dead letters; `token` makes a retried write idempotent where the sink supports it. */
  write(rows: DeadLetter[], token: string): Promise<void>;
}

/**
 * Dead-letter codes (`DeadLetter.code`), documented in docs/errors.md: why an input was refused.
 * `store-refused`: the event (or a figure row it fed) passed the schema, but ClickHouse refused it.
 * `cardinality-limit`: the event would bring its tenant a skill group, agent or extension past the
 * tenant's limit (`pipelines/limits/cardinality.ts`).
 */
export const DEAD_LETTER_CODES = [
  'oversized',
  'malformed',
  'schema',
  'timestamp',
  'wrong-topic',
  'store-refused',
  'cardinality-limit',
] as const;

/** Well-formed (a lone surrogate becomes U+FFFD: ClickHouse refuses its JSON escape) and at most `max` characters. */
function text(s: unknown, max: number): string {
  const t = typeof s === 'string' ? s : String(s ?? '');
  return (t.length > max ? t.slice(0, max) : t).replace(/\p{Cs}/gu, '\uFFFD');
}

/**
 * A dead letter nothing downstream can refuse: its text fields well-formed and bounded, its time a
 * finite epoch ms within what ClickHouse stores. The payload (original bytes) is kept as it is: it is
 * stored as base64 or as a Kafka message value, never parsed.
 */
export function sanitizeDeadLetter(d: DeadLetter): DeadLetter {
  const at = Number.isFinite(d.receivedAt) ? Math.min(Math.max(Math.trunc(d.receivedAt), 0), MAX_DATETIME64_MS) : 0;
  return {
    tenant: text(d.tenant, 64),
    source: text(d.source, 64),
    code: text(d.code, 64),
    reason: text(d.reason, 1_000),
    payload: d.payload,
    origin: text(d.origin, 256),
    receivedAt: at,
  };
}

/** Where a refused row was read: topic, partition, and the batch's offsets (`topic:partition:first-last`). */
export interface BatchOrigin {
  topic: string;
  partition: number;
  source: string;
  /** `topic:partition:first-last`. */
  range: string;
  receivedAt: number;
}

/**
 * The dead letter of an event the store refused after the schema let it through: the bytes it was
 * read from, ClickHouse's reason, code `store-refused`.
 */
export function refusedEventLetter(
  r: RefusedRow,
  at: BatchOrigin,
  offsets: readonly number[],
  received: readonly Uint8Array[],
): DeadLetter {
  const e = r.row as { tenant?: unknown };
  const bytes = received[r.index];
  return {
    tenant: typeof e.tenant === 'string' ? e.tenant : '',
    source: at.source,
    code: 'store-refused',
    reason: r.reason,
    payload: bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.from(JSON.stringify(r.row)),
    origin: `${at.topic}:${at.partition}:${offsets[r.index]}`,
    receivedAt: at.receivedAt,
  };
}

/**
 * The dead letter of a figure row (a window or report row computed from a batch) the store refused:
 * the row as JSON, ClickHouse's reason, code `store-refused`, origin `<batch range>:<write>:<index>`.
 */
export function refusedRowLetter(r: RefusedRow, at: BatchOrigin): DeadLetter {
  const row = r.row as { tenant?: unknown };
  return {
    tenant: typeof row.tenant === 'string' ? row.tenant : '',
    source: at.source,
    code: 'store-refused',
    reason: r.reason,
    payload: Buffer.from(JSON.stringify(r.row)),
    origin: `${at.range}:${r.write}:${r.index}`,
    receivedAt: at.receivedAt,
  };
}

/**
 * Dead letters in the ClickHouse `dead_letters` table (the sink when Kafka is off), sanitized first
 * ({@link sanitizeDeadLetter}). Should ClickHouse still refuse one, the others are stored and
 * `onLost` hears of it with ClickHouse's reason: a dead letter never stalls the write it belongs to.
 */
export function storeDeadLetters(store: TelemetryWriter, onLost?: (row: DeadLetter, reason: string) => void): DeadLetterSink {
  return {
    write: async (rows, token) => {
      const clean = rows.map(sanitizeDeadLetter);
      await splitRefusals(store, (r) => onLost?.(r.row as DeadLetter, r.reason)).insertDeadLetters(clean, token);
    },
  };
}

/**
 * Dead letters on a Kafka topic (the sink when Kafka is on): the original bytes as the value, keyed by
 * origin, with `code`, `reason`, `source`, `tenant`, `origin` and `received-at` headers (sanitized,
 * {@link sanitizeDeadLetter}). A retried write may repeat a message; `origin` identifies it.
 */
export function topicDeadLetters(producer: BusProducer, topic: string): DeadLetterSink {
  return {
    write: async (rows) => {
      if (rows.length === 0) return;
      await producer.send(
        topic,
        rows.map(sanitizeDeadLetter).map((r) => ({
          key: r.origin,
          value: r.payload,
          timestamp: r.receivedAt,
          headers: {
            code: r.code,
            reason: r.reason,
            source: r.source,
            tenant: r.tenant,
            origin: r.origin,
            'received-at': String(r.receivedAt),
          },
        })),
      );
    },
  };
}
