import type { TelemetryEvent } from '../events/types.js';

/** What a decoder knows about the input it is given. */
export interface DecodeContext {
  /** Tenant the input belongs to (formats that do not carry one, like Asterisk's queue_log, take it from here). */
  tenant: string;
  /** Wall-clock time of decoding, epoch ms: the reference for "event time is implausibly far ahead". */
  now: number;
  /** 1-based line number when the input is one line of a file; carried into failures. */
  lineNo?: number;
  /**
   * Mixed into the ids of what the input yields, for formats whose records carry no id of their own: a
   * live collector passes the file's identity and the line's byte offset, so two identical lines of one
   * file are two events while reading the same line again gives the same ids.
   */
  idSalt?: string;
}

/** An input (or part of one) a decoder refused, with a stable `code` for metrics and a `reason` naming what is wrong. */
export interface DecodeFailure {
  ok: false;
  /** Short stable cause: `oversized` | `malformed` | `truncated` | `schema` | `timestamp`. */
  code: string;
  reason: string;
  /** The original bytes, for the dead-letter sink. */
  payload: Buffer;
  /** 1-based line number when decoding a file line by line. */
  lineNo?: number;
}

/**
 * A well-formed input that says nothing Sluice measures: a recognised informational record (Asterisk's
 * `QUEUESTART`, `CONFIGRELOAD`) or a record of the format that is not one of its events (a dialplan's own
 * `QueueLog()` line). Counted, never dead-lettered: it is not an error of the sender.
 */
export interface DecodeIgnored {
  ok: 'ignored';
  /** `informational` (a known record carrying nothing measured) | `not-a-queue-event` (a record of another kind). */
  code: 'informational' | 'not-a-queue-event';
  /** What the record was, e.g. `QUEUESTART is informational`. */
  reason: string;
  /** 1-based line number when decoding a file line by line. */
  lineNo?: number;
}

/**
 * One result of decoding: a normalized event, a failure to dead-letter, or a record ignored on purpose.
 * Test `item.ok === true` for an event (`'ignored'` is truthy).
 */
export type DecodedItem = { ok: true; event: TelemetryEvent } | DecodeFailure | DecodeIgnored;

/**
 * Turns one vendor's input into normalized events. One call decodes one message (a Kafka record, one
 * line of a log file) and may yield several items: none for a blank line, one `ignored` for a record that
 * carries nothing measured, several when one record states several facts. Never throws: everything wrong
 * comes back as a failure.
 */
export interface Decoder {
  /** Registry name, used as `--format`. */
  readonly name: string;
  /** One line for `--help`. */
  readonly description: string;
  decode(input: Buffer | string, ctx: DecodeContext): DecodedItem[];
}
