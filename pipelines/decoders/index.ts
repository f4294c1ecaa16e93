import { HISTORY_DECODE_LIMITS } from '../decode.js';
import { asteriskQueueLogDecoder } from './asterisk-queue-log.js';
import { createJsonDecoder, jsonDecoder } from './json.js';
import type { Decoder } from './types.js';

export type { DecodeContext, DecodedItem, DecodeFailure, DecodeIgnored, Decoder } from './types.js';

/** Every decoder Sluice knows, by name. A new vendor is one file plus one entry here. */
const REGISTRY: ReadonlyMap<string, Decoder> = new Map([jsonDecoder, asteriskQueueLogDecoder].map((d) => [d.name, d]));

/**
 * The same decoders for replays of history: events of any age ({@link HISTORY_DECODE_LIMITS}). The Asterisk
 * decoder bounds no age in the first place (its lines may be years old; only times ahead of now are refused).
 */
const HISTORY: ReadonlyMap<string, Decoder> = new Map(
  [createJsonDecoder(HISTORY_DECODE_LIMITS), asteriskQueueLogDecoder].map((d) => [d.name, d]),
);

/**
 * The decoder registered as `name`, or undefined. `history: true` gives the one for replays, which
 * takes events of any age; live paths (ingest, a collector) use the default, which refuses times
 * implausibly far in the past.
 */
export function decoderFor(name: string, o: { history?: boolean } = {}): Decoder | undefined {
  return (o.history ? HISTORY : REGISTRY).get(name);
}

/** Names of the registered decoders, sorted (for `--format` choices and error messages). */
export function decoderNames(): string[] {
  return [...REGISTRY.keys()].sort();
}
