import type { TelemetryEvent } from '../events/types.js';

/** What a decoder knows about the input it is given. */
export interface DecodeContext {
  /** Tenant the input belongs to (formats that do not carry one, like Asterisk's queue_log, take it from here). */
  tenant: string;
  /** Wall-clock time of decoding, epoch ms: the reference for "event time is implausibly far ahead". */
  now: number;
  /** 1-based line number when the input is one line of a file; carried into failures. */
  lineNo?: number;
}

/** An input (or part of one) a decoder refused, with a stable `code` for metrics and a `reason` naming what is wrong. */
export interface DecodeFailure {
  ok: false;
  /** Short stable cause: `oversized` | `malformed` | `truncated` | `unknown-event` | `schema` | `timestamp`. */
  code: string;
  reason: string;
  /** The original bytes, for the dead-letter sink. */
  payload: Buffer;
  /** 1-based line number when decoding a file line by line. */
  lineNo?: number;
}

/** One result of decoding: a normalized event, or a failure to dead-letter. */
export type DecodedItem = { ok: true; event: TelemetryEvent } | DecodeFailure;

/**
 * Turns one vendor's input into normalized events. One call decodes one message (a Kafka record, one
 * line of a log file) and may yield several items: none for a recognised informational record, several
 * when one record states several facts. Never throws: everything wrong comes back as a failure.
 */
export interface Decoder {
  /** Registry name, used as `--format`. */
  readonly name: string;
  /** One line for `--help`. */
  readonly description: string;
  decode(input: Buffer | string, ctx: DecodeContext): DecodedItem[];
}
