import { asteriskQueueLogDecoder } from './asterisk-queue-log.js';
import { jsonDecoder } from './json.js';
import type { Decoder } from './types.js';

export type { DecodeContext, DecodedItem, DecodeFailure, Decoder } from './types.js';

/** Every decoder Sluice knows, by name. A new vendor is one file plus one entry here. */
const REGISTRY: ReadonlyMap<string, Decoder> = new Map([jsonDecoder, asteriskQueueLogDecoder].map((d) => [d.name, d]));

/** The decoder registered as `name`, or undefined. */
export function decoderFor(name: string): Decoder | undefined {
  return REGISTRY.get(name);
}

/** Names of the registered decoders, sorted (for `--format` choices and error messages). */
export function decoderNames(): string[] {
  return [...REGISTRY.keys()].sort();
}
